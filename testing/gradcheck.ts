/**
 * Numerical gradient check: compares the analytic gradients in `param.grad` with central
 * differences of a scalar loss.
 *
 * Parameters are float32, so each entry is moved by `eps` (default 1e-2; float32 has only 24
 * bits, so a smaller step drowns the difference in rounding noise) and the actual step is taken
 * from the rounded values, `(f(v+h1) - f(v-h2)) / (h1 + h2)`, with the loss and the difference in
 * float64. The `eps^2` truncation error of that central difference is removed by Richardson
 * extrapolation, `(4 D(eps/2) - D(eps)) / 3`, unless turned off. Large parameters are checked on
 * a random subset of entries. The error of one entry is `|analytic - numeric| / max(|analytic|, |numeric|, floor)`,
 * so entries whose true gradient is ~0 are judged by their absolute error against `floor`.
 *
 * @module
 */

import type { Param } from "../core/param.ts";
import { Rng } from "../core/random.ts";

/** Options of {@linkcode gradCheck}. */
export interface GradCheckOptions {
  /** Finite-difference step; default 1e-2. */
  eps?: number;
  /** Entries checked per parameter at most (a random subset beyond that); default 64. */
  maxEntries?: number;
  /** Denominator floor of the relative error; default 1e-3. */
  floor?: number;
  /** Combine steps `eps` and `eps/2` to cancel the `eps^2` error term; default true. */
  richardson?: boolean;
  /** Seed of the subset choice; default 0. */
  seed?: number;
}

/** The outcome for one parameter. */
export interface ParamCheck {
  /** The parameter's name. */
  name: string;
  /** Entries compared. */
  checked: number;
  /** Largest relative error among them. */
  maxRelError: number;
  /** Largest absolute difference among them. */
  maxAbsError: number;
  /** Index of the entry with the largest relative error. */
  worstIndex: number;
  /** Analytic and numeric gradient at that entry. */
  worst: { analytic: number; numeric: number };
}

/** The outcome of {@linkcode gradCheck}. */
export interface GradCheckResult {
  /** Largest relative error over all parameters. */
  maxRelError: number;
  /** One entry per parameter, in order. */
  params: ParamCheck[];
}

/**
 * Central-difference derivative of `loss` with respect to `param.value[i]` (value restored).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Param } from "@rnnlab/rnnlab";
 * import { numericalDerivative } from "./gradcheck.ts";
 * const p = new Param("w", [1], new Float32Array([3]));
 * const d = numericalDerivative(() => p.value[0] ** 2, p, 0, 1e-2);
 * assert.ok(Math.abs(d - 6) < 1e-5);
 * ```
 */
export function numericalDerivative(
  loss: () => number,
  param: Param,
  i: number,
  eps: number,
): number {
  const v = param.value;
  const orig = v[i];
  v[i] = orig + eps;
  const up = v[i] - orig;
  const fUp = loss();
  v[i] = orig - eps;
  const down = orig - v[i];
  const fDown = loss();
  v[i] = orig;
  return (fUp - fDown) / (up + down);
}

/**
 * Checks `param.grad` (which the caller has filled by a forward and backward pass at the current
 * values) against central differences of `loss`, a function that recomputes the loss from
 * scratch at the current parameter values (it must reset any carried state itself and must not
 * depend on `param.grad`). Returns the errors; the caller asserts on them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Param } from "@rnnlab/rnnlab";
 * import { gradCheck } from "./gradcheck.ts";
 * const p = new Param("w", [2], new Float32Array([1, -2]));
 * const loss = () => p.value[0] * p.value[1]; // d/dw0 = w1, d/dw1 = w0
 * p.grad.set([p.value[1], p.value[0]]);
 * assert.ok(gradCheck(loss, [p]).maxRelError < 1e-4);
 * ```
 */
export function gradCheck(
  loss: () => number,
  params: Param[],
  options: GradCheckOptions = {},
): GradCheckResult {
  const eps = options.eps ?? 1e-2;
  const maxEntries = options.maxEntries ?? 64;
  const floor = options.floor ?? 1e-3;
  const richardson = options.richardson ?? true;
  const rng = new Rng(options.seed ?? 0);
  const out: ParamCheck[] = [];
  for (const p of params) {
    const analytic = p.grad.slice(); // loss() calls may not touch grad, but be safe
    const indices = chooseIndices(p.size, maxEntries, rng);
    const check: ParamCheck = {
      name: p.name,
      checked: indices.length,
      maxRelError: 0,
      maxAbsError: 0,
      worstIndex: -1,
      worst: { analytic: 0, numeric: 0 },
    };
    for (const i of indices) {
      const coarse = numericalDerivative(loss, p, i, eps);
      const numeric = richardson
        ? (4 * numericalDerivative(loss, p, i, eps / 2) - coarse) / 3
        : coarse;
      const a = analytic[i];
      const abs = Math.abs(a - numeric);
      const rel = abs / Math.max(Math.abs(a), Math.abs(numeric), floor);
      check.maxAbsError = Math.max(check.maxAbsError, abs);
      if (!(rel <= check.maxRelError)) {
        check.maxRelError = Number.isNaN(rel) ? Infinity : rel;
        check.worstIndex = i;
        check.worst = { analytic: a, numeric };
      }
    }
    p.grad.set(analytic);
    out.push(check);
  }
  return { maxRelError: Math.max(0, ...out.map((c) => c.maxRelError)), params: out };
}

/** All indices if `size <= max`, else `max` distinct random ones in increasing order. */
function chooseIndices(size: number, max: number, rng: Rng): number[] {
  if (size <= max) return Array.from({ length: size }, (_, i) => i);
  const chosen = new Set<number>();
  while (chosen.size < max) chosen.add(rng.int(size));
  return [...chosen].sort((a, b) => a - b);
}

/**
 * A one-line description of a check, for assertion messages.
 *
 * @example
 * ```ts
 * import { describeGradCheck } from "./gradcheck.ts";
 * console.log(describeGradCheck({ maxRelError: 0, params: [] }));
 * ```
 */
export function describeGradCheck(result: GradCheckResult): string {
  return result.params.map((c) =>
    `${c.name}: rel ${c.maxRelError.toExponential(2)} at ${c.worstIndex} ` +
    `(analytic ${c.worst.analytic.toPrecision(6)}, numeric ${c.worst.numeric.toPrecision(6)})`
  ).join("; ");
}
