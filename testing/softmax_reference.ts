/**
 * The plain softmax cross-entropy the fast kernel (`kernels/softmax.ts`) is tested against:
 * separate passes in float64 with `Math.exp`, nothing overwritten.
 *
 * @module
 */

import { countTargets } from "../kernels/softmax.ts";

/**
 * The plain reference: separate passes with `Math.exp`, nothing overwritten. Returns the mean loss
 * and a new `(rows, V)` gradient array of the mean loss.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxCrossEntropyReference } from "./softmax_reference.ts";
 * const { loss, grad } = softmaxCrossEntropyReference(
 *   new Float32Array([0, 0]), new Int32Array([0]), 1, 2, -1,
 * );
 * assert.ok(Math.abs(loss - Math.log(2)) < 1e-6 && Math.abs(grad[0] + 0.5) < 1e-6);
 * ```
 */
export function softmaxCrossEntropyReference(
  scores: Float32Array, // (rows, V)
  ts: Int32Array, // (rows)
  rows: number,
  V: number,
  ignoreLabel: number,
): { loss: number; grad: Float32Array } {
  const probs = new Float64Array(rows * V);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, scores[r * V + j]);
    let sum = 0;
    for (let j = 0; j < V; j++) sum += Math.exp(scores[r * V + j] - max);
    for (let j = 0; j < V; j++) probs[r * V + j] = Math.exp(scores[r * V + j] - max) / sum;
  }
  const count = countTargets(ts, rows, V, ignoreLabel);
  let total = 0;
  const grad = new Float32Array(rows * V);
  for (let r = 0; r < rows; r++) {
    const t = ts[r];
    if (t === ignoreLabel) continue;
    total -= Math.log(probs[r * V + t]);
    for (let j = 0; j < V; j++) {
      grad[r * V + j] = (probs[r * V + j] - (j === t ? 1 : 0)) / count;
    }
  }
  return { loss: count > 0 ? total / count : 0, grad };
}
