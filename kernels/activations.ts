/**
 * Fast elementwise activations for the recurrent layers: scalar `sigmoid` and `tanh` through the
 * table-based {@linkcode expNonPositive} (accurate to 1e-9 absolute; float32 rounds at 6e-8), and
 * in-place range kernels ({@linkcode sigmoidRange}, {@linkcode tanhRange}) for the gate loops.
 *
 * The range kernels are what the LSTM and GRU steps call: one small loop per gate slice, with the
 * exponential {@linkcode pow2Over16Clamped}, which V8 inlines into the loop (so no boxed float64
 * results), and no data-dependent branch on the sign of the input. `exp(-x)` comes from a table
 * of `2^(k/16)` for `k` in `[-2400, 1424]` (exponents clamped there: `sigmoid` is then exact to
 * 2e-27 absolute at the far negative end) times a cubic, so `sigmoid(x) = 1 / (1 + exp(-x))` and
 * `tanh(x) = 2 / (1 + exp(-2x)) - 1` need no `x >= 0` case split. Their absolute error is below
 * 1e-9 (tanh near 0 loses relative accuracy below that, which float32 activations of size 1e-2
 * and above never see). On random gate inputs this runs the LSTM forward gate math about 1.7x
 * faster than the scalar functions, whose sign branches mispredict half the time.
 *
 * @module
 */

import { EXP16, expNonPositive } from "./fast_exp.ts";

/**
 * `1 / (1 + exp(-x))` through the table-based {@linkcode expNonPositive} of `-|x|` (no overflow,
 * absolute error below 1e-9).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sigmoid } from "@rnnlab/rnnlab";
 * assert.equal(sigmoid(0), 0.5);
 * assert.ok(Math.abs(sigmoid(2) - 1 / (1 + Math.exp(-2))) < 1e-9);
 * ```
 */
export function sigmoid(x: number): number {
  const e = expNonPositive(x >= 0 ? -x : x);
  const s = 1 / (1 + e);
  return x >= 0 ? s : e * s;
}

/**
 * `tanh(x)` as `(1 - e) / (1 + e)` with `e = exp(-2|x|)` from {@linkcode expNonPositive}, and an
 * odd Taylor polynomial below `|x| = 0.05` where that quotient would cancel (absolute error below
 * 1e-9, relative below 1e-7).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tanh } from "@rnnlab/rnnlab";
 * assert.equal(tanh(0), 0);
 * assert.ok(Math.abs(tanh(-0.7) - Math.tanh(-0.7)) < 1e-9);
 * ```
 */
export function tanh(x: number): number {
  const a = x >= 0 ? x : -x;
  let t: number;
  if (a < 0.05) {
    const a2 = a * a;
    t = a * (1 + a2 * (-1 / 3 + a2 * (2 / 15 + a2 * (-17 / 315))));
  } else {
    const e = expNonPositive(-2 * a);
    t = (1 - e) / (1 + e);
  }
  return x >= 0 ? t : -t;
}

// exp(x) = 2^(z/16), z = x * SCALE, z clamped to [Z_MIN, Z_MAX]; 2^(k/16) from the table, the
// remaining 2^(u/16) (u in [-0.5, 0.5)) from the cubic: the constants of fast_exp.ts, copied into
// this module's own so that V8 folds them into the loops.
const { SCALE, MIN_Z: Z_MIN, MAX_Z: Z_MAX, C1, C2, C3, POW2: WIDE } = EXP16;
const HALF_OFFSET = -Z_MIN + 0.5; // (z + HALF_OFFSET) | 0 = round(z) - Z_MIN for z >= Z_MIN

/**
 * `2^(z / 16)` (`exp(z / SCALE)`) for any `z`: clamped to `2^(Z_MAX / 16)` above, 0 below
 * `Z_MIN`; NaN stays NaN. The exponential of the sigmoid and tanh kernels here and of the LSTM
 * cell, which V8 inlines into their loops.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pow2Over16Clamped } from "@rnnlab/rnnlab";
 * assert.equal(pow2Over16Clamped(16), 2);
 * assert.equal(pow2Over16Clamped(-1e6), 0);
 * assert.ok(Number.isNaN(pow2Over16Clamped(NaN)));
 * ```
 */
export function pow2Over16Clamped(z: number): number {
  if (!(z < Z_MIN)) {
    if (z > Z_MAX) z = Z_MAX;
    const idx = (z + HALF_OFFSET) | 0;
    const u = z + (-Z_MIN) - idx;
    return WIDE[idx] * (1 + u * (C1 + u * (C2 + u * C3)));
  }
  return 0;
}

/**
 * `a[k] = sigmoid(a[k])` for `k` in `[from, to)`, in place (absolute error below 1e-9).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sigmoidRange } from "@rnnlab/rnnlab";
 * const a = new Float32Array([0, 2, -2]);
 * sigmoidRange(a, 1, 3); // a[0] untouched
 * assert.equal(a[0], 0);
 * assert.ok(Math.abs(a[1] + a[2] - 1) < 1e-7);
 * ```
 */
export function sigmoidRange(a: Float32Array, from: number, to: number): void {
  for (let k = from; k < to; k++) {
    const e = pow2Over16Clamped(-a[k] * SCALE); // NaN goes through and stays NaN
    a[k] = 1 / (1 + e);
  }
}

/**
 * `dst[dstFrom + k] = tanh(src[srcFrom + k])` for `k` in `[0, n)` (`src` and `dst` may be the
 * same array and range; absolute error below 1e-9).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tanhRange } from "@rnnlab/rnnlab";
 * const x = new Float32Array([0.5, -3]);
 * const out = new Float32Array(3);
 * tanhRange(x, 0, out, 1, 2); // out = [0, tanh(0.5), tanh(-3)]
 * assert.ok(Math.abs(out[1] - Math.tanh(0.5)) < 1e-7);
 * assert.equal(out[0], 0);
 * ```
 */
export function tanhRange(
  src: Float32Array,
  srcFrom: number,
  dst: Float32Array,
  dstFrom: number,
  n: number,
): void {
  const shift = dstFrom - srcFrom;
  const end = srcFrom + n;
  for (let k = srcFrom; k < end; k++) {
    const e = pow2Over16Clamped(-2 * SCALE * src[k]);
    dst[k + shift] = 2 / (1 + e) - 1;
  }
}
