/**
 * Evaluation perplexity exactly as the book scores valid and test (SPEC §5): batch 10, 35 steps,
 * no dropout, state carried from window to window, the tail that does not fill a window dropped.
 *
 * @module
 */

import type { LanguageModel } from "../models/model.ts";

/** The window layout used to score a corpus. */
export interface EvalLayout {
  /** Number of windows: `floor((L - 1) / (N * T))`. */
  windows: number;
  /** Distance between stream starts: `floor((L - 1) / N)`. */
  jump: number;
  /** Targets scored: `windows * N * T`. */
  scored: number;
}

/**
 * The windows that {@linkcode evalPerplexity} feeds for a corpus of `length` tokens.
 *
 * @example
 * ```ts
 * import { evalLayout } from "./evaluate.ts";
 * const l = evalLayout(82430); // PTB test
 * console.assert(l.windows === 235 && l.scored === 82250);
 * ```
 */
export function evalLayout(length: number, batchSize = 10, timeSize = 35): EvalLayout {
  const windows = Math.floor((length - 1) / (batchSize * timeSize));
  return {
    windows,
    jump: Math.floor((length - 1) / batchSize),
    scored: windows * batchSize * timeSize,
  };
}

/**
 * Scores `corpus` with `model` and returns `exp(mean window loss)`. Window `k` feeds stream `i`
 * the tokens starting at `k * T + i * jump`; the model's carried state flows between windows. The
 * caller resets the state before and after, as the book does.
 *
 * @example
 * ```ts ignore
 * model.resetState();
 * const ppl = evalPerplexity(model, corpus.test);
 * model.resetState();
 * ```
 */
export function evalPerplexity(
  model: LanguageModel,
  corpus: Int32Array,
  batchSize = 10,
  timeSize = 35,
  onWindow?: (k: number, windows: number) => void,
): number {
  const { windows, jump } = evalLayout(corpus.length, batchSize, timeSize);
  if (windows < 1) {
    throw new Error(
      `corpus of ${corpus.length} tokens is shorter than one evaluation window (${batchSize} x ${timeSize} + 1)`,
    );
  }
  const xs = new Int32Array(batchSize * timeSize);
  const ts = new Int32Array(batchSize * timeSize);
  let total = 0;
  for (let k = 0; k < windows; k++) {
    for (let t = 0; t < timeSize; t++) {
      for (let i = 0; i < batchSize; i++) {
        const p = k * timeSize + i * jump + t;
        xs[t * batchSize + i] = corpus[p];
        ts[t * batchSize + i] = corpus[p + 1];
      }
    }
    total += model.forward(xs, ts, batchSize, timeSize, false);
    onWindow?.(k, windows);
  }
  return Math.exp(total / windows);
}
