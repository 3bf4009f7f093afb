/**
 * Truncated-BPTT batching (docs/model.md#truncated-bptt-batching): `N` parallel streams over one long corpus, each advancing `T`
 * tokens per batch, so that the hidden state carried from one batch to the next belongs to the
 * same stream.
 *
 * Two modes:
 * - **wrap** (the book's): stream `i` starts at `i * floor(L / N)`; a global counter `timeIdx`
 *   advances by `T` per batch and is never reset, and indices wrap modulo `L`, so the last stream
 *   runs from the end of the corpus into its start.
 *   With `restartEachEpoch` the counter goes back to 0 at each epoch instead.
 * - **no-wrap**: the corpus is cut into `N` segments whose lengths differ by at most one token;
 *   each epoch every stream reads its own segment from its start, and positions past a segment's
 *   end are padded with target `-1` (ignored by the loss), so text never runs into unrelated
 *   text. Balanced segments keep the last batch of an epoch nearly full: a last batch of a few
 *   real tokens would still make a full-size SGD step (the loss is a mean over counted rows).
 *
 * @module
 */

import type { TrainPlan } from "./plan.ts";

/** The part of a {@linkcode TrainPlan} that decides the batches. */
export type BatchPlan = Pick<TrainPlan, "batchSize" | "timeSize" | "wrap" | "restartEachEpoch">;

/** Where the batcher is, for checkpoints: restoring it continues the same batch sequence. */
export interface BatcherState {
  /** Tokens advanced since the start (wrap) or since the start of the epoch (no-wrap). */
  timeIdx: number;
}

/**
 * Builds time-major batches (`x[t * N + n]`) from inputs `xs` and targets `ts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Batcher } from "@rnnlab/rnnlab";
 * const corpus = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
 * const plan = { batchSize: 2, timeSize: 2, wrap: true, restartEachEpoch: false };
 * const b = new Batcher(corpus.subarray(0, 10), corpus.subarray(1), plan);
 * b.next();
 * // stream 0 starts at 0, stream 1 at floor(10 / 2) = 5; rows are time-major
 * assert.deepEqual(Array.from(b.x), [0, 5, 1, 6]);
 * assert.equal(b.itersPerEpoch, 2);
 * ```
 */
export class Batcher {
  /** Inputs of the current batch, `(T, N)` time-major. */
  readonly x: Int32Array;
  /** Targets of the current batch, `(T, N)`; -1 on padded positions. */
  readonly t: Int32Array;
  /** Iterations that make one epoch. */
  readonly itersPerEpoch: number;
  /** Number of targets that are real tokens (not padding) in one epoch. */
  readonly tokensPerEpoch: number;
  /** Parallel streams `N`. */
  readonly batchSize: number;
  /** Time steps `T` per batch. */
  readonly timeSize: number;
  /** Whether streams wrap around the corpus (the book's batching) rather than being padded. */
  readonly wrap: boolean;
  #xs: Int32Array;
  #ts: Int32Array;
  #starts: Int32Array;
  #ends: Int32Array;
  #timeIdx = 0;
  #restartEachEpoch: boolean;

  /**
   * Batches inputs `xs` and targets `ts` (equal lengths; throws otherwise) as `plan` says: its
   * `batchSize` streams of `timeSize` steps, wrapping or padded, restarted each epoch or not.
   */
  constructor(xs: Int32Array, ts: Int32Array, plan: BatchPlan) {
    const { batchSize, timeSize } = plan;
    if (xs.length !== ts.length) throw new Error("xs and ts differ in length");
    this.#xs = xs;
    this.#ts = ts;
    this.batchSize = batchSize;
    this.timeSize = timeSize;
    this.wrap = plan.wrap;
    this.#restartEachEpoch = plan.restartEachEpoch;
    const size = xs.length;
    const jump = Math.floor(size / batchSize);
    const extra = size - jump * batchSize; // no-wrap: the first `extra` segments get one more token
    this.#starts = new Int32Array(batchSize);
    this.#ends = new Int32Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      if (this.wrap) {
        this.#starts[i] = i * jump;
        this.#ends[i] = size;
      } else {
        this.#starts[i] = i * jump + Math.min(i, extra);
        this.#ends[i] = this.#starts[i] + jump + (i < extra ? 1 : 0);
      }
    }
    if (this.wrap) {
      this.itersPerEpoch = Math.floor(size / (batchSize * timeSize));
      this.tokensPerEpoch = this.itersPerEpoch * batchSize * timeSize;
    } else {
      const longest = jump + (extra > 0 ? 1 : 0);
      this.itersPerEpoch = Math.ceil(longest / timeSize);
      this.tokensPerEpoch = size;
    }
    this.x = new Int32Array(batchSize * timeSize);
    this.t = new Int32Array(batchSize * timeSize);
  }

  /**
   * Called at the start of every epoch. In no-wrap mode, and with `restartEachEpoch` (the book's
   * trainer when `fit` is called once per epoch, as chapter 6's BetterRnnlm does), every stream
   * goes back to its start.
   */
  startEpoch(): void {
    if (!this.wrap || this.#restartEachEpoch) this.#timeIdx = 0;
  }

  /** Fills {@linkcode Batcher.x} and {@linkcode Batcher.t} with the next batch. */
  next(): void {
    const N = this.batchSize, T = this.timeSize, size = this.#xs.length;
    const xs = this.#xs, ts = this.#ts, x = this.x, t = this.t;
    for (let s = 0; s < T; s++) {
      for (let i = 0; i < N; i++) {
        const r = s * N + i;
        if (this.wrap) {
          const p = (this.#starts[i] + this.#timeIdx) % size;
          x[r] = xs[p];
          t[r] = ts[p];
        } else {
          const p = this.#starts[i] + this.#timeIdx;
          if (p < this.#ends[i]) {
            x[r] = xs[p];
            t[r] = ts[p];
          } else {
            x[r] = 0;
            t[r] = -1;
          }
        }
      }
      this.#timeIdx++;
    }
  }

  /** The position to save in a checkpoint. */
  getState(): BatcherState {
    return { timeIdx: this.#timeIdx };
  }

  /** Restores a position from {@linkcode Batcher.getState}. */
  setState(state: BatcherState): void {
    this.#timeIdx = state.timeIdx;
  }
}
