/**
 * The data layer: PTB and user text corpora, tokenised as the book does and encoded with a
 * vocabulary built from the training split.
 *
 * @example
 * ```ts ignore
 * import { firstTrainTokens, loadPtb } from "./mod.ts";
 * const ptb = await loadPtb();
 * const { tokens, vocabSize } = firstTrainTokens(ptb, 1000); // chapter 5: vocabSize 418
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
export { DownloadError, type DownloadOptions, downloadVerified } from "./download.ts";
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
