/**
 * Row-wise softmax cross-entropy over a `(rows, V)` score matrix: the fused, in-place fast path
 * the loss layer uses (tested against a plain reference in `testing/`).
 *
 * For each row with a target other than `ignoreLabel`:
 * `loss_row = log(sum_j exp(x_j - max)) + max - x[target]`, and the gradient of the mean loss is
 * `(softmax(x) - onehot(target)) / count`, where `count` is the number of counted rows. Ignored
 * rows add nothing to the loss or the count and get a zero gradient.
 *
 * The fast path ({@linkcode softmaxCrossEntropy}) reads each row once with a running maximum
 * (exponentials and their sum), makes one more pass in training to scale them into the gradient,
 * writes the gradient over the scores themselves, and computes the exponential of
 * {@linkcode expNonPositive} on scores pre-multiplied by `16 log2(e)` (so the running maximum
 * needs no extra multiplication) instead of `Math.exp`, four scores at a time while none of them
 * raises the maximum: 7 million exponentials (700 rows of 10,000 scores) per training batch are
 * the single largest elementwise cost of the chapter 6 models. Large batches are shared with the
 * helper worker (`pool.ts`), row chunk by row chunk: {@linkcode softmaxShare} is the worker's side.
 *
 * @module
 */

import { EXP16, expNonPositive } from "./fast_exp.ts";
import {
  newPlan,
  parallelEnabled,
  type Plan,
  replacePayload,
  runShared,
  type SharedCall,
  takeChunk,
  type WorkerKernel,
} from "./pool.ts";

/**
 * Number of rows whose target is not `ignoreLabel`; throws a `RangeError` on a target outside
 * `[0, V)` that is not the ignore label.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countTargets } from "@rnnlab/rnnlab";
 * assert.equal(countTargets(new Int32Array([3, -1, 0]), 3, 5, -1), 2);
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
let segMax = new Float64Array(0); // the running (scaled) maximum the segment is relative to

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
 * import assert from "node:assert/strict";
 * import { softmaxCrossEntropy } from "@rnnlab/rnnlab";
 * const scores = new Float32Array([0, 0, 0, 0]); // (2, 2)
 * const loss = softmaxCrossEntropy(scores, new Int32Array([1, -1]), 2, 2, -1, true);
 * assert.ok(Math.abs(loss - Math.log(2)) < 1e-6);
 * assert.ok(Math.abs(scores[1] + 0.5) < 1e-6);
 * assert.equal(scores[2], 0); // gradient
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
  if (
    rows * V >= PARALLEL_MIN && rows >= 2 && scores.buffer instanceof SharedArrayBuffer &&
    parallelEnabled()
  ) {
    // Rows are shared out dynamically, but each row's loss lands in its own slot and the slots
    // are added in row order: the same bits as the single-threaded path, every run.
    const rowLoss = sharedRows(scores, ts, rows);
    const args = [scores.byteOffset >> 2, rows, V, ignoreLabel, train ? 1 : 0];
    runShared(plan!, args, [invCount], () => {
      for (let r0 = takeChunk(CHUNK_ROWS); r0 < rows; r0 = takeChunk(CHUNK_ROWS)) {
        const r1 = Math.min(r0 + CHUNK_ROWS, rows);
        softmaxLossRange(scores, ts, r0, r1, V, ignoreLabel, train, invCount, rowLoss);
      }
    });
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += rowLoss[r];
    return sum * invCount;
  }
  return softmaxLossRange(scores, ts, 0, rows, V, ignoreLabel, train, invCount) * invCount;
}

/** Rows per chunk taken from the shared counter. */
const CHUNK_ROWS = 8;

// The plan the helper worker shares: the scores (the output layer's buffer), a shared copy of the
// targets and the per-row losses. A new scores buffer, or more rows, makes a new payload.
let plan: Plan | null = null;
let targetsShared: Int32Array<ArrayBufferLike> = new Int32Array(0);
let rowLossShared: Float64Array<ArrayBufferLike> = new Float64Array(0);
let planScores: ArrayBufferLike | null = null;

/** Makes the shared plan cover `scores` and `rows` rows; returns the per-row loss array. */
function sharedRows(
  scores: Float32Array,
  ts: Int32Array,
  rows: number,
): Float64Array<ArrayBufferLike> {
  let changed = plan === null || planScores !== scores.buffer;
  if (targetsShared.length < rows) {
    const n = Math.max(rows, 1024);
    targetsShared = new Int32Array(new SharedArrayBuffer(n * 4));
    rowLossShared = new Float64Array(new SharedArrayBuffer(n * 8));
    changed = true;
  }
  targetsShared.set(ts.subarray(0, rows));
  if (changed) {
    const payload = { scores: scores.buffer, targets: targetsShared, rowLoss: rowLossShared };
    if (plan === null) plan = newPlan(softmaxShare.name, payload);
    else replacePayload(plan, payload);
    planScores = scores.buffer;
  }
  return rowLossShared;
}

/**
 * The helper worker's side of {@linkcode softmaxCrossEntropy}: it takes row chunks from the same
 * counter as the main thread and writes each row's loss into the shared per-row array.
 */
export const softmaxShare: WorkerKernel<{
  scores: Float32Array<ArrayBufferLike>;
  targets: Int32Array<ArrayBufferLike>;
  rowLoss: Float64Array<ArrayBufferLike>;
}> = {
  name: "softmax.loss",
  setup(payload) {
    const p = payload as {
      scores: SharedArrayBuffer;
      targets: Int32Array<ArrayBufferLike>;
      rowLoss: Float64Array<ArrayBufferLike>;
    };
    return { scores: new Float32Array(p.scores), targets: p.targets, rowLoss: p.rowLoss };
  },
  run(state, call: SharedCall) {
    const [off, rows, V, ignore, train] = call.args;
    const scores = off === 0 ? state.scores : state.scores.subarray(off);
    const invCount = call.fargs[0];
    for (let r0 = takeChunk(CHUNK_ROWS); r0 < rows; r0 = takeChunk(CHUNK_ROWS)) {
      const r1 = Math.min(r0 + CHUNK_ROWS, rows);
      softmaxLossRange(
        scores,
        state.targets,
        r0,
        r1,
        V,
        ignore,
        train === 1,
        invCount,
        state.rowLoss,
      );
    }
  },
};

/** Below this many scores a call stays on the main thread (the worker round trip dominates). */
const PARALLEL_MIN = 1 << 18;

/**
 * The rows `[r0, r1)` of {@linkcode softmaxCrossEntropy}: returns the sum (not the mean) of their
 * losses, added in row order, and, with `train`, overwrites them by their gradient scaled by
 * `invCount`. With `rowLoss`, each row's loss is also stored at `rowLoss[r]` (0 for an ignored
 * row).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxLossRange } from "@rnnlab/rnnlab";
 * const scores = new Float32Array([0, 0, 0, 0]); // (2, 2)
 * const sum = softmaxLossRange(scores, new Int32Array([0, 1]), 1, 2, 2, -1, false, 0.5);
 * assert.ok(Math.abs(sum - Math.log(2)) < 1e-6); // row 1 only
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
  rowLoss?: Float64Array<ArrayBufferLike>,
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
    let loss = 0;
    if (t === ignoreLabel) {
      if (train) scores.fill(0, off, off + V);
    } else if (train) {
      loss = rowLossAndGradient(scores, off, off + V, off + t, invCount);
    } else {
      loss = rowLossOnly(scores, off, off + V, off + t);
    }
    if (rowLoss !== undefined) rowLoss[r] = loss;
    total += loss;
  }
  return total;
}

// The exponential of fast_exp.ts on scaled scores: everything below works on `z = x * SCALE`
// (exp(x - m) = 2^((z - mz) / 16) = pow2z(z - mz)), so the running maximum `mz` is kept in that
// domain and each element costs one multiplication less. `pow2z` is written here, on constants
// copied into this module: the same function imported from fast_exp.ts is inlined too, but the
// loss then ran 30 % more instructions (callgrind, 40 rows of 10,000 scores).
const { SCALE, MIN_Z, C1, C2, C3, POW2 } = EXP16;
const OFFSET = -MIN_Z; // d + OFFSET >= 0 for d >= MIN_Z: `| 0` truncates towards the floor

/**
 * `2^(d / 16)` for a scaled difference `d <= 0`; 0 below `MIN_Z` (and for NaN). Not the gates'
 * `pow2Over16Clamped`: that one clamps above and rounds its index as `z + (OFFSET + 0.5)`, this
 * one as `(d + OFFSET) + 0.5`, and the recorded runs depend on the last bit of each.
 */
function pow2z(d: number): number {
  if (d >= MIN_Z) {
    const idx = (d + OFFSET + 0.5) | 0, u = d + OFFSET - idx;
    return POW2[idx] * (1 + u * (C1 + u * (C2 + u * C3)));
  }
  return 0;
}

/** `-log softmax(scores[off..end))[target]`, one pass with a running maximum. */
function rowLossOnly(scores: Float32Array, off: number, end: number, target: number): number {
  // Starting below every finite score keeps -Infinity scores at exp(-Infinity) = 0.
  let mz = -Number.MAX_VALUE;
  let sum = 0;
  let j = off;
  while (j < end) {
    // Four scores at a time while none of them raises the maximum (almost always): the same
    // operations in the same order as one at a time, with a quarter of the loop's overhead.
    // (This loop and the one below are kept apart: one function for both, with a flag for the
    // stores, runs 7 % more instructions in training and 8 % more in evaluation.)
    if (j + 4 <= end) {
      const z0 = scores[j] * SCALE, z1 = scores[j + 1] * SCALE;
      const z2 = scores[j + 2] * SCALE, z3 = scores[j + 3] * SCALE;
      if (!(z0 > mz || z1 > mz || z2 > mz || z3 > mz)) {
        sum += pow2z(z0 - mz);
        sum += pow2z(z1 - mz);
        sum += pow2z(z2 - mz);
        sum += pow2z(z3 - mz);
        j += 4;
        continue;
      }
    }
    const z = scores[j] * SCALE;
    if (z > mz) {
      sum *= pow2z(mz - z); // rescale the sum to the new maximum
      mz = z;
    }
    sum += pow2z(z - mz);
    j++;
  }
  return Math.log(sum) + mz / SCALE - scores[target];
}

/** Like {@linkcode rowLossOnly}, and overwrites the row by `(p - onehot) * invCount`. */
function rowLossAndGradient(
  scores: Float32Array,
  off: number,
  end: number,
  target: number,
  invCount: number,
): number {
  const xTarget = scores[target];
  let mz = -Number.MAX_VALUE;
  let sum = 0;
  let seg = 0;
  segStart[0] = off;
  segMax[0] = mz;
  let j = off;
  while (j < end) {
    if (j + 4 <= end) {
      const z0 = scores[j] * SCALE, z1 = scores[j + 1] * SCALE;
      const z2 = scores[j + 2] * SCALE, z3 = scores[j + 3] * SCALE;
      if (!(z0 > mz || z1 > mz || z2 > mz || z3 > mz)) {
        const e0 = pow2z(z0 - mz), e1 = pow2z(z1 - mz);
        const e2 = pow2z(z2 - mz), e3 = pow2z(z3 - mz);
        scores[j] = e0;
        scores[j + 1] = e1;
        scores[j + 2] = e2;
        scores[j + 3] = e3;
        sum += e0;
        sum += e1;
        sum += e2;
        sum += e3;
        j += 4;
        continue;
      }
    }
    const z = scores[j] * SCALE;
    if (z > mz) {
      sum *= pow2z(mz - z);
      mz = z;
      seg++;
      segStart[seg] = j;
      segMax[seg] = z;
    }
    const e = pow2z(z - mz);
    scores[j] = e;
    sum += e;
    j++;
  }
  segStart[seg + 1] = end;
  const scale = invCount / sum;
  for (let k = 0; k <= seg; k++) {
    // Segment k's values are relative to its own maximum: scale by 2^((segMax - mz) / 16).
    const f = pow2z(segMax[k] - mz) * scale;
    const stop = segStart[k + 1];
    let i = segStart[k];
    for (; i + 4 <= stop; i += 4) {
      scores[i] *= f;
      scores[i + 1] *= f;
      scores[i + 2] *= f;
      scores[i + 3] *= f;
    }
    for (; i < stop; i++) scores[i] *= f;
  }
  scores[target] -= invCount;
  return Math.log(sum) + mz / SCALE - xTarget;
}

/**
 * Softmax of each row, in place: `x[r] = exp(x[r] - max) / sum` (for sampling words).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxRows } from "@rnnlab/rnnlab";
 * const x = new Float32Array([0, Math.log(3)]); // (1, 2)
 * softmaxRows(x, 1, 2);
 * assert.ok(Math.abs(x[1] - 0.75) < 1e-6);
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

// Run the row kernels once on a small batch when the module loads (here and in the helper
// worker), so that every path of them has type feedback before V8 optimizes them. Otherwise the
// code optimized (on-stack replacement) in the middle of the first 10,000-score row lacks feedback
// for what follows the row's first loop and deoptimizes there, about once per training iteration
// (seen with --trace-deopt).
{
  const V = 64, rows = 8;
  const s = new Float32Array(rows * V);
  const t = new Int32Array(rows).fill(3);
  t[1] = -1;
  const losses = new Float64Array(rows);
  for (const train of [false, true]) {
    for (let k = 0; k < s.length; k++) s[k] = Math.sin(k * 0.37) * 4 + k * 0.01;
    softmaxLossRange(s, t, 0, rows, V, -1, train, 1 / (rows - 1), losses);
  }
}
