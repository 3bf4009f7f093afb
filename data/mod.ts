/**
 * The data layer: PTB and user text corpora, tokenised as the book does and encoded with a
 * vocabulary built from the training split; and the Japanese corpus built from Aozora Bunko's
 * texts (cleaned of their markup, segmented into words by MeCab).
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { firstTrainTokens, loadPtb } from "@rnnlab/rnnlab";
 * const ptb = await loadPtb(); // PTB_DIR, the cache, or a download
 * assert.equal(ptb.vocabSize, 10000);
 * const { tokens, vocabSize } = firstTrainTokens(ptb, 1000); // chapter 5's corpus
 * assert.equal(tokens.length, 1000);
 * assert.equal(vocabSize, 418);
 * ```
 *
 * @module
 */

export {
  assembleCorpus,
  type Corpus,
  type CorpusFile,
  firstTrainTokens,
  loadTextCorpus,
  type SplitText,
  type TextCorpusOptions,
} from "./corpus.ts";
export { DownloadError, type DownloadOptions, downloadVerified, fetchBytes } from "./download.ts";
export { decodeFloat16, float16BitsToFloat32Bits, float16ToFloat32 } from "./float16.ts";
export { assertUtf8, oneLine, readBytes, readError } from "./files.ts";
export { sha256Hex } from "../core/hash.ts";
export { type NumpyArray, parseNumpyPickle, readNumpyPickle } from "./pickle.ts";
export {
  defaultPtbCacheDir,
  loadPtb,
  type LoadPtbOptions,
  PTB_DEFAULT_BASE_URL,
  PTB_FILES,
  PTB_SHA256,
} from "./ptb.ts";
export { EOS, scanTokens, tokenize, type TokenSpans } from "./tokenize.ts";
export { encodeSpans, type TokenSource, UNK, type UnknownPolicy, WordTable } from "./vocab.ts";
export { type CappedVocabulary, capVocabulary, type VocabularyIds } from "./vocab_cap.ts";
export { composeAccents } from "./aozora_accent.ts";
export { type AozoraWork, cleanAozora, cleanAozoraBody, parseAozora } from "./aozora_clean.ts";
export { jisx0213Char } from "./jisx0213.ts";
export { crc32, readZip, type ZipEntry } from "./zip.ts";
export {
  type DictionaryDigest,
  hashDictionary,
  type Mecab,
  MECAB_INSTALL,
  mecabCandidatePaths,
  type MecabDictionary,
  type MecabInfo,
  type MecabOptions,
  mecabRcCandidates,
  openMecab,
} from "./mecab.ts";
export { AOZORA_DEFAULT_BASE_URL, type AozoraWorkFile, SOSEKI_WORKS } from "./aozora_works.ts";
export { type AozoraSource, decodeAozoraText, readAozoraInput } from "./aozora_source.ts";
export { defaultAozoraCacheDir, type FindAozoraOptions, findSosekiWorks } from "./aozora.ts";
export {
  type AozoraCorpusOptions,
  type AozoraManifest,
  buildAozoraCorpus,
  type ManifestSource,
  type ManifestSplit,
  segmentAozoraCorpus,
  type SegmentAozoraOptions,
  type SegmentedCorpus,
} from "./aozora_corpus.ts";
