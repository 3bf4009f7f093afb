/**
 * Gradient clipping by global norm (chapter 6).
 *
 * `norm = sqrt(sum of squares of every distinct gradient)`, `rate = maxNorm / (norm + 1e-6)`; if
 * `rate < 1` every gradient is multiplied by `rate` (docs/model.md#gradient-clipping). A parameter shared by two layers
 * (weight tying) is counted and scaled once.
 *
 * @module
 */

import { type Param, uniqueParams } from "../core/param.ts";
import { snrm2, sscal } from "../kernels/blas.ts";

/**
 * The global L2 norm of the distinct parameters' gradients.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Param } from "@rnnlab/rnnlab";
 * import { gradNorm } from "@rnnlab/rnnlab";
 * const p = new Param("w", [2]);
 * p.grad.set([3, 4]);
 * assert.equal(gradNorm([p, p]), 5); // a tied parameter counts once
 * ```
 */
export function gradNorm(params: Iterable<Param>): number {
  let sum = 0;
  for (const p of uniqueParams(params)) {
    const n = snrm2(p.grad.length, p.grad, 1);
    sum += n * n;
  }
  return Math.sqrt(sum);
}

/**
 * Scales every distinct gradient so that their global norm is at most `maxNorm`; returns the norm
 * before clipping.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Param } from "@rnnlab/rnnlab";
 * import { clipGrads } from "@rnnlab/rnnlab";
 * const p = new Param("w", [2]);
 * p.grad.set([3, 4]);
 * const before = clipGrads([p], 1); // 5
 * assert.equal(before, 5);
 * assert.ok(Math.abs(p.grad[1] - 0.8) < 1e-6);
 * ```
 */
export function clipGrads(params: Iterable<Param>, maxNorm: number): number {
  const distinct = uniqueParams(params);
  const norm = gradNorm(distinct);
  const rate = maxNorm / (norm + 1e-6);
  if (rate < 1) {
    for (const p of distinct) sscal(p.grad.length, rate, p.grad, 1);
  }
  return norm;
}
