/**
 * The vocabulary: word ↔ id, built from the training tokens only, ids in order of first
 * appearance (PTB: `aer` → 0, `banknote` → 1, …), and the encoding of token spans into ids.
 *
 * Words are keyed by their UTF-8 bytes in an open-addressing hash table, so encoding a million
 * tokens does not create a million strings; {@linkcode WordTable.words} decodes the few distinct
 * ones at the end.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { EOS, type TokenSpans } from "./tokenize.ts";

/** The token a user corpus may use for out-of-vocabulary words. */
export const UNK = "<unk>";

const EOS_BYTES = new TextEncoder().encode(EOS);
const UNK_BYTES = new TextEncoder().encode(UNK);

/**
 * A growing map from words (UTF-8 byte strings) to ids 0, 1, 2, … in order of insertion.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WordTable } from "@rnnlab/rnnlab";
 * const t = new WordTable();
 * const b = new TextEncoder().encode("you say goodbye");
 * assert.equal(t.add(b, 0, 3), 0);
 * assert.equal(t.add(b, 4, 7), 1);
 * assert.equal(t.add(b, 0, 3), 0);
 * assert.equal(t.find(b, 8, 15), -1);
 * assert.equal(t.words().join(), "you,say");
 * ```
 */
export class WordTable {
  #slots = new Int32Array(1024).fill(-1); // id per slot, -1 empty
  #hashes = new Uint32Array(1024);
  #keyStart = new Int32Array(256);
  #keyEnd = new Int32Array(256);
  #arena = new Uint8Array(4096);
  #arenaLen = 0;
  #size = 0;

  /** Number of distinct words. */
  get size(): number {
    return this.#size;
  }

  /** The id of the word `bytes[start, end)`, or -1. */
  find(bytes: Uint8Array, start: number, end: number): number {
    const h = hashBytes(bytes, start, end);
    const mask = this.#slots.length - 1;
    for (let k = h & mask;; k = (k + 1) & mask) {
      const id = this.#slots[k];
      if (id < 0) return -1;
      if (this.#hashes[k] === h && this.#keyEquals(id, bytes, start, end)) return id;
    }
  }

  /** The id of the word `bytes[start, end)`, giving it the next id if it is new. */
  add(bytes: Uint8Array, start: number, end: number): number {
    const found = this.find(bytes, start, end);
    if (found >= 0) return found;
    const id = this.#size++;
    if (id === this.#keyStart.length) {
      this.#keyStart = grow(this.#keyStart, id * 2);
      this.#keyEnd = grow(this.#keyEnd, id * 2);
    }
    const len = end - start;
    if (this.#arenaLen + len > this.#arena.length) {
      const a = new Uint8Array(Math.max(this.#arena.length * 2, this.#arenaLen + len));
      a.set(this.#arena.subarray(0, this.#arenaLen));
      this.#arena = a;
    }
    this.#arena.set(bytes.subarray(start, end), this.#arenaLen);
    this.#keyStart[id] = this.#arenaLen;
    this.#arenaLen += len;
    this.#keyEnd[id] = this.#arenaLen;
    if (this.#size * 2 > this.#slots.length) this.#rehash(this.#slots.length * 2);
    else this.#insertSlot(id, hashBytes(bytes, start, end));
    return id;
  }

  /** The id of `word`, or -1. */
  findWord(word: string): number {
    const b = new TextEncoder().encode(word);
    return this.find(b, 0, b.length);
  }

  /** The words by id. */
  words(): string[] {
    const dec = new TextDecoder();
    const out: string[] = new Array(this.#size);
    for (let id = 0; id < this.#size; id++) {
      out[id] = dec.decode(this.#arena.subarray(this.#keyStart[id], this.#keyEnd[id]));
    }
    return out;
  }

  #keyEquals(id: number, bytes: Uint8Array, start: number, end: number): boolean {
    const a = this.#keyStart[id];
    if (this.#keyEnd[id] - a !== end - start) return false;
    const arena = this.#arena;
    for (let i = start; i < end; i++) if (arena[a + i - start] !== bytes[i]) return false;
    return true;
  }

  #insertSlot(id: number, h: number): void {
    const mask = this.#slots.length - 1;
    let k = h & mask;
    while (this.#slots[k] >= 0) k = (k + 1) & mask;
    this.#slots[k] = id;
    this.#hashes[k] = h;
  }

  #rehash(capacity: number): void {
    this.#slots = new Int32Array(capacity).fill(-1);
    this.#hashes = new Uint32Array(capacity);
    for (let id = 0; id < this.#size; id++) {
      this.#insertSlot(id, hashBytes(this.#arena, this.#keyStart[id], this.#keyEnd[id]));
    }
  }
}

/** FNV-1a over `bytes[start, end)`. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

function grow(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

/** What {@linkcode encodeSpans} does with a word that is not in the table. */
export type UnknownPolicy =
  /** Give it a new id (building the training vocabulary). */
  | "add"
  /** A {@linkcode UserError} (PTB: every valid/test word is in the train vocabulary). */
  | "error"
  /** Map it to `<unk>` when the table has `<unk>`, else a {@linkcode UserError}. */
  | "unk"
  /** Map it to `<unk>`, adding `<unk>` to the table if it is not there (a capped vocabulary). */
  | "unk-add";

/** Where tokens came from, for error messages. */
export interface TokenSource {
  /** File the tokens were read from. */
  path: string;
  /** Split name, e.g. `"valid"`. */
  split: string;
}

/**
 * Encodes tokens `from` ≤ k < `to` of `spans` (found in `bytes`) with `table`. Unknown words
 * follow `policy`; the error names the word, the file, the split and the line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scanTokens } from "@rnnlab/rnnlab";
 * import { encodeSpans, WordTable } from "@rnnlab/rnnlab";
 * const b = new TextEncoder().encode("a <unk> b\nb zzz a");
 * const s = scanTokens(b), t = new WordTable(), src = { path: "c.txt", split: "train" };
 * assert.equal(encodeSpans(b, s, 0, 4, t, "add", src).join(), "0,1,2,3");
 * assert.equal(encodeSpans(b, s, 4, 7, t, "unk", src).join(), "2,1,0");
 * ```
 */
export function encodeSpans(
  bytes: Uint8Array,
  spans: TokenSpans,
  from: number,
  to: number,
  table: WordTable,
  policy: UnknownPolicy,
  source: TokenSource,
): Int32Array {
  const out = new Int32Array(to - from);
  const { starts, ends } = spans;
  const add = policy === "add";
  let unk = policy === "unk" || policy === "unk-add" ? table.findWord(UNK) : -1;
  let eos = add ? -2 : table.find(EOS_BYTES, 0, EOS_BYTES.length);
  for (let k = from; k < to; k++) {
    const s = starts[k];
    let id: number;
    if (s < 0) {
      if (eos === -2) eos = table.add(EOS_BYTES, 0, EOS_BYTES.length);
      id = eos;
    } else {
      id = add ? table.add(bytes, s, ends[k]) : table.find(bytes, s, ends[k]);
    }
    if (id < 0) {
      if (unk < 0 && policy === "unk-add") unk = table.add(UNK_BYTES, 0, UNK_BYTES.length);
      if (unk < 0) throw unknownWord(bytes, spans, k, policy, source);
      id = unk;
    }
    out[k - from] = id;
  }
  return out;
}

function unknownWord(
  bytes: Uint8Array,
  spans: TokenSpans,
  k: number,
  policy: UnknownPolicy,
  source: TokenSource,
): UserError {
  let line = 1;
  for (let j = 0; j < k; j++) if (spans.starts[j] < 0) line++;
  const word = spans.starts[k] < 0
    ? EOS
    : new TextDecoder().decode(bytes.subarray(spans.starts[k], spans.ends[k]));
  const fix = policy === "unk"
    ? `the training text has no ${UNK} to map it to; cap the vocabulary with --vocab-size N ` +
      `(every other word becomes ${UNK}), or replace rare words with ${UNK} in the training text`
    : "the files do not belong together; use the canonical files";
  return new UserError(
    `word '${word}' in ${source.path} (${source.split} split, line ${line}) is not in the ` +
      `training vocabulary; ${fix}`,
  );
}
