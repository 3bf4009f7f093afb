/**
 * Element-wise closeness assertion for numbers and float arrays, NumPy style:
 * `|actual - expected| <= atol + rtol * |expected|`.
 *
 * @module
 */

import { AssertionError } from "node:assert/strict";

/** Tolerances of {@linkcode assertClose}. */
export interface CloseOptions {
  /** Relative tolerance; default 1e-5. */
  rtol?: number;
  /** Absolute tolerance; default 1e-8. */
  atol?: number;
  /** Prefix of the failure message. */
  message?: string;
}

/**
 * Throws an `AssertionError` naming the worst element unless every element of `actual` is within
 * `atol + rtol * |expected|` of `expected` (same lengths required; NaN never passes).
 *
 * @example
 * ```ts
 * import { assertClose } from "./assert_close.ts";
 * assertClose(new Float32Array([1, 2]), [1, 2.000001], { rtol: 1e-5 });
 * assertClose(0.1 + 0.2, 0.3, { atol: 1e-12 });
 * ```
 */
export function assertClose(
  actual: ArrayLike<number> | number,
  expected: ArrayLike<number> | number,
  options: CloseOptions = {},
): void {
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-8;
  const prefix = options.message ? `${options.message}: ` : "";
  const a = typeof actual === "number" ? [actual] : actual;
  const e = typeof expected === "number" ? [expected] : expected;
  if (a.length !== e.length) {
    throw new AssertionError({
      message: `${prefix}length ${a.length} differs from expected length ${e.length}`,
    });
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - e[i]);
    const excess = diff - (atol + rtol * Math.abs(e[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst >= 0) {
    throw new AssertionError({
      message: `${prefix}element ${worst}: ${a[worst]} is not close to ${
        e[worst]
      } (rtol ${rtol}, atol ${atol})`,
      actual: a[worst],
      expected: e[worst],
    });
  }
}
