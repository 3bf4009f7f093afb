/**
 * The training plan: everything that decides how a model is trained (batching, learning rate and
 * its schedule, clipping, epochs, what is scored and when). An experiment computes it once from its
 * hyperparameters; the same object then flows down unchanged to the trainer and the batcher.
 *
 * The per-epoch schedule of chapter 6's BetterRnnlm is the pure function {@linkcode afterEpoch}:
 * after an epoch whose validation perplexity improved on the best so far, keep the rate (and save
 * the parameters as the new best); otherwise divide the rate by `lrDecay` (4 in the book).
 *
 * @module
 */

/** How to train: the one object an experiment derives from its hyperparameters. */
export interface TrainPlan {
  /** Parallel streams `N` per batch. */
  batchSize: number;
  /** Time steps `T` per batch (the truncated-BPTT length). */
  timeSize: number;
  /** Initial SGD learning rate. */
  lr: number;
  /** Epochs to train. */
  maxEpoch: number;
  /** Global-norm clipping threshold, or null for none. */
  maxGrad: number | null;
  /** Report training perplexity every this many iterations, or null for once per epoch. */
  evalInterval: number | null;
  /** Score valid perplexity after every epoch. */
  validEachEpoch: boolean;
  /** When valid does not improve, divide lr by this (BetterRnnlm: 4); null to keep lr. */
  lrDecay: number | null;
  /** Score test perplexity at the end. */
  testAtEnd: boolean;
  /** Book batching (true) or padded streams that never wrap (false). */
  wrap: boolean;
  /**
   * Start every epoch afresh, as the book's BetterRnnlm loop does by calling `fit` once per epoch:
   * the streams go back to the start and the interval report does not carry the last batches of the
   * previous epoch.
   */
  restartEachEpoch: boolean;
  /** OpenBLAS threads for this run (tiny products run faster on one); 0: the library's default. */
  blasThreads: number;
}

/**
 * The plan of chapter 5's hand-written loop: no clipping, a report per epoch, nothing scored but
 * training perplexity, the book's wrapping batches. `overrides` changes any field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { basicPlan } from "@rnnlab/rnnlab";
 * const plan = basicPlan({ batchSize: 10, timeSize: 5, lr: 0.1, maxEpoch: 100 });
 * assert.equal(plan.maxGrad, null);
 * assert.equal(plan.testAtEnd, false);
 * ```
 */
export function basicPlan(
  overrides: Pick<TrainPlan, "batchSize" | "timeSize" | "lr" | "maxEpoch"> & Partial<TrainPlan>,
): TrainPlan {
  return {
    maxGrad: null,
    evalInterval: null,
    validEachEpoch: false,
    lrDecay: null,
    testAtEnd: false,
    wrap: true,
    restartEachEpoch: false,
    blasThreads: 0,
    ...overrides,
  };
}

/** What the schedule carries from one epoch to the next. */
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
