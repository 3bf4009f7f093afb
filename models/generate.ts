/**
 * Text generation from a trained language model: feed the start words, then repeatedly sample
 * the next word from `softmax(scores / temperature)` with the seeded generator (the book's
 * `RnnlmGen.generate`, with temperature and `<unk>` excluded unless asked for).
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import type { Rng } from "../core/random.ts";
import type { LanguageModel } from "./model.ts";

/** Options of {@linkcode generateWords}. */
export interface GenerateOptions {
  /** Words to sample after the start words. */
  words: number;
  /** Divides the scores before the softmax: < 1 sharper, > 1 flatter. */
  temperature: number;
  /** Ids never sampled (by default `<unk>`). */
  skipIds: number[];
}

/**
 * Samples `options.words` ids after `start` (ids, fed first). Resets the model's state before.
 *
 * @example
 * ```ts ignore
 * const ids = generateWords(model, [ptb.wordToId.get("the")!], rng, {
 *   words: 100, temperature: 1, skipIds: [ptb.wordToId.get("<unk>")!],
 * });
 * ```
 */
export function generateWords(
  model: LanguageModel,
  start: number[],
  rng: Rng,
  options: GenerateOptions,
): number[] {
  if (start.length === 0) throw new UserError("--start needs at least one word");
  if (!(options.temperature > 0)) throw new UserError("--temperature must be > 0");
  const x = new Int32Array(1);
  const skip = new Set(options.skipIds);
  const out: number[] = [];
  model.resetState();
  let scores: Float32Array = new Float32Array(0);
  for (const id of start) {
    x[0] = id;
    scores = model.predict(x, 1, 1);
  }
  const V = scores.length;
  const p = new Float64Array(V);
  for (let k = 0; k < options.words; k++) {
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (!skip.has(v) && scores[v] > max) max = scores[v];
    let sum = 0;
    for (let v = 0; v < V; v++) {
      p[v] = skip.has(v) ? 0 : Math.exp((scores[v] - max) / options.temperature);
      sum += p[v];
    }
    let u = rng.uniform() * sum;
    let next = -1;
    for (let v = 0; v < V; v++) {
      if (p[v] === 0) continue;
      next = v;
      u -= p[v];
      if (u < 0) break;
    }
    out.push(next);
    x[0] = next;
    scores = model.predict(x, 1, 1);
  }
  return out;
}

/**
 * Joins words as text, each `<eos>` becoming a line break (as the book prints generated text).
 * Words are separated by `separator`: a space for English, nothing for Japanese, which is
 * written without spaces between words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wordsToText } from "@rnnlab/rnnlab";
 * assert.equal(wordsToText(["you", "say", "<eos>", "i", "say"]), "you say\ni say");
 * assert.equal(wordsToText(["吾輩", "は", "猫", "で", "ある", "。", "<eos>", "名前"], ""), "吾輩は猫である。\n名前");
 * ```
 */
export function wordsToText(words: string[], separator = " "): string {
  const lines: string[] = [];
  let line: string[] = [];
  for (const w of words) {
    if (w === "<eos>") {
      lines.push(line.join(separator));
      line = [];
    } else line.push(w);
  }
  lines.push(line.join(separator)); // a last <eos> leaves a line break at the end
  return lines.join("\n");
}
