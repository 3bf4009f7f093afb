/**
 * Row-wise softmax cross-entropy over a `(rows, V)` score matrix: the fused, in-place fast path
 * the loss layer uses, and a plain reference implementation it is tested against.
 *
 * For each row with a target other than `ignoreLabel`:
 * `loss_row = log(sum_j exp(x_j - max)) + max - x[target]`, and the gradient of the mean loss is
 * `(softmax(x) - onehot(target)) / count`, where `count` is the number of counted rows. Ignored
 * rows add nothing to the loss or the count and get a zero gradient.
 *
 * The fast path ({@linkcode softmaxCrossEntropy}) reads each row once with a running maximum
 * (exponentials and their sum), makes one more pass in training to scale them into the gradient,
 * writes the gradient over the scores themselves, and uses {@linkcode expNonPositive} instead of
 * `Math.exp`: 7 million exponentials (700 rows of 10,000 scores) per training batch are the
 * single largest elementwise cost of the chapter 6 models.
 *
 * @module
 */

import { expNonPositive } from "./fast_exp.ts";
import { parallelEnabled, softmaxLossSplit } from "./parallel.ts";

/**
 * Number of rows whose target is not `ignoreLabel`; throws a `RangeError` on a target outside
 * `[0, V)` that is not the ignore label.
 *
 * @example
 * ```ts
 * import { countTargets } from "./softmax.ts";
 * console.assert(countTargets(new Int32Array([3, -1, 0]), 3, 5, -1) === 2);
 * ```
 */
export function countTargets(
  ts: Int32Array,
  rows: number,
  V: number,
  ignoreLabel: number,
): number {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const t = ts[r];
    if (t === ignoreLabel) continue;
    if (!(t >= 0 && t < V)) throw new RangeError(`target ${t} at row ${r} is outside [0, ${V})`);
    count++;
  }
  return count;
}

// Scratch for the segments of a row between changes of its running maximum (grown on demand).
let segStart = new Int32Array(0); // first index of each segment
let segMax = new Float64Array(0); // the running maximum the segment's exponentials are relative to

/**
 * Fused softmax cross-entropy, in place. Returns the mean loss over the counted rows (0 if there
 * are none). With `train`, `scores` (rows, V) is overwritten with the gradient of that mean loss
 * with respect to the scores, `(p - onehot) / count`, zero on ignored rows; without it, `scores`
 * is left unchanged.
 *
 * Each row is read once with a running maximum `m` ("online softmax"): `e = exp(x - m)` is
 * stored and summed, and when a larger `x` arrives the sum is rescaled by `exp(m_old - x)`. The
 * maximum changes only about `ln V` times on a typical row, so the stored values form a few
 * segments, each relative to its own maximum; the training pass then scales each segment by
 * `exp(m_seg - m) / (sum * count)` and subtracts `1 / count` at the target. Evaluation needs the
 * single pass only.
 *
 * @example
 * ```ts
 * import { softmaxCrossEntropy } from "./softmax.ts";
 * const scores = new Float32Array([0, 0, 0, 0]); // (2, 2)
 * const loss = softmaxCrossEntropy(scores, new Int32Array([1, -1]), 2, 2, -1, true);
 * console.assert(Math.abs(loss - Math.log(2)) < 1e-6);
 * console.assert(Math.abs(scores[1] + 0.5) < 1e-6 && scores[2] === 0); // gradient
 * ```
 */
export function softmaxCrossEntropy(
  scores: Float32Array, // (rows, V), overwritten by the gradient when train
  ts: Int32Array, // (rows)
  rows: number,
  V: number,
  ignoreLabel: number,
  train: boolean,
): number {
  const count = countTargets(ts, rows, V, ignoreLabel);
  const invCount = count > 0 ? 1 / count : 0;
  const rows0 = rows;
  if (
    rows0 * V >= PARALLEL_MIN && rows0 >= 2 && scores.buffer instanceof SharedArrayBuffer &&
    parallelEnabled()
  ) {
    // Fixed partition and a fixed order of the two partial sums: bit-identical every run.
    const split = rows0 >> 1;
    const [a, b] = softmaxLossSplit(
      scores,
      ts,
      rows0,
      V,
      ignoreLabel,
      train,
      invCount,
      split,
      (r0, r1) => softmaxLossRange(scores, ts, r0, r1, V, ignoreLabel, train, invCount),
    );
    return (a + b) * invCount;
  }
  return softmaxLossRange(scores, ts, 0, rows, V, ignoreLabel, train, invCount) * invCount;
}

/** Below this many scores a call stays on the main thread (the worker round trip dominates). */
const PARALLEL_MIN = 1 << 18;

/**
 * The rows `[r0, r1)` of {@linkcode softmaxCrossEntropy}: returns the sum (not the mean) of their
 * losses and, with `train`, overwrites them by their gradient scaled by `invCount`.
 *
 * @example
 * ```ts
 * import { softmaxLossRange } from "./softmax.ts";
 * const scores = new Float32Array([0, 0, 0, 0]); // (2, 2)
 * const sum = softmaxLossRange(scores, new Int32Array([0, 1]), 1, 2, 2, -1, false, 0.5);
 * console.assert(Math.abs(sum - Math.log(2)) < 1e-6); // row 1 only
 * ```
 */
export function softmaxLossRange(
  scores: Float32Array,
  ts: Int32Array,
  r0: number,
  r1: number,
  V: number,
  ignoreLabel: number,
  train: boolean,
  invCount: number,
): number {
  if (train && segStart.length < V + 1) {
    segStart = new Int32Array(V + 1);
    segMax = new Float64Array(V + 1);
  }
  // One call per row keeps the hot loops in small functions that V8 optimizes once and reuses
  // (a single long function would be re-entered through on-stack replacement on every call).
  let total = 0;
  for (let r = r0; r < r1; r++) {
    const off = r * V;
    const t = ts[r];
    if (t === ignoreLabel) {
      if (train) scores.fill(0, off, off + V);
    } else if (train) {
      total += rowLossAndGradient(scores, off, off + V, off + t, invCount);
    } else {
      total += rowLoss(scores, off, off + V, off + t);
    }
  }
  return total;
}

/** `-log softmax(scores[off..end))[target]`, one pass with a running maximum. */
function rowLoss(scores: Float32Array, off: number, end: number, target: number): number {
  // Starting below every finite score keeps -Infinity scores at exp(-Infinity) = 0.
  let max = -Number.MAX_VALUE;
  let sum = 0;
  for (let j = off; j < end; j++) {
    const x = scores[j];
    if (x > max) {
      sum *= expNonPositive(max - x);
      max = x;
    }
    sum += expNonPositive(x - max);
  }
  return Math.log(sum) + max - scores[target];
}

/** Like {@linkcode rowLoss}, and overwrites the row by `(p - onehot) * invCount`. */
function rowLossAndGradient(
  scores: Float32Array,
  off: number,
  end: number,
  target: number,
  invCount: number,
): number {
  const xTarget = scores[target];
  let max = -Number.MAX_VALUE;
  let sum = 0;
  let seg = 0;
  segStart[0] = off;
  segMax[0] = max;
  for (let j = off; j < end; j++) {
    const x = scores[j];
    if (x > max) {
      sum *= expNonPositive(max - x);
      max = x;
      seg++;
      segStart[seg] = j;
      segMax[seg] = x;
    }
    const e = expNonPositive(x - max);
    scores[j] = e;
    sum += e;
  }
  segStart[seg + 1] = end;
  const scale = invCount / sum;
  for (let k = 0; k <= seg; k++) {
    const f = scale * expNonPositive(segMax[k] - max);
    const stop = segStart[k + 1];
    for (let j = segStart[k]; j < stop; j++) scores[j] *= f;
  }
  scores[target] -= invCount;
  return Math.log(sum) + max - xTarget;
}

/**
 * The plain reference: separate passes with `Math.exp`, nothing overwritten. Returns the mean loss
 * and a new `(rows, V)` gradient array of the mean loss.
 *
 * @example
 * ```ts
 * import { softmaxCrossEntropyReference } from "./softmax.ts";
 * const { loss, grad } = softmaxCrossEntropyReference(
 *   new Float32Array([0, 0]), new Int32Array([0]), 1, 2, -1,
 * );
 * console.assert(Math.abs(loss - Math.log(2)) < 1e-6 && Math.abs(grad[0] + 0.5) < 1e-6);
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

/**
 * Softmax of each row, in place: `x[r] = exp(x[r] - max) / sum` (for sampling words).
 *
 * @example
 * ```ts
 * import { softmaxRows } from "./softmax.ts";
 * const x = new Float32Array([0, Math.log(3)]); // (1, 2)
 * softmaxRows(x, 1, 2);
 * console.assert(Math.abs(x[1] - 0.75) < 1e-6);
 * ```
 */
export function softmaxRows(x: Float32Array, rows: number, V: number): Float32Array {
  for (let r = 0; r < rows; r++) {
    const off = r * V;
    const end = off + V;
    let max = -Infinity;
    for (let j = off; j < end; j++) if (x[j] > max) max = x[j];
    let sum = 0;
    for (let j = off; j < end; j++) {
      const e = expNonPositive(x[j] - max);
      x[j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = off; j < end; j++) x[j] *= inv;
  }
  return x;
}
