/**
 * Stochastic gradient descent: `param -= lr * grad` (one saxpy per parameter).
 *
 * @module
 */

import type { Param } from "../core/param.ts";
import { saxpy } from "../kernels/blas.ts";

/**
 * Plain SGD with a mutable learning rate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Param } from "@rnnlab/rnnlab";
 * import { SGD } from "@rnnlab/rnnlab";
 * const p = new Param("w", [2], new Float32Array([1, 1]));
 * p.grad.set([1, -2]);
 * const opt = new SGD(0.5);
 * opt.update([p]);
 * assert.equal(p.value[0], 0.5);
 * assert.equal(p.value[1], 2);
 * opt.lr /= 4; // chapter 6's schedule
 * ```
 */
export class SGD {
  /** The learning rate; may be changed between updates. */
  lr: number;

  /** Creates the optimizer with learning rate `lr`. */
  constructor(lr: number) {
    this.lr = lr;
  }

  /** `value -= lr * grad` for each parameter (pass each shared parameter once). */
  update(params: Param[]): void {
    for (const p of params) saxpy(p.size, -this.lr, p.grad, 1, p.value, 1);
  }
}
