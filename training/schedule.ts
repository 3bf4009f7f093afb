/**
 * The per-epoch learning-rate policy of chapter 6's BetterRnnlm, as a pure function: after an
 * epoch whose validation perplexity improved on the best so far, keep the rate and save the
 * parameters as the new best; otherwise divide the rate by `lrDecay` (4 in the book).
 *
 * The runner scores valid, asks {@linkcode afterEpoch} what to do and does it, so the policy can
 * be tested against any scripted sequence of scores, independent of training noise.
 *
 * @module
 */

/** What the policy carries from one epoch to the next. */
export interface ScheduleState {
  /** The lowest validation perplexity so far, or null before the first scored epoch. */
  bestValid: number | null;
  /** The learning rate the epoch just finished trained with. */
  lr: number;
}

/** What to do after an epoch. */
export interface EpochDecision {
  /** Whether the epoch's validation perplexity is strictly lower than the best so far. */
  improved: boolean;
  /** The best validation perplexity after this epoch. */
  bestValid: number;
  /** The learning rate for the next epoch. */
  lr: number;
}

/**
 * Decides what follows an epoch whose validation perplexity was `valid`. A tie with the best is
 * not an improvement (the book compares with `<`). With `lrDecay` null the rate never changes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { afterEpoch } from "@rnnlab/rnnlab";
 * const first = afterEpoch(4, { bestValid: null, lr: 20 }, 150);
 * assert.deepEqual(first, { improved: true, bestValid: 150, lr: 20 });
 * const worse = afterEpoch(4, { bestValid: 150, lr: 20 }, 151);
 * assert.deepEqual(worse, { improved: false, bestValid: 150, lr: 5 });
 * ```
 */
export function afterEpoch(
  lrDecay: number | null,
  state: ScheduleState,
  valid: number,
): EpochDecision {
  const improved = state.bestValid === null || valid < state.bestValid;
  return {
    improved,
    bestValid: improved ? valid : state.bestValid!,
    lr: improved || lrDecay === null ? state.lr : state.lr / lrDecay,
  };
}
