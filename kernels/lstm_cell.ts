/**
 * The LSTM cell: the elementwise math of one time step, forward and backward, over a range of
 * rows. This is all of the LSTM that is not a matrix product; `layers/lstm.ts` runs it after
 * each step's `h_{t-1} @ Wh`, on one thread or split between two (`kernels/lstm_split.ts`).
 *
 * Gates are stored `[f, g, i, o]`, each `H` wide, so a row of pre-activations is `4H` long:
 * `f, i, o = sigmoid(.)`, `g = tanh(.)`, `c = f * c_prev + g * i`, `h = o * tanh(c)`
 * (docs/model.md#lstm-cell).
 *
 * @module
 */

import { pow2Over16Clamped, sigmoidRange, tanhRange } from "./activations.ts";
import { EXP16 } from "./fast_exp.ts";

/**
 * Forward gate math of one LSTM step for rows `[from, to)` of `N`: activates the pre-activations
 * `a` in place (`[f, g, i, o]` become `sigmoid, tanh, sigmoid, sigmoid` of themselves) and writes
 * the new cell `c`, `tanh(c)` and `h`. Each row is computed the same way whatever the range.
 *
 * @param a (N, 4H) pre-activations in, activated gates out.
 * @param cPrev (N, H) previous cell.
 * @param c (N, H) out: next cell.
 * @param tc (N, H) out: `tanh(c)` (kept for backward).
 * @param h (N, H) out: next hidden state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lstmCellForward } from "@rnnlab/rnnlab";
 * const a = new Float32Array(4); // N = 1, H = 1, all gates pre-activated at 0
 * const c = new Float32Array(1), tc = new Float32Array(1), h = new Float32Array(1);
 * lstmCellForward(a, new Float32Array([2]), c, tc, h, 1, 1);
 * assert.deepEqual(Array.from(a), [0.5, 0, 0.5, 0.5]); // sigmoid, tanh, sigmoid, sigmoid
 * assert.equal(c[0], 1); // f = 0.5, g = 0: c = 0.5 * 2
 * assert.ok(Math.abs(h[0] - 0.5 * Math.tanh(1)) < 1e-7);
 * ```
 */
export function lstmCellForward(
  a: Float32Array,
  cPrev: Float32Array,
  c: Float32Array,
  tc: Float32Array,
  h: Float32Array,
  N: number,
  H: number,
  from = 0,
  to = N,
): void {
  const G = 4 * H;
  for (let n = from; n < to; n++) {
    const ar = n * G, hr = n * H;
    // One small loop per gate slice (see kernels/activations.ts): f | g | i, o.
    sigmoidRange(a, ar, ar + H);
    tanhRange(a, ar + H, a, ar + H, H);
    sigmoidRange(a, ar + 2 * H, ar + 4 * H);
    lstmCellRow(a, ar, cPrev, c, tc, h, hr, H);
  }
}

/**
 * Backward gate math of one LSTM step for rows `[from, to)` of `N`: from the gradient
 * into `h_next` and `c_next`, writes `dA = [df, dg, di, do]` and replaces `dc` by the gradient
 * into `c_prev`.
 *
 * @param a (N, 4H) activated gates from {@linkcode lstmCellForward}.
 * @param cPrev (N, H) previous cell.
 * @param tc (N, H) `tanh(c_next)`.
 * @param dh (N, H) gradient into `h_next` (from the output and from step t+1).
 * @param dc (N, H) in: gradient into `c_next`; out: gradient into `c_prev`.
 * @param da (N, 4H) out: gradient of the pre-activations.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lstmCellBackward, lstmCellForward } from "@rnnlab/rnnlab";
 * const a = new Float32Array(4), cPrev = new Float32Array([2]);
 * const c = new Float32Array(1), tc = new Float32Array(1), h = new Float32Array(1);
 * lstmCellForward(a, cPrev, c, tc, h, 1, 1);
 * const dc = new Float32Array([1]), da = new Float32Array(4);
 * lstmCellBackward(a, cPrev, tc, new Float32Array(1), dc, da, 1, 1);
 * assert.equal(dc[0], 0.5); // dc_prev = dc_next * f
 * assert.equal(da[0], 0.5); // df = ds * c_prev * f * (1 - f) = 1 * 2 * 0.25
 * ```
 */
export function lstmCellBackward(
  a: Float32Array,
  cPrev: Float32Array,
  tc: Float32Array,
  dh: Float32Array,
  dc: Float32Array,
  da: Float32Array,
  N: number,
  H: number,
  from = 0,
  to = N,
): void {
  const G = 4 * H;
  // One call per row: a nested loop would be optimized by on-stack replacement of its inner loop
  // and leave that code (a deoptimization) at the end of every row.
  for (let n = from; n < to; n++) lstmBackwardRow(a, cPrev, tc, dh, dc, da, n * G, n * H, H);
}

/** {@linkcode lstmCellBackward} for the row whose gates start at `ar` and cells at `hr`. */
function lstmBackwardRow(
  a: Float32Array,
  cPrev: Float32Array,
  tc: Float32Array,
  dh: Float32Array,
  dc: Float32Array,
  da: Float32Array,
  ar: number,
  hr: number,
  H: number,
): void {
  for (let j = 0; j < H; j++) {
    const f = a[ar + j];
    const g = a[ar + H + j];
    const i = a[ar + 2 * H + j];
    const o = a[ar + 3 * H + j];
    const t = tc[hr + j];
    const dhv = dh[hr + j];
    const ds = dc[hr + j] + dhv * o * (1 - t * t);
    dc[hr + j] = ds * f;
    da[ar + j] = ds * cPrev[hr + j] * f * (1 - f);
    da[ar + H + j] = ds * i * (1 - g * g);
    da[ar + 2 * H + j] = ds * g * i * (1 - i);
    da[ar + 3 * H + j] = dhv * t * o * (1 - o);
  }
}

// tanh(c) = 2 / (1 + exp(-2c)) - 1, with the gates' exponential of activations.ts (V8 inlines it).
const { SCALE } = EXP16;

/**
 * The cell update of one row, fused: `c = f * cPrev + g * i`, `tc = tanh(c)`, `h = o * tc`,
 * where `a[ar ..)` holds the activated gates `[f, g, i, o]` (each `H` wide) and the cell rows
 * start at `hr` in `cPrev`, `c`, `tc` and `h`.
 */
function lstmCellRow(
  a: Float32Array,
  ar: number,
  cPrev: Float32Array,
  c: Float32Array,
  tc: Float32Array,
  h: Float32Array,
  hr: number,
  H: number,
): void {
  const g0 = ar + H, i0 = ar + 2 * H, o0 = ar + 3 * H;
  for (let j = 0; j < H; j++) {
    const cn = a[ar + j] * cPrev[hr + j] + a[g0 + j] * a[i0 + j];
    c[hr + j] = cn;
    const e = pow2Over16Clamped(-2 * SCALE * cn);
    const t = 2 / (1 + e) - 1;
    tc[hr + j] = t;
    h[hr + j] = a[o0 + j] * t;
  }
}
