/**
 * Evaluation perplexity exactly as the book scores valid and test (docs/model.md#evaluation-perplexity): batch 10, 35 steps,
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
 * import assert from "node:assert/strict";
 * import { evalLayout } from "@rnnlab/rnnlab";
 * const l = evalLayout(82430); // PTB test
 * assert.deepEqual(l, { windows: 235, jump: 8242, scored: 82250 });
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

/** Options of {@linkcode evalPerplexity}. */
export interface EvalOptions {
  /** Streams per window (default 10, as the book scores). */
  batchSize?: number;
  /** Steps per window (default 35). */
  timeSize?: number;
  /** Called after every window with its index and the number of windows. */
  onWindow?: (k: number, windows: number) => void;
  /** Polled before every window; when it returns true the scoring stops and returns null. */
  shouldStop?: () => boolean;
}

/**
 * Scores `corpus` with `model` and returns `exp(mean window loss)`. Window `k` feeds stream `i`
 * the tokens starting at `k * T + i * jump`; the model's carried state flows between windows. The
 * caller resets the state before and after, as the book does. With `shouldStop` the result is
 * null when it asked to stop before the last window.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evalPerplexity, Rng, SimpleRnnlm } from "@rnnlab/rnnlab";
 * const corpus = Int32Array.from({ length: 800 }, (_, i) => i % 20);
 * const model = new SimpleRnnlm(20, 8, 8, new Rng(1));
 * model.resetState();
 * const ppl = evalPerplexity(model, corpus); // 2 windows of 10 x 35
 * assert.ok(ppl > 15 && ppl < 25, `an untrained model is near uniform over 20 words: ${ppl}`);
 * model.resetState();
 * assert.equal(evalPerplexity(model, corpus, { shouldStop: () => true }), null);
 * ```
 */
export function evalPerplexity(
  model: LanguageModel,
  corpus: Int32Array,
  options?: Omit<EvalOptions, "shouldStop">,
): number;
/** {@linkcode evalPerplexity} with a `shouldStop` hook: null when it stopped before the end. */
export function evalPerplexity(
  model: LanguageModel,
  corpus: Int32Array,
  options: EvalOptions,
): number | null;
export function evalPerplexity(
  model: LanguageModel,
  corpus: Int32Array,
  options: EvalOptions = {},
): number | null {
  const batchSize = options.batchSize ?? 10, timeSize = options.timeSize ?? 35;
  const { windows, jump } = evalLayout(corpus.length, batchSize, timeSize);
  if (windows < 1) {
    throw new Error(
      `corpus of ${corpus.length} tokens is shorter than one evaluation window (${batchSize} x ${timeSize} + 1)`,
    );
  }
  const xs = new Int32Array(batchSize * timeSize); // (T, N) time-major
  const ts = new Int32Array(batchSize * timeSize);
  let total = 0;
  for (let k = 0; k < windows; k++) {
    if (options.shouldStop?.()) return null;
    for (let t = 0; t < timeSize; t++) {
      for (let i = 0; i < batchSize; i++) {
        const p = k * timeSize + i * jump + t;
        xs[t * batchSize + i] = corpus[p];
        ts[t * batchSize + i] = corpus[p + 1];
      }
    }
    total += model.forward(xs, ts, batchSize, timeSize, false);
    options.onWindow?.(k, windows);
  }
  return Math.exp(total / windows);
}
