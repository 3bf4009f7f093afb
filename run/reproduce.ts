/**
 * Reproduction: a rerun of a recorded run, from its configuration and seed, judged against the
 * record. Exactly one of three verdicts:
 *
 * - **BIT-IDENTICAL**: every recorded value (each metric line's perplexities and the summary's
 *   figures) equals the rerun's to the last bit.
 * - **WITHIN SEED SPREAD**: the values differ, but at every checkpoint the rerun lies inside the
 *   spread of the committed seed group of the same configuration (the rule is
 *   {@linkcode SPREAD_RULE}, justified in docs/reproducibility.md).
 * - **NOT REPRODUCED**: anything else, with the first values that break the rule. Values that
 *   differ although the rerun was pinned to the record's kernels, threads, worker count and code
 *   are NOT REPRODUCED too: they mean non-determinism, or an edited record.
 *
 * Bit-identity is judged from the values, not from fingerprints, so a refactor that keeps the
 * numbers keeps the verdict. A record whose summary contradicts its own metrics is refused
 * first.
 *
 * @module
 */

import { predictionInterval } from "../core/stats.ts";
import type { MetricLine, RunRecord, RunSummary } from "./record.ts";

/** The three verdicts of `reproduce`. */
export type VerdictName = "BIT-IDENTICAL" | "WITHIN SEED SPREAD" | "NOT REPRODUCED";

/** The rule of WITHIN SEED SPREAD, as `reproduce` prints it. */
export const SPREAD_RULE: string =
  "at every checkpoint, the rerun lies inside the 99% prediction interval (Bonferroni over the " +
  "checkpoints, on the log scale) of the committed seed group of the same configuration, n >= 3";

/** A record and its metric lines. */
export interface RecordedRun {
  /** Its `run.json`. */
  record: RunRecord;
  /** Its `metrics.jsonl`. */
  lines: MetricLine[];
}

/** What {@linkcode judgeReproduction} needs. */
export interface ReproductionInput {
  /** The recorded run. */
  original: RecordedRun;
  /** Its rerun. */
  rerun: RecordedRun;
  /**
   * Whether the rerun computed exactly as the record did: pinned to its kernels, threads and
   * workers, with the same library code (`code_sha256`) and Deno. Values that differ then mean
   * non-determinism.
   */
  sameComputation: boolean;
  /** The other completed runs of the original's configuration (its seed group, without it). */
  group: RecordedRun[];
  /** The experiment's checkpoint epochs, or null for every epoch. */
  checkpoints: number[] | null;
  /** Compare only the first `epochs` epochs (the summary is then left out). */
  epochs?: number;
  /** Family-wise error rate of the spread rule (default 0.01). */
  alpha?: number;
}

/** The verdict and how it was reached. */
export interface Judgement {
  /** One of the three verdicts. */
  verdict: VerdictName;
  /** Recorded values compared with the rerun's. */
  compared: number;
  /** How many of them differ. */
  differing: number;
  /** The largest relative difference among them. */
  maxRelDiff: number;
  /** Why the verdict is what it is: the first breaks of NOT REPRODUCED, the checkpoints judged otherwise. */
  reasons: string[];
}

const SUMMARY_KEYS = [
  "final_train_ppl",
  "best_train_ppl",
  "final_valid_ppl",
  "best_valid_ppl",
  "test_ppl",
  "test_ppl_best",
] as const;

/** The label of a metric line, e.g. `end of epoch 3` or `interval in epoch 2 at iteration 21`. */
function label(l: MetricLine): string {
  return l.kind === "epoch" ? `end of epoch ${l.epoch}` : `epoch ${l.epoch} iteration ${l.iter}`;
}

/**
 * Every value a record holds, as `[what, value]`: each metric line's `ppl` and `valid_ppl` (up to
 * `epochs`), and, for a whole run, the summary's figures.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySummary, recordedValues, type RunRecord } from "@rnnlab/rnnlab";
 * const record = { summary: { ...emptySummary(), final_train_ppl: 6.5 } } as RunRecord;
 * const line = { kind: "epoch" as const, epoch: 1, iter: 19, total_iters: 19, ppl: 6.5, lr: 0.1, elapsed_s: 1 };
 * assert.deepEqual(recordedValues(record, [line]), [
 *   ["end of epoch 1 ppl", 6.5],
 *   ["summary final_train_ppl", 6.5],
 * ]);
 * ```
 */
export function recordedValues(
  record: RunRecord,
  lines: readonly MetricLine[],
  epochs?: number,
): [string, number][] {
  const out: [string, number][] = [];
  for (const l of lines) {
    if (epochs !== undefined && l.epoch > epochs) continue;
    out.push([`${label(l)} ppl`, l.ppl]);
    if (typeof l.valid_ppl === "number") out.push([`${label(l)} valid_ppl`, l.valid_ppl]);
  }
  if (epochs === undefined) {
    for (const k of SUMMARY_KEYS) {
      const v = record.summary?.[k];
      if (typeof v === "number") out.push([`summary ${k}`, v]);
    }
  }
  return out;
}

/**
 * Where a record's summary contradicts its own metric lines (a summary edited by hand, or a
 * damaged record), one line each; empty when it does not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySummary, summaryContradictions, type RunRecord } from "@rnnlab/rnnlab";
 * const line = { kind: "epoch" as const, epoch: 1, iter: 19, total_iters: 19, ppl: 6.5, lr: 0.1, elapsed_s: 1 };
 * const honest = { summary: { ...emptySummary(), epochs_completed: 1, final_train_ppl: 6.5, best_train_ppl: 6.5 } } as RunRecord;
 * assert.deepEqual(summaryContradictions(honest, [line]), []);
 * const edited = { summary: { ...honest.summary, final_train_ppl: 5.1 } } as RunRecord;
 * assert.equal(summaryContradictions(edited, [line]).length, 1);
 * ```
 */
export function summaryContradictions(record: RunRecord, lines: readonly MetricLine[]): string[] {
  const epochs = lines.filter((l) => l.kind === "epoch");
  const s: Partial<RunSummary> = record.summary ?? {};
  const out: string[] = [];
  const expect = (key: keyof RunSummary, want: number | null) => {
    const have = s[key] ?? null;
    if (want !== null && have !== want) {
      out.push(`the record's summary ${key} is ${have}, but its metrics say ${want}`);
    }
  };
  if (epochs.length > 0) {
    expect("final_train_ppl", epochs.at(-1)!.ppl);
    expect("best_train_ppl", Math.min(...epochs.map((l) => l.ppl)));
    const valids = epochs.flatMap((l) => (typeof l.valid_ppl === "number" ? [l.valid_ppl] : []));
    if (valids.length > 0) {
      expect("final_valid_ppl", valids.at(-1)!);
      expect("best_valid_ppl", Math.min(...valids));
    }
  }
  return out;
}

/**
 * The checkpoint values of a run for the spread rule: the training perplexity at each checkpoint
 * epoch, the validation perplexity where scored, and for a whole run the test figures.
 */
function checkpointValues(
  run: RecordedRun,
  checkpoints: number[] | null,
  epochs: number | undefined,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of run.lines) {
    if (l.kind !== "epoch" || (epochs !== undefined && l.epoch > epochs)) continue;
    if (checkpoints !== null && !checkpoints.includes(l.epoch)) continue;
    out.set(`train ppl at epoch ${l.epoch}`, l.ppl);
    if (typeof l.valid_ppl === "number") out.set(`valid ppl at epoch ${l.epoch}`, l.valid_ppl);
  }
  if (epochs === undefined) {
    for (const k of ["test_ppl", "test_ppl_best"] as const) {
      const v = run.record.summary?.[k];
      if (typeof v === "number") out.set(k, v);
    }
  }
  return out;
}

/**
 * Judges a rerun against its record: see the module's three verdicts.
 *
 * @example
 * ```ts ignore
 * const j = judgeReproduction({ original, rerun, sameComputation: true, group, checkpoints: [1, 10, 50, 100] });
 * console.log(j.verdict, j.reasons[0] ?? "");
 * ```
 */
export function judgeReproduction(input: ReproductionInput): Judgement {
  const { original, rerun, epochs } = input;
  const contradictions = summaryContradictions(original.record, original.lines);
  const want = recordedValues(original.record, original.lines, epochs);
  const got = new Map(recordedValues(rerun.record, rerun.lines, epochs));
  let differing = 0, maxRelDiff = 0;
  const diffs: string[] = [];
  for (const [what, x] of want) {
    const y = got.get(what);
    if (y === undefined) {
      differing++;
      diffs.push(`${what}: recorded ${x}, the rerun has none`);
      continue;
    }
    if (x === y) continue;
    differing++;
    const rel = Math.abs(x - y) / Math.max(Math.abs(x), 1e-300);
    maxRelDiff = Math.max(maxRelDiff, rel);
    diffs.push(`${what}: recorded ${x}, rerun ${y} (relative difference ${rel.toExponential(2)})`);
  }
  const base = { compared: want.length, differing, maxRelDiff };
  if (want.length === 0) {
    return { verdict: "NOT REPRODUCED", ...base, reasons: ["the record has no values to compare"] };
  }
  if (contradictions.length > 0) {
    return { verdict: "NOT REPRODUCED", ...base, reasons: contradictions };
  }
  if (differing === 0) return { verdict: "BIT-IDENTICAL", ...base, reasons: [] };
  if (input.sameComputation) {
    return {
      verdict: "NOT REPRODUCED",
      ...base,
      reasons: [
        "the values differ although the rerun computed with the record's code, kernels, threads and workers: the computation is not deterministic, or the record was changed",
        ...diffs.slice(0, 5),
      ],
    };
  }
  const group = input.group;
  if (group.length < 3) {
    return {
      verdict: "NOT REPRODUCED",
      ...base,
      reasons: [
        `the values differ (largest relative difference ${
          maxRelDiff.toExponential(2)
        }) and the configuration has ${group.length} other committed seed${
          group.length === 1 ? "" : "s"
        } to judge them by, fewer than 3; commit a seed group (deno task experiment ${original.record.experiment} --seeds 1-5)`,
        ...diffs.slice(0, 3),
      ],
    };
  }
  const mine = checkpointValues(rerun, input.checkpoints, epochs);
  const theirs = checkpointValues(original, input.checkpoints, epochs);
  const groupValues = group.map((g) => checkpointValues(g, input.checkpoints, epochs));
  const k = theirs.size;
  const alpha = (input.alpha ?? 0.01) / Math.max(1, k);
  const breaks: string[] = [], judged: string[] = [];
  for (const [what, recorded] of theirs) {
    const values = groupValues.flatMap((g) => (g.has(what) ? [g.get(what)!] : []));
    if (values.length < 3) {
      breaks.push(`${what}: only ${values.length} runs of the seed group have it`);
      continue;
    }
    const [lo, hi] = predictionInterval(values.map(Math.log), alpha).map(Math.exp);
    const range = `[${lo.toPrecision(6)}, ${hi.toPrecision(6)}] from ${values.length} seeds`;
    const v = mine.get(what);
    if (v === undefined) breaks.push(`${what}: the rerun has none`);
    else if (!(v >= lo && v <= hi)) breaks.push(`${what}: rerun ${v} outside ${range}`);
    if (!(recorded >= lo && recorded <= hi)) {
      breaks.push(`${what}: the record's own ${recorded} lies outside ${range}`);
    }
    judged.push(`${what}: rerun ${v} inside ${range}`);
  }
  if (breaks.length > 0) return { verdict: "NOT REPRODUCED", ...base, reasons: breaks };
  return { verdict: "WITHIN SEED SPREAD", ...base, reasons: judged };
}
