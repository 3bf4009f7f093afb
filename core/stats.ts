/**
 * The statistics behind rnnlab's verdicts, in plain code: sample mean, standard deviation and
 * median; Student's t distribution (for prediction intervals of a seed group); and the
 * Mann–Whitney U test (for comparing a seed group with the book code's seeds).
 *
 * @module
 */

/**
 * The arithmetic mean (NaN for no values).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mean } from "@rnnlab/rnnlab";
 * assert.equal(mean([1, 2, 6]), 3);
 * ```
 */
export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * The sample standard deviation (`n - 1` in the denominator; NaN for fewer than two values).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleSd } from "@rnnlab/rnnlab";
 * assert.equal(sampleSd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
 * ```
 */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * The median (the mean of the middle two for an even count).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { median } from "@rnnlab/rnnlab";
 * assert.equal(median([5, 1, 3]), 3);
 * assert.equal(median([4, 1, 3, 2]), 2.5);
 * ```
 */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** `log Γ(x)` for `x > 0` (Lanczos, g = 7, nine coefficients: 15 digits). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularized incomplete beta function `I_x(a, b)` (continued fraction, modified Lentz). */
function betaIncomplete(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - betaIncomplete(1 - x, b, a);
  const front = Math.exp(
    a * Math.log(x) + b * Math.log(1 - x) - (logGamma(a) + logGamma(b) - logGamma(a + b)),
  ) / a;
  const tiny = 1e-300;
  let f = 1, c = 1, d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    const num = i === 0
      ? 1
      : i % 2 === 0
      ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))
      : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    d = Math.abs(d) < tiny ? tiny : d;
    d = 1 / d;
    c = 1 + num / c;
    c = Math.abs(c) < tiny ? tiny : c;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-15) break;
  }
  return front * (f - 1);
}

/**
 * The cumulative distribution function of Student's t with `df` degrees of freedom.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { studentTCdf } from "@rnnlab/rnnlab";
 * assert.equal(studentTCdf(0, 5), 0.5);
 * assert.ok(Math.abs(studentTCdf(2.015048, 5) - 0.95) < 1e-6);
 * ```
 */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * betaIncomplete(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The `p`-quantile of Student's t with `df` degrees of freedom (by bisection on the CDF).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { studentTQuantile } from "@rnnlab/rnnlab";
 * assert.ok(Math.abs(studentTQuantile(0.975, 9) - 2.262157) < 1e-5);
 * ```
 */
export function studentTQuantile(p: number, df: number): number {
  if (p === 0.5) return 0;
  let lo = -1e4, hi = 1e4;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * A two-sided prediction interval for one more draw from the population of `xs` (normal,
 * unknown mean and variance): `mean ± t(1 − α/2, n − 1) · s · sqrt(1 + 1/n)`. A new draw lies
 * inside with probability `1 − α`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { predictionInterval } from "@rnnlab/rnnlab";
 * const [lo, hi] = predictionInterval([10, 11, 12, 13, 14], 0.05);
 * assert.ok(lo < 8 && hi > 16 && Math.abs(lo + hi - 24) < 1e-9);
 * ```
 */
export function predictionInterval(xs: readonly number[], alpha: number): [number, number] {
  const n = xs.length, m = mean(xs), s = sampleSd(xs);
  const half = studentTQuantile(1 - alpha / 2, n - 1) * s * Math.sqrt(1 + 1 / n);
  return [m - half, m + half];
}

/** The outcome of {@linkcode mannWhitneyU}. */
export interface MannWhitney {
  /** `U` of the first sample: the pairs (x, y) with x > y, ties counted one half. */
  u: number;
  /** The two-sided p-value: exact without ties for samples of up to 20 each, else normal. */
  p: number;
  /** Whether `p` is exact. */
  exact: boolean;
}

/**
 * The Mann–Whitney U test of whether two independent samples come from the same distribution
 * (no assumption of normality), two-sided.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mannWhitneyU } from "@rnnlab/rnnlab";
 * const r = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
 * assert.equal(r.u, 0);
 * assert.ok(Math.abs(r.p - 2 / 252) < 1e-12); // the most extreme of C(10, 5) = 252 orderings
 * assert.equal(r.exact, true);
 * ```
 */
export function mannWhitneyU(xs: readonly number[], ys: readonly number[]): MannWhitney {
  const n1 = xs.length, n2 = ys.length;
  let u = 0;
  for (const x of xs) for (const y of ys) u += x > y ? 1 : x === y ? 0.5 : 0;
  const all = [...xs, ...ys].sort((a, b) => a - b);
  const ties = all.some((v, i) => i > 0 && v === all[i - 1]);
  if (!ties && n1 <= 20 && n2 <= 20) {
    // counts[k]: orderings with U = k, by the recurrence f(n1, n2, k) = f(n1-1, n2, k-n2) + f(n1, n2-1, k).
    const f = exactUCounts(n1, n2);
    const total = f.reduce((a, b) => a + b, 0);
    const lo = Math.min(u, n1 * n2 - u);
    let tail = 0;
    for (let k = 0; k <= lo; k++) tail += f[k];
    return { u, p: Math.min(1, (2 * tail) / total), exact: true };
  }
  // Normal approximation with the tie correction and a continuity correction.
  const n = n1 + n2;
  let tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j] === all[i]) j++;
    const t = j - i;
    tieTerm += t * t * t - t;
    i = j;
  }
  const sd = Math.sqrt((n1 * n2 / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = sd === 0 ? 0 : (Math.abs(u - (n1 * n2) / 2) - 0.5) / sd;
  return { u, p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z)))), exact: false };
}

/** `counts[k]` = the number of orderings of `n1` and `n2` distinct values with `U = k`. */
function exactUCounts(n1: number, n2: number): number[] {
  // f[a][b] as arrays over k, built bottom-up.
  let prev: number[][] = Array.from({ length: n2 + 1 }, () => [1]); // a = 0: U = 0 only
  for (let a = 1; a <= n1; a++) {
    const row: number[][] = [[1]]; // b = 0
    for (let b = 1; b <= n2; b++) {
      const out = new Array(a * b + 1).fill(0);
      const left = prev[b]; // f(a-1, b, k - b)
      for (let k = 0; k < left.length; k++) out[k + b] += left[k];
      const up = row[b - 1]; // f(a, b-1, k)
      for (let k = 0; k < up.length; k++) out[k] += up[k];
      row.push(out);
    }
    prev = row;
  }
  return prev[n2];
}

/** The standard normal CDF (Abramowitz–Stegun 7.1.26 on erf; error below 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 -
    (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t +
        0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}
