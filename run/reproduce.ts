/**
 * Reproduction: rerun a recorded run from its configuration and seed, then compare the curves.
 *
 * When the environment fingerprint matches (OpenBLAS core and threads, Deno version, library and
 * experiment code hashes) the rerun must be **bit-identical**: every reported perplexity equal to
 * the last bit. Otherwise floating-point sums may round differently (another BLAS kernel, thread
 * split or V8), so the curves must agree **within a relative tolerance** (default 2 %).
 *
 * @module
 */

import type { Environment } from "./environment.ts";
import type { MetricLine, RunRecord } from "./record.ts";

/** The environment facts that decide whether a rerun must be bit-identical. */
export function fingerprint(env: Environment): Record<string, string | number> {
  return {
    openblas_core: env.openblas.core,
    openblas_threads: env.openblas.threads,
    deno: env.deno,
    code_sha256: env.code_sha256,
    experiment_sha256: env.experiment_sha256,
  };
}

/** The verdict of {@linkcode compareRuns}. */
export interface ReproduceVerdict {
  mode: "bit-identical" | "tolerance";
  /** Fingerprint fields that differ, as `key: recorded -> now`. */
  fingerprintDiffs: string[];
  rtol: number;
  /** Numbers compared (every ppl and valid_ppl of the compared lines, and the summary). */
  compared: number;
  maxRelDiff: number;
  /** What did not match, one line each. */
  mismatches: string[];
  ok: boolean;
}

/** The default relative tolerance when the fingerprints differ. */
export const DEFAULT_RTOL = 0.02;

/**
 * Compares a rerun with the original, over the original's first `epochs` epochs (all when
 * omitted; then the summary's test and valid figures are compared too).
 *
 * @example
 * ```ts ignore
 * const v = compareRuns(orig, origLines, rerun, rerunLines, { rtol: 0.02 });
 * if (!v.ok) console.log(v.mismatches.join("\n"));
 * ```
 */
export function compareRuns(
  original: RunRecord,
  originalLines: MetricLine[],
  rerun: RunRecord,
  rerunLines: MetricLine[],
  options: { rtol?: number; epochs?: number } = {},
): ReproduceVerdict {
  // A resumed run may have continued in another environment: every part must match.
  const b = fingerprint(rerun.environment);
  const parts = [
    original.environment,
    ...(original.resumes ?? []).flatMap((r) => r.environment ? [r.environment] : []),
  ];
  const fingerprintDiffs = [
    ...new Set(parts.flatMap((env) => {
      const a = fingerprint(env);
      return Object.keys(a).filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k]} -> ${b[k]}`);
    })),
  ];
  const mode = fingerprintDiffs.length === 0 ? "bit-identical" : "tolerance";
  const rtol = mode === "bit-identical" ? 0 : options.rtol ?? DEFAULT_RTOL;
  const upTo = options.epochs ?? Infinity;
  const mismatches: string[] = [];
  let compared = 0;
  let maxRelDiff = 0;
  const check = (what: string, x: number | null | undefined, y: number | null | undefined) => {
    if (x === undefined || x === null) return;
    compared++;
    if (y === undefined || y === null) {
      mismatches.push(`${what}: recorded ${x}, rerun has none`);
      return;
    }
    const rel = Math.abs(x - y) / Math.max(Math.abs(x), 1e-300);
    maxRelDiff = Math.max(maxRelDiff, rel);
    if (mode === "bit-identical" ? x !== y : !(rel <= rtol)) {
      mismatches.push(
        `${what}: recorded ${x}, rerun ${y} (relative difference ${rel.toExponential(2)})`,
      );
    }
  };
  const key = (l: MetricLine) =>
    `${l.kind === "epoch" ? "end of" : "interval in"} epoch ${l.epoch} iter ${l.iter}`;
  const rerunByKey = new Map(rerunLines.map((l) => [key(l), l]));
  for (const l of originalLines) {
    if (l.epoch > upTo) continue;
    const r = rerunByKey.get(key(l));
    if (!r) {
      mismatches.push(`${key(l)}: missing from the rerun`);
      continue;
    }
    check(`${key(l)} ppl`, l.ppl, r.ppl);
    check(`${key(l)} valid_ppl`, l.valid_ppl, r.valid_ppl);
  }
  if (options.epochs === undefined) {
    for (const k of ["test_ppl", "test_ppl_best", "final_valid_ppl", "best_valid_ppl"] as const) {
      check(`summary ${k}`, original.summary[k], rerun.summary[k]);
    }
  }
  if (compared === 0) mismatches.push("nothing to compare: the recorded run has no metrics");
  return {
    mode,
    fingerprintDiffs,
    rtol,
    compared,
    maxRelDiff,
    mismatches,
    ok: mismatches.length === 0,
  };
}
