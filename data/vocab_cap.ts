/**
 * A vocabulary cap for any corpus (the `--vocab-size N` option): `N` words are kept, `<unk>`
 * and the sentence end `<eos>` (when the text has it) among them, the others the most frequent
 * training words; every other word of train, valid and test becomes `<unk>`. PTB's vocabulary
 * was made this way (10,000 words, `<unk>` and `<eos>` included).
 *
 * - Words are ranked by their count in the training ids; a tie goes to the word that appears first
 *   in the training text (the lower id, since ids are given in order of first appearance). The
 *   ranking never depends on hashing or on the machine.
 * - `<eos>` is always kept: it is where sentences end, not a word to forget.
 * - Kept words keep their relative order, so their ids stay in order of first appearance. `<unk>`
 *   keeps its place when the training text has it, and is the last id otherwise.
 * - A corpus with at most `N` distinct training words is returned as it is.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { UNK } from "./vocab.ts";
import { EOS } from "./tokenize.ts";

/** The id sequences and words of a corpus, before or after a cap. */
export interface VocabularyIds {
  /** Training ids, `0 <= id < idToWord.length`. */
  train: Int32Array;
  /** Validation ids. */
  valid: Int32Array;
  /** Test ids. */
  test: Int32Array;
  /** Words by id. */
  idToWord: string[];
}

/** What {@linkcode capVocabulary} returns: the capped corpus and how many tokens became `<unk>`. */
export interface CappedVocabulary extends VocabularyIds {
  /** How many tokens of each split were mapped to `<unk>` by the cap. */
  replaced: { train: number; valid: number; test: number };
}

/**
 * Keeps `n` words (`<unk>`, `<eos>` and the most frequent other training words) and maps the
 * rest to `<unk>` in every split. `n` must be an integer of at least 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { capVocabulary } from "@rnnlab/rnnlab";
 * // a: 3 times, b: 2, c: 2 (c ties with b and comes later), d: 1; no <eos> here
 * const idToWord = ["a", "b", "c", "d"];
 * const train = Int32Array.from([0, 1, 2, 0, 1, 2, 3, 0]);
 * const capped = capVocabulary({ train, valid: Int32Array.from([3, 1]), test: Int32Array.from([2]), idToWord }, 3);
 * assert.deepEqual(capped.idToWord, ["a", "b", "<unk>"]);
 * assert.equal(capped.train.join(), "0,1,2,0,1,2,2,0");
 * assert.equal(capped.valid.join(), "2,1");
 * assert.deepEqual(capped.replaced, { train: 3, valid: 1, test: 1 });
 * ```
 */
export function capVocabulary(corpus: VocabularyIds, n: number): CappedVocabulary {
  if (!Number.isInteger(n) || n < 2) {
    throw new UserError(
      `--vocab-size ${n}: give an integer of at least 2 (or 0 for every training word)`,
    );
  }
  const V = corpus.idToWord.length;
  const none = { train: 0, valid: 0, test: 0 };
  if (V <= n) return { ...corpus, replaced: none };
  const counts = new Float64Array(V);
  for (let i = 0; i < corpus.train.length; i++) counts[corpus.train[i]]++;

  const unkOld = corpus.idToWord.indexOf(UNK), eos = corpus.idToWord.indexOf(EOS);
  const ranked: number[] = [];
  for (let id = 0; id < V; id++) {
    if (id !== unkOld && id !== eos && counts[id] > 0) ranked.push(id);
  }
  ranked.sort((a, b) => counts[b] - counts[a] || a - b); // count down, then first appearance
  const keep = new Uint8Array(V);
  const others = n - 1 - (eos >= 0 ? 1 : 0);
  for (let k = 0; k < Math.min(others, ranked.length); k++) keep[ranked[k]] = 1;
  if (unkOld >= 0) keep[unkOld] = 1;
  if (eos >= 0) keep[eos] = 1;

  const newId = new Int32Array(V).fill(-1);
  const idToWord: string[] = [];
  for (let id = 0; id < V; id++) {
    if (keep[id]) {
      newId[id] = idToWord.length;
      idToWord.push(corpus.idToWord[id]);
    }
  }
  const unk = unkOld >= 0 ? newId[unkOld] : idToWord.push(UNK) - 1;
  for (let id = 0; id < V; id++) if (newId[id] < 0) newId[id] = unk;

  const replaced = { ...none };
  const map = (ids: Int32Array, split: keyof typeof none) => {
    const out = new Int32Array(ids.length); // (L,)
    let r = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      out[i] = newId[id];
      if (!keep[id]) r++;
    }
    replaced[split] = r;
    return out;
  };
  return {
    train: map(corpus.train, "train"),
    valid: map(corpus.valid, "valid"),
    test: map(corpus.test, "test"),
    idToWord,
    replaced,
  };
}
