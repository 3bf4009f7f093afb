/**
 * A tokenised corpus (train / valid / test id sequences and their vocabulary) and the loader for
 * user corpora: any UTF-8 text already split into words by white space (English, or Japanese
 * pre-segmented into words), given as three files or as one file split by token fractions.
 *
 * The vocabulary comes from the training part only. A word of valid/test that is not in it is
 * mapped to `<unk>` when the training text has `<unk>`; otherwise it is a {@linkcode UserError}.
 *
 * @module
 */

import { basename, extname, resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import { assertUtf8, readBytes } from "./files.ts";
import { sha256Hex } from "../core/hash.ts";
import { scanTokens, type TokenSpans } from "./tokenize.ts";
import { encodeSpans, WordTable } from "./vocab.ts";

/** One file (or one part of a file) a corpus was read from. */
export interface CorpusFile {
  /** `"train"`, `"valid"` or `"test"`. */
  split: string;
  /** Absolute path of the file. */
  path: string;
  /** SHA-256 of the whole file, lowercase hex. */
  sha256: string;
  /** Number of tokens this split holds. */
  tokens: number;
}

/** Token id sequences of the three splits, with the vocabulary built from train. */
export interface Corpus {
  /** Short name, e.g. `"ptb"`. */
  name: string;
  /** Training ids. */
  train: Int32Array;
  /** Validation ids (empty if the corpus has none). */
  valid: Int32Array;
  /** Test ids (empty if the corpus has none). */
  test: Int32Array;
  /** Words by id. */
  idToWord: string[];
  /** Ids by word. */
  wordToId: Map<string, number>;
  /** Number of distinct training words (`idToWord.length`). */
  vocabSize: number;
  /** Where each split came from. */
  files: CorpusFile[];
}

/** One split's text and origin, the input of {@linkcode assembleCorpus}. */
export interface SplitText {
  /** `"train"`, `"valid"` or `"test"`. */
  split: "train" | "valid" | "test";
  /** Absolute path of the file. */
  path: string;
  /** SHA-256 of the whole file. */
  sha256: string;
  /** The file's UTF-8 bytes (already known to be valid UTF-8). */
  bytes: Uint8Array;
  /** `scanTokens(bytes)`. */
  spans: TokenSpans;
  /** First token of this split (default 0). */
  from?: number;
  /** One past the last token of this split (default `spans.count`). */
  to?: number;
}

/**
 * Builds the vocabulary from the `train` split and encodes every split with it. Unknown words
 * of valid/test: `"error"` always fails; `"unk"` maps them to `<unk>` if train has it;
 * `"unk-add"` maps them to `<unk>`, adding it to the vocabulary when train lacks it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assembleCorpus } from "@rnnlab/rnnlab";
 * import { scanTokens } from "@rnnlab/rnnlab";
 * const split = (name: "train" | "test", text: string) => {
 *   const bytes = new TextEncoder().encode(text);
 *   return { split: name, path: `/${name}`, sha256: "", bytes, spans: scanTokens(bytes) };
 * };
 * const c = assembleCorpus("toy", [split("train", "a b\na"), split("test", "b a")], "error");
 * assert.equal(c.vocabSize, 3);
 * assert.equal(c.test.join(), "1,0");
 * assert.equal(c.valid.length, 0);
 * ```
 */
export function assembleCorpus(
  name: string,
  splits: readonly SplitText[],
  policy: "error" | "unk" | "unk-add",
): Corpus {
  const ordered = [...splits].sort((a, b) =>
    (a.split === "train" ? 0 : 1) - (b.split === "train" ? 0 : 1)
  );
  if (ordered[0]?.split !== "train") throw new Error("assembleCorpus: no train split");
  const table = new WordTable();
  const ids: Record<string, Int32Array> = {
    train: new Int32Array(0),
    valid: new Int32Array(0),
    test: new Int32Array(0),
  };
  const files = new Map<string, CorpusFile>();
  for (const s of ordered) {
    const from = s.from ?? 0, to = s.to ?? s.spans.count;
    if (s.split === "train" && to <= from) {
      throw new UserError(`training text ${s.path} has no tokens`);
    }
    const src = { path: s.path, split: s.split };
    ids[s.split] = encodeSpans(
      s.bytes,
      s.spans,
      from,
      to,
      table,
      s.split === "train" ? "add" : policy,
      src,
    );
    files.set(s.split, { split: s.split, path: s.path, sha256: s.sha256, tokens: to - from });
  }
  const idToWord = table.words();
  return {
    name,
    train: ids.train,
    valid: ids.valid,
    test: ids.test,
    idToWord,
    wordToId: new Map(idToWord.map((w, i) => [w, i])),
    vocabSize: idToWord.length,
    files: splits.map((s) => files.get(s.split)!),
  };
}

/** Options of {@linkcode loadTextCorpus}: three files, or one file and split fractions. */
export type TextCorpusOptions =
  | {
    /** Training text. */
    train: string;
    /** Validation text (optional). */
    valid?: string;
    /** Test text (optional). */
    test?: string;
    /** Corpus name; default: the train file's name without extension. */
    name?: string;
  }
  | {
    /** The one text file. */
    path: string;
    /** Fractions of the token sequence for train, valid, test: positive, summing to 1. */
    split: [number, number, number];
    /** Corpus name; default: the file's name without extension. */
    name?: string;
  };

/**
 * Loads a UTF-8, white-space-tokenised corpus. With one file, the token sequence is cut in order:
 * the first `round(f0 * L)` tokens are train, up to `round((f0 + f1) * L)` valid, the rest test.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTextCorpus } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/train.txt`, "the cat sat on the mat\n".repeat(8));
 * await Deno.writeTextFile(`${dir}/valid.txt`, "the mat sat\n");
 * const a = await loadTextCorpus({ train: `${dir}/train.txt`, valid: `${dir}/valid.txt` });
 * assert.equal(a.name, "train");
 * assert.deepEqual(a.idToWord, ["the", "cat", "sat", "on", "mat", "<eos>"]);
 * assert.deepEqual(Array.from(a.valid), [0, 4, 2, 5]);
 * assert.equal(a.test.length, 0);
 * // One file cut by token fractions: its 56 tokens give 45 train, 5 valid, 6 test.
 * const b = await loadTextCorpus({ path: `${dir}/train.txt`, split: [0.8, 0.1, 0.1] });
 * assert.deepEqual([b.train.length, b.valid.length, b.test.length], [45, 5, 6]);
 * assert.equal(b.vocabSize, 6);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadTextCorpus(
  options: TextCorpusOptions,
  unknown: "unk" | "unk-add" = "unk",
): Promise<Corpus> {
  if ("path" in options) {
    return await loadSplitFile(options.path, options.split, options.name, unknown);
  }
  const splits: SplitText[] = [];
  for (const split of ["train", "valid", "test"] as const) {
    const p = options[split];
    if (p === undefined) continue;
    splits.push({ split, ...await readText(p) });
  }
  return assembleCorpus(options.name ?? stem(options.train), splits, unknown);
}

async function readText(
  p: string,
): Promise<{ path: string; sha256: string; bytes: Uint8Array; spans: TokenSpans }> {
  const path = resolve(p);
  const bytes = await readBytes(path);
  assertUtf8(bytes, path);
  return { path, sha256: await sha256Hex(bytes), bytes, spans: scanTokens(bytes) };
}

async function loadSplitFile(
  p: string,
  fractions: [number, number, number],
  name: string | undefined,
  unknown: "unk" | "unk-add",
): Promise<Corpus> {
  checkFractions(fractions);
  const text = await readText(p);
  const L = text.spans.count;
  const trainEnd = Math.round(fractions[0] * L);
  const validEnd = Math.round((fractions[0] + fractions[1]) * L);
  if (trainEnd < 1 || validEnd - trainEnd < 1 || L - validEnd < 1) {
    throw new UserError(
      `${text.path} has only ${L} tokens, too few to split by [${fractions.join(", ")}]`,
    );
  }
  return assembleCorpus(name ?? stem(text.path), [
    { split: "train", ...text, from: 0, to: trainEnd },
    { split: "valid", ...text, from: trainEnd, to: validEnd },
    { split: "test", ...text, from: validEnd, to: L },
  ], unknown);
}

function checkFractions(f: readonly number[]): void {
  const ok = Array.isArray(f) && f.length === 3 &&
    f.every((x) => typeof x === "number" && Number.isFinite(x) && x > 0) &&
    Math.abs(f[0] + f[1] + f[2] - 1) <= 1e-9;
  if (!ok) {
    throw new UserError(
      `split fractions must be three positive numbers summing to 1 (e.g. 0.8,0.1,0.1); ` +
        `got [${Array.isArray(f) ? f.join(", ") : String(f)}]`,
    );
  }
}

function stem(path: string): string {
  const b = basename(path);
  return b.slice(0, b.length - extname(b).length) || b;
}

/**
 * The first `n` training tokens (a copy) and their vocabulary size `max(id) + 1`, as chapter 5
 * uses them (PTB, n = 1000 → vocabulary size 418).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Corpus, firstTrainTokens } from "@rnnlab/rnnlab";
 * const c = { name: "toy", train: new Int32Array([0, 1, 0, 2]) } as Corpus;
 * const { tokens, vocabSize } = firstTrainTokens(c, 3);
 * assert.equal(tokens.join(), "0,1,0");
 * assert.equal(vocabSize, 2);
 * ```
 */
export function firstTrainTokens(
  corpus: Corpus,
  n: number,
): { tokens: Int32Array; vocabSize: number } {
  if (!Number.isInteger(n) || n < 1) {
    throw new UserError(`the number of training tokens must be a positive integer; got ${n}`);
  }
  if (n > corpus.train.length) {
    throw new UserError(
      `corpus ${corpus.name} has only ${corpus.train.length} training tokens; asked for ${n}`,
    );
  }
  const tokens = corpus.train.slice(0, n);
  let max = -1;
  for (let i = 0; i < n; i++) if (tokens[i] > max) max = tokens[i];
  return { tokens, vocabSize: max + 1 };
}
