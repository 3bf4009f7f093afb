/**
 * Softmax with cross-entropy loss over time: the mean of `-log p[target]` over every row whose
 * target is not the ignore label (-1).
 *
 * The forward pass works in place: in training it overwrites the scores with their gradient
 * `(p - onehot) / count` (zero rows for ignored targets), and backward returns that same buffer.
 * The scores are not needed after the loss, so this saves a `(rows, V)` buffer and a pass over it.
 *
 * @module
 */

import type { Param } from "../core/param.ts";
import { softmaxCrossEntropy } from "../kernels/softmax.ts";
import { enterPhase, exitPhase, Phase } from "../kernels/phase_timer.ts";

/** Options of {@linkcode TimeSoftmaxWithLoss}. */
export interface TimeSoftmaxWithLossOptions {
  /** Rows with this target count neither in the loss nor in the mean; default -1. */
  ignoreLabel?: number;
}

/**
 * The loss layer. It has no parameters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeSoftmaxWithLoss } from "@rnnlab/rnnlab";
 * const layer = new TimeSoftmaxWithLoss();
 * const scores = new Float32Array([0, 0, 5, 5]); // (2, 2)
 * const loss = layer.forward(scores, new Int32Array([0, -1]), 2, 2, true);
 * assert.ok(Math.abs(loss - Math.log(2)) < 1e-6); // the second row is ignored
 * const dscores = layer.backward(); // the same buffer: [-0.5, 0.5, 0, 0]
 * assert.equal(dscores, scores);
 * assert.equal(dscores[3], 0);
 * ```
 */
export class TimeSoftmaxWithLoss {
  /** No parameters. */
  readonly params: Param[] = [];
  /** The target value that marks a row as not counted. */
  readonly ignoreLabel: number;
  #grad: Float32Array | null = null;

  /** Creates the layer; rows whose target is `options.ignoreLabel` (default -1) are not counted. */
  constructor(options: TimeSoftmaxWithLossOptions = {}) {
    this.ignoreLabel = options.ignoreLabel ?? -1;
  }

  /**
   * Mean loss over the counted rows of `scores` (rows, V). With `train`, `scores` is overwritten
   * by the gradient that {@linkcode TimeSoftmaxWithLoss.backward} returns; without it, `scores`
   * is left as it was.
   */
  forward(scores: Float32Array, ts: Int32Array, rows: number, V: number, train: boolean): number {
    const phase = enterPhase(Phase.softmaxLoss);
    const loss = softmaxCrossEntropy(scores, ts, rows, V, this.ignoreLabel, train);
    exitPhase(phase);
    this.#grad = train ? scores : null;
    return loss;
  }

  /** The gradient of the mean loss with respect to the scores, `(rows, V)`. */
  backward(): Float32Array {
    if (!this.#grad) throw new Error("TimeSoftmaxWithLoss.backward needs a training forward first");
    return this.#grad;
  }
}
