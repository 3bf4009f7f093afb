/**
 * A fast `exp(x)`, accurate to float32 precision: the exponential of the softmax and of the
 * gate activations, and the one home of its constants and table ({@linkcode EXP16}).
 *
 * `exp(x) = 2^(z / 16)` with `z = x * 16 * log2(e)`, split as `z = k + u` with `k` the integer
 * nearest `z` and `u` in `(-0.5, 0.5]`. `2^(k / 16)` comes from a precomputed `Float64Array`
 * table (`k` from -2400, below which everything is 0 in float32, up to 1424) and
 * `2^(u / 16)` from a cubic with constant term 1 (so `exp(0) === 1`), a relative-error
 * least-squares fit on Chebyshev nodes whose worst relative error on the interval is 1.6e-9
 * (float32's own rounding step is 6e-8). The finer table buys a cubic where whole powers of two
 * would need a degree-6 polynomial. Everything is float64 arithmetic that V8 inlines into the
 * calling loop; the fused softmax loss runs about 2.5x faster with it than with `Math.exp`.
 *
 * @module
 */

/** `16 * log2(e)`: `exp(x) = 2^(z / 16)` with `z = x * SCALE`. */
const SCALE = 16 * 1.4426950408889634;
/** Below this `z`, `2^(z / 16)` is under `2^-150`, which float32 rounds to 0. */
const MIN_Z = -2400;
/**
 * The largest `z` the table covers: `2^89`, far beyond what a sigmoid or tanh needs (for those,
 * `1 / (1 + 2^89)` is below every float32 that matters); the softmax never goes above 0.
 */
const MAX_Z = 1424;

// 2^(u / 16) ~ 1 + u * (C1 + u * (C2 + u * C3)) on u in [-0.5, 0.5] (constant term fixed at 1
// so that exp(0) is exactly 1).
const C1 = 0.043321699008466275;
const C2 = 0.0009384153672410467;
const C3 = 1.3549880823372606e-5;

/**
 * `POW2[k - MIN_Z] = 2^(k / 16)` for `k` in `[MIN_Z, MAX_Z]` (30 KB, stays in L1). (Indexing by
 * `k - MIN_Z` rather than `-k` matters: `-0` is not an int32, and V8 would deoptimize on it.)
 */
const POW2: Float64Array = (() => {
  const t = new Float64Array(MAX_Z - MIN_Z + 1);
  for (let k = MIN_Z; k <= MAX_Z; k++) t[k - MIN_Z] = Math.pow(2, k / 16);
  return t;
})();

/**
 * The pieces of the exponential, for the kernels that write it out inside their own loops (the
 * softmax, the sigmoid and tanh ranges, the LSTM cell): they copy these into constants of their
 * own module, so that V8 folds them into the loop. With `z = x * SCALE` clamped to
 * `[MIN_Z, MAX_Z]`, `idx = (z - MIN_Z + 0.5) | 0` and `u = z - MIN_Z - idx` (in `[-0.5, 0.5)`),
 * `exp(x) = POW2[idx] * (1 + u * (C1 + u * (C2 + u * C3)))`. Working on `z` directly lets a
 * softmax keep its running maximum in the scaled domain and skip a multiplication per element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXP16 } from "@rnnlab/rnnlab";
 * const z = -1 * EXP16.SCALE;
 * const idx = (z - EXP16.MIN_Z + 0.5) | 0, u = z - EXP16.MIN_Z - idx;
 * const e = EXP16.POW2[idx] * (1 + u * (EXP16.C1 + u * (EXP16.C2 + u * EXP16.C3)));
 * assert.ok(Math.abs(e - Math.exp(-1)) < 1e-9);
 * ```
 */
export const EXP16 = {
  SCALE,
  MIN_Z,
  MAX_Z,
  C1,
  C2,
  C3,
  POW2,
} as const;

/**
 * `exp(x)` for `x <= 0` (the caller guarantees it; positive arguments are not supported), with a
 * relative error below 2e-9 before rounding to float32, exactly 1 at 0 and exactly 0 for
 * `x < -103.9`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expNonPositive } from "@rnnlab/rnnlab";
 * assert.ok(Math.abs(expNonPositive(-1) - Math.exp(-1)) < 1e-9);
 * assert.equal(expNonPositive(-200), 0);
 * ```
 */
export function expNonPositive(x: number): number {
  const z = x * SCALE;
  if (z < MIN_Z) return 0;
  const k = (z - 0.5) | 0; // ceil(z - 0.5): the integer nearest z, in [MIN_Z, 0]
  const u = z - k; // in (-0.5, 0.5]
  return POW2[k - MIN_Z] * (1 + u * (C1 + u * (C2 + u * C3)));
}
