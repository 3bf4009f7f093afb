/**
 * The interface every language model implements, so that one trainer, one evaluator and one
 * checkpoint format serve them all.
 *
 * Batches are **time-major**: a batch of `N` streams and `T` steps is an `Int32Array` of `T * N`
 * word ids where row `r = t * N + n` is stream `n` at step `t`. Every activation buffer follows
 * the same row order, `(T*N, width)`, so each time step is one contiguous `(N, width)` block.
 *
 * @module
 */

import type { Param } from "../core/param.ts";

/**
 * A recurrent language model: forward to a mean loss, backward into every `Param.grad`.
 *
 * @example
 * ```ts ignore
 * const loss = model.forward(xs, ts, N, T, true); // mean cross-entropy over counted rows
 * model.backward();                               // every param.grad overwritten in place
 * for (const p of model.params) sgd(p);
 * ```
 */
export interface LanguageModel {
  /** The distinct trainable parameters (a tied parameter appears once), in a stable order. */
  readonly params: Param[];
  /**
   * Runs the model on a time-major batch and returns the mean loss over the rows whose target
   * is not -1. `train` turns dropout on and prepares the backward pass.
   */
  forward(
    xs: Int32Array,
    ts: Int32Array,
    batchSize: number,
    timeSize: number,
    train: boolean,
  ): number;
  /** Back-propagates the last training forward pass; overwrites every `param.grad`. */
  backward(): void;
  /** Forgets the carried hidden (and cell) state. */
  resetState(): void;
  /** The carried state as copies (hidden, and cell for LSTMs), for checkpoints; empty if none yet. */
  getState(): Float32Array[];
  /** Restores a state returned by {@linkcode LanguageModel.getState}. */
  setState(state: Float32Array[]): void;
  /**
   * Runs the model forward without a loss and returns the scores `(T*N, V)` of the last step's
   * input (a view into a reused buffer); used for text generation.
   */
  predict(xs: Int32Array, batchSize: number, timeSize: number): Float32Array;
}
