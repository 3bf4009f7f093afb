/**
 * Building a word-segmented Japanese corpus from Aozora Bunko texts: every work is cleaned
 * ({@linkcode parseAozora}), cut into words by MeCab ({@linkcode openMecab}), and written to
 * `train.txt`, `valid.txt` and `test.txt` by whole works, one sentence per line and words
 * separated by single spaces, the format {@linkcode loadTextCorpus} reads (each line end becomes
 * `<eos>`, as in PTB). A character Aozora could not name is the one word `<unk>`.
 *
 * Next to them, `manifest.json` ({@linkcode AozoraManifest}) records the sources and their
 * checksums, MeCab's version and the dictionary's name and checksum, the counts and the output
 * checksums. It holds no time and no machine-specific path, so the same sources, MeCab and
 * dictionary give the same bytes, every time and anywhere.
 *
 * The corpus appears whole or not at all: everything is written to a temporary folder beside
 * `out`, which is renamed to `out` at the end.
 *
 * @module
 */

import { basename, dirname, resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import { sha256Hex } from "../core/hash.ts";
import { type FindAozoraOptions, findSosekiWorks } from "./aozora.ts";
import { parseAozora } from "./aozora_clean.ts";
import { type AozoraSource, readAozoraInput } from "./aozora_source.ts";
import { SOSEKI_WORKS } from "./aozora_works.ts";
import { oneLine } from "./files.ts";
import { hashDictionary, type MecabOptions, openMecab } from "./mecab.ts";
import { UNK } from "./vocab.ts";

/** Options of {@linkcode segmentAozoraCorpus}: which texts, which split, which MeCab. */
export interface SegmentAozoraOptions extends FindAozoraOptions {
  /**
   * Files, zips or folders to build from (a user's own downloads); default: the fourteen Soseki
   * novels, found as {@linkcode findSosekiWorks} finds them.
   */
  inputs?: readonly string[];
  /** The validation works, by number (`"785"`), id (`"785_ruby_1656"`) or title; default 門. */
  valid?: readonly string[];
  /** The test works, likewise; default こころ. */
  test?: readonly string[];
  /** How to open MeCab (library, configuration, dictionary). */
  mecab?: MecabOptions;
  /** One line per step (downloads, each work segmented); default silent. */
  log?: (msg: string) => void;
}

/** Options of {@linkcode buildAozoraCorpus}. */
export interface AozoraCorpusOptions extends SegmentAozoraOptions {
  /** The folder to create; it must not exist, or be empty. */
  out: string;
}

/** One source text in the manifest. */
export interface ManifestSource {
  /** The work's id (`"773_ruby_5968"`), or the file's stem for a text of the user's own. */
  id: string;
  /** The work number. */
  work: string;
  /** The title. */
  title: string;
  /** The file name (a zip's as `"<zip>:<inner>"`). */
  file: string;
  /** SHA-256 of the text's bytes. */
  sha256: string;
  /** `"shift_jis"` or `"utf-8"`. */
  encoding: string;
  /** Whether it is one of the known works, checksum verified. */
  known: boolean;
  /** The split it went to. */
  split: "train" | "valid" | "test";
  /** Sentences (lines) it gave. */
  sentences: number;
  /** Words it gave (without `<eos>`). */
  words: number;
  /** How many of those words are `<unk>` (characters Aozora could not name). */
  unknown: number;
}

/** One output file in the manifest. */
export interface ManifestSplit {
  /** `"train.txt"`, `"valid.txt"` or `"test.txt"`. */
  file: string;
  /** The ids of its works, in order. */
  works: string[];
  /** Lines. */
  sentences: number;
  /** Words, without `<eos>`. */
  words: number;
  /** Tokens as {@linkcode loadTextCorpus} counts them: words plus one `<eos>` per line. */
  tokens: number;
  /** Distinct words. */
  vocabulary: number;
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 of the file. */
  sha256: string;
}

/** `manifest.json`: how a corpus was built, and what it holds. */
export interface AozoraManifest {
  /** Always `"rnnlab-aozora-corpus"`. */
  format: string;
  /** Bumped when the layout of the manifest or of the text changes. */
  version: number;
  /** The MeCab that segmented the text. */
  mecab: {
    /** `mecab_version()`. */
    version: string;
    /** The system dictionary. */
    dictionary: {
      /** Its folder name, e.g. `"ipadic-utf8"`. */
      name: string;
      /** Its charset. */
      charset: string;
      /** Its format version. */
      version: number;
      /** Its number of entries. */
      words: number;
      /** SHA-256 over its files' SHA-256s ({@linkcode hashDictionary}). */
      sha256: string;
      /** Per file: SHA-256. */
      files: Record<string, string>;
    };
  };
  /** The source texts, in the order they were read. */
  sources: ManifestSource[];
  /** The three output files. */
  splits: { train: ManifestSplit; valid: ManifestSplit; test: ManifestSplit };
  /** Distinct words over all three files. */
  vocabulary: number;
}

const SPLITS = ["train", "valid", "test"] as const;
type Split = (typeof SPLITS)[number];

/** The three texts of a corpus as {@linkcode segmentAozoraCorpus} makes them, and their manifest. */
export interface SegmentedCorpus {
  /** `train.txt`, `valid.txt` and `test.txt` as UTF-8 bytes. */
  texts: Record<"train" | "valid" | "test", Uint8Array<ArrayBuffer>>;
  /** What `manifest.json` holds. */
  manifest: AozoraManifest;
}

/**
 * Cleans and segments the sources and returns the three texts and the manifest, in memory (what
 * {@linkcode buildAozoraCorpus} writes; a run on the Soseki corpus builds it this way, in a few
 * seconds, instead of reading a folder that may be stale). Bad input is a {@linkcode UserError}.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { segmentAozoraCorpus } from "@rnnlab/rnnlab";
 * const { texts, manifest } = await segmentAozoraCorpus(); // AOZORA_DIR, the cache, Aozora
 * assert.equal(manifest.splits.test.bytes, texts.test.length);
 * ```
 */
export async function segmentAozoraCorpus(
  options: SegmentAozoraOptions = {},
): Promise<SegmentedCorpus> {
  const log = options.log ?? (() => {});
  using mecab = openMecab(options.mecab);
  const sources = options.inputs && options.inputs.length > 0
    ? await readInputs(options.inputs)
    : await findSosekiWorks(options);
  const splitOf = assignSplits(sources, options.valid ?? ["785"], options.test ?? ["773"]);

  const lines: Record<Split, string[]> = { train: [], valid: [], test: [] };
  const manifestSources: ManifestSource[] = [];
  sources.forEach((s, k) => {
    const split = splitOf[k];
    const { sentences } = parseAozora(s.text);
    const before = lines[split].length;
    let words = 0, unknown = 0;
    for (const sentence of sentences) {
      const w = segment(mecab.wakati, sentence);
      if (w.length === 0) continue;
      for (const x of w) if (x === UNK) unknown++;
      words += w.length;
      lines[split].push(w.join(" "));
    }
    manifestSources.push({
      id: s.id,
      work: s.work,
      title: s.title,
      file: s.file,
      sha256: s.sha256,
      encoding: s.encoding,
      known: s.known !== null,
      split,
      sentences: lines[split].length - before,
      words,
      unknown,
    });
    log(
      `segmented ${k + 1}/${sources.length} ${s.title} (${s.work}, ${split}): ` +
        `${manifestSources[k].sentences} sentences, ${words} words`,
    );
  });

  const dictionary = mecab.info.dictionary;
  const digest = await hashDictionary(dictionary.dir);
  const texts = {} as Record<Split, Uint8Array<ArrayBuffer>>;
  const splits = {} as Record<Split, ManifestSplit>;
  const all = new Set<string>();
  for (const split of SPLITS) {
    const text = lines[split].map((l) => l + "\n").join("");
    texts[split] = new TextEncoder().encode(text);
    const vocab = new Set<string>();
    let words = 0;
    for (const l of lines[split]) {
      for (const w of l.split(" ")) {
        vocab.add(w);
        all.add(w);
        words++;
      }
    }
    splits[split] = {
      file: `${split}.txt`,
      works: manifestSources.filter((m) => m.split === split).map((m) => m.id),
      sentences: lines[split].length,
      words,
      tokens: words + lines[split].length,
      vocabulary: vocab.size,
      bytes: texts[split].length,
      sha256: await sha256Hex(texts[split]),
    };
  }
  const manifest: AozoraManifest = {
    format: "rnnlab-aozora-corpus",
    version: 1,
    mecab: {
      version: mecab.info.version,
      dictionary: {
        name: dictionary.name,
        charset: dictionary.charset,
        version: dictionary.version,
        words: dictionary.words,
        sha256: digest.sha256,
        files: digest.files,
      },
    },
    sources: manifestSources,
    splits,
    vocabulary: all.size,
  };
  return { texts, manifest };
}

/**
 * Builds `train.txt`, `valid.txt`, `test.txt` and `manifest.json` in `options.out` and returns
 * the manifest. Bad input (an `out` that is not empty, an unknown `--valid` work, a missing or
 * damaged source, no MeCab) is a {@linkcode UserError}, and nothing is written.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { buildAozoraCorpus, loadTextCorpus } from "@rnnlab/rnnlab";
 * const m = await buildAozoraCorpus({ out: "corpora/soseki", log: console.error });
 * assert.deepEqual(m.splits.valid.works, ["785_ruby_1656"]); // 門
 * assert.deepEqual(m.splits.test.works, ["773_ruby_5968"]); // こころ
 * // The counts with Debian's MeCab 0.996 and mecab-ipadic-utf8:
 * assert.equal(m.splits.train.tokens, 1479679);
 * assert.equal(m.vocabulary, 31911);
 * const corpus = await loadTextCorpus({
 *   train: "corpora/soseki/train.txt",
 *   valid: "corpora/soseki/valid.txt",
 *   test: "corpora/soseki/test.txt",
 * });
 * assert.equal(corpus.train.length, m.splits.train.tokens);
 * assert.equal(corpus.test.length, m.splits.test.tokens);
 * ```
 */
export async function buildAozoraCorpus(options: AozoraCorpusOptions): Promise<AozoraManifest> {
  const out = resolve(options.out);
  await checkOut(out);
  const { texts, manifest } = await segmentAozoraCorpus(options);
  await writeAll(out, {
    "train.txt": texts.train,
    "valid.txt": texts.valid,
    "test.txt": texts.test,
    "manifest.json": new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"),
  });
  return manifest;
}

/** The words of one sentence: MeCab's, with each `<unk>` kept as one word. */
function segment(wakati: (text: string) => string[], sentence: string): string[] {
  if (!sentence.includes(UNK)) return wakati(sentence);
  const out: string[] = [];
  sentence.split(UNK).forEach((piece, i) => {
    if (i > 0) out.push(UNK);
    if (piece !== "") out.push(...wakati(piece));
  });
  return out;
}

async function readInputs(inputs: readonly string[]): Promise<AozoraSource[]> {
  const sources: AozoraSource[] = [];
  const seen = new Map<string, string>();
  for (const input of inputs) {
    for (const s of await readAozoraInput(input)) {
      const before = seen.get(s.sha256);
      if (before !== undefined) {
        throw new UserError(`${s.path} is the same text as ${before}; give each work once`);
      }
      seen.set(s.sha256, s.path);
      sources.push(s);
    }
  }
  return sources;
}

/** Each source's split: the named valid and test works, everything else train. */
function assignSplits(
  sources: readonly AozoraSource[],
  valid: readonly string[],
  test: readonly string[],
): Split[] {
  const splitOf: Split[] = sources.map(() => "train");
  const usable = sources.map((s) => `${s.work} (${s.title})`).join(", ");
  for (const [split, ids] of [["valid", valid], ["test", test]] as const) {
    for (const id of ids) {
      const hits = sources.flatMap((s, k) =>
        s.work === id || s.id === id || s.title === id ? [k] : []
      );
      if (hits.length === 0) {
        const known = SOSEKI_WORKS.find((w) => w.work === id || w.id === id || w.title === id);
        throw new UserError(
          `--${split} ${id}: no such work among the sources${
            known ? ` (${known.title} is not one of them)` : ""
          }; choose one of ${usable}`,
        );
      }
      for (const k of hits) {
        if (splitOf[k] !== "train") {
          throw new UserError(`work ${id} is named for both validation and test; name it once`);
        }
        splitOf[k] = split;
      }
    }
  }
  if (!splitOf.includes("train")) {
    throw new UserError("no work is left for training; name fewer works with --valid and --test");
  }
  return splitOf;
}

/** Refuses an `out` that exists and is not an empty folder. */
async function checkOut(out: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(out);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    if (e instanceof Deno.errors.NotADirectory) {
      throw new UserError(
        `--out ${out} cannot be created: part of its path is a file; choose a folder`,
      );
    }
    throw new UserError(`cannot use --out ${out}: ${oneLine(e)}`);
  }
  const empty = info.isDirectory && (await Array.fromAsync(Deno.readDir(out))).length === 0;
  if (!empty) {
    throw new UserError(
      `--out ${out} already exists and is not an empty folder; choose a new one (a corpus is never written over another)`,
    );
  }
}

/** Writes the files into a temporary folder beside `out`, then renames it to `out`. */
async function writeAll(out: string, files: Record<string, Uint8Array>): Promise<void> {
  const parent = dirname(out);
  let tmp: string | undefined;
  try {
    await Deno.mkdir(parent, { recursive: true });
    tmp = await Deno.makeTempDir({ dir: parent, prefix: `.${basename(out)}.`, suffix: ".tmp" });
    for (const [name, bytes] of Object.entries(files)) {
      await Deno.writeFile(`${tmp}/${name}`, bytes as Uint8Array<ArrayBuffer>);
    }
    // makeTempDir's folder is private (0700); a corpus folder is an ordinary one.
    if (Deno.build.os !== "windows") await Deno.chmod(tmp, 0o755);
    await checkOut(out); // nothing appeared there meanwhile
    await Deno.rename(tmp, out); // replaces an empty folder
    tmp = undefined;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(
      `cannot write the corpus to ${out} (${oneLine(e)}); check that ${parent} is writable`,
    );
  } finally {
    if (tmp !== undefined) await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
