/**
 * Side-by-side comparison of runs: the hyperparameters that differ between them (plus the seed)
 * and their figures. Completed runs that differ only by seed are pooled into one row with the
 * mean ± sample standard deviation and the count; runs that did not complete stay one per row,
 * so a crashed run's partial figures never blur a mean.
 *
 * Renders as an aligned text table, JSON, CSV or Markdown, and as overlay curves (SVG for the
 * browser, a character chart for the terminal).
 *
 * @module
 */

import { configurationKey, type MetricLine } from "../run/record.ts";
import { mannWhitneyU, median } from "../core/stats.ts";
import type { ExperimentBase } from "../experiments/define.ts";
import { findExperiment, listExperiments } from "../experiments/mod.ts";
import type { RunInfo } from "./runs_index.ts";
import { alignedTable, markdownTable } from "./text_table.ts";
import {
  type CurveSeries,
  PALETTE,
  type Point,
  referenceBands,
  renderCurveSvg,
  runCurves,
} from "./plot_svg.ts";
import { type ChartSeries, renderTerminalChart } from "./terminal_chart.ts";

/** Mean, sample standard deviation and count of the non-null values of one metric. */
export interface Stat {
  /** The mean, or null when there are no values. */
  mean: number | null;
  /** Sample standard deviation (n - 1 in the denominator); null when n < 2. */
  std: number | null;
  /** How many values. */
  n: number;
  /** The values themselves. */
  values: number[];
}

/** The figures compared, in column order. */
export const METRICS = [
  "epochs",
  "final_train_ppl",
  "best_valid_ppl",
  "test_ppl",
  "test_ppl_best",
  "wall_time_s",
  "tokens_per_sec",
] as const;
/** One compared figure. */
export type MetricKey = typeof METRICS[number];

/** Column headings of the figures in the text, Markdown and HTML tables. */
export const METRIC_TITLES: Record<MetricKey, string> = {
  epochs: "epochs",
  final_train_ppl: "train ppl",
  best_valid_ppl: "best valid ppl",
  test_ppl: "test ppl",
  test_ppl_best: "test ppl (best)",
  wall_time_s: "wall s",
  tokens_per_sec: "tokens/s",
};

const DIGITS: Record<MetricKey, number> = {
  epochs: 0,
  final_train_ppl: 2,
  best_valid_ppl: 2,
  test_ppl: 2,
  test_ppl_best: 2,
  wall_time_s: 1,
  tokens_per_sec: 0,
};

/** One row of a comparison: a single run, or completed runs that differ only by seed. */
export interface ComparisonRow {
  /** The experiment's name. */
  experiment: string;
  /** The runs of this row (one, or the replicates pooled). */
  runs: RunInfo[];
  /** Their seeds. */
  seeds: number[];
  /**
   * The varying hyperparameters' values (null: the run's experiment has no such key), and the
   * data under `data` when rows differ in it.
   */
  hyperparameters: Record<string, number | boolean | string | null>;
  /** The data the row's runs trained on: the corpus and, for a user's corpus, its checksum. */
  data: string;
  /** The status, or a count per status. */
  status: string;
  /** Each figure over the row's runs. */
  metrics: Record<MetricKey, Stat>;
  /** The reference verdict, or a count per verdict. */
  reference: string;
  /** Same-seed reruns in this row (counted once in the figures): the seed and how many runs. */
  duplicates: { seed: number; runs: number; identical: boolean }[];
  /**
   * For a pooled seed group of the reference configuration: how it compares with the book
   * code's seeds ({@linkcode bookGroupVerdict}); null otherwise.
   */
  book: BookGroupVerdict | null;
}

/** How a seed group compares with the book code's seed distribution. */
export interface BookGroupVerdict {
  /**
   * `consistent` when no checkpoint differs, `differs` when one does, `too_few_seeds` when the
   * group is too small for the test ever to find a difference at its level (and no median lies
   * outside the book's range).
   */
  verdict: "consistent" | "differs" | "too_few_seeds";
  /** Seeds in the group, and in the book's code. */
  n: number;
  /** The book's seeds. */
  bookN: number;
  /** The test and the significance level per checkpoint (Bonferroni over the checkpoints). */
  test: string;
  /** Per checkpoint: the group's median, the book's range, the two-sided p-value. */
  checkpoints: { at: string; median: number; range: [number, number]; p: number; ok: boolean }[];
}

/** The family-wise significance level of {@linkcode bookGroupVerdict}. */
export const BOOK_ALPHA = 0.05;

/**
 * Compares a seed group of its experiment's reference configuration with the book code's seeds:
 * at each of the book's checkpoints (epochs of training perplexity, or the test perplexity), a
 * two-sided Mann–Whitney U test of the two samples, at level {@linkcode BOOK_ALPHA} divided by
 * the number of checkpoints (Bonferroni), and whether the group's median lies within the book's
 * lowest and highest seed. `consistent` when every checkpoint passes both; `too_few_seeds` when
 * even the most extreme ranking of so few seeds would not reach the level (two seeds against the
 * book's ten: the smallest p-value possible is 2 / C(12, 2) = 0.03), so the test could not have
 * failed. Null when the runs are fewer than 2, not all of the reference configuration, or the
 * experiment has no book seeds.
 *
 * The test is rank-based because perplexities after many epochs are far from normal (chapter 5's
 * epoch-100 figures of the book's ten seeds run from 5.18 to 7.65 with a long upper tail) and the
 * samples are small; it asks whether one sample tends to be larger than the other.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bookGroupVerdict, loadExperiment, type RunInfo } from "@rnnlab/rnnlab";
 * const { experiment } = loadExperiment("ch06_rnnlm");
 * const run = (test_ppl: number) => ({
 *   record: { reference: { verdict: "inside_book_range" }, summary: { test_ppl } },
 * }) as unknown as RunInfo;
 * const v = bookGroupVerdict(experiment, [135.1, 135.6, 134.9, 136.0, 135.3].map(run))!;
 * assert.equal(v.verdict, "consistent");
 * assert.equal(v.bookN, 5);
 * // Two seeds against five: no ranking gives p below 2 / C(7, 2) = 0.095, so nothing is tested.
 * assert.equal(bookGroupVerdict(experiment, [135.1, 135.6].map(run))!.verdict, "too_few_seeds");
 * ```
 */
export function bookGroupVerdict(exp: ExperimentBase, runs: RunInfo[]): BookGroupVerdict | null {
  const dist = exp.reference?.distribution;
  if (!dist || runs.length < 2) return null;
  if (runs.some((r) => !r.record.reference || r.record.reference.verdict === "not_applicable")) {
    return null;
  }
  const samples: { at: string; group: number[]; book: number[] }[] = [];
  if (dist.metric === "train_ppl" && dist.epochs) {
    for (const [e, book] of Object.entries(dist.epochs)) {
      const group = runs.flatMap((r) => {
        const c = r.record.reference.checkpoints?.find((c) => c.epoch === Number(e));
        return c ? [c.value] : [];
      });
      if (group.length === runs.length) samples.push({ at: `epoch ${e}`, group, book });
    }
  } else if (dist.values) {
    const group = runs.flatMap((r) =>
      (r.record.summary.test_ppl ?? null) === null ? [] : [r.record.summary.test_ppl!]
    );
    if (group.length === runs.length) samples.push({ at: "test", group, book: dist.values });
  }
  if (samples.length === 0) return null;
  const level = BOOK_ALPHA / samples.length;
  const checkpoints = samples.map(({ at, group, book }) => {
    const range: [number, number] = [Math.min(...book), Math.max(...book)];
    const m = median(group);
    const { p } = mannWhitneyU(group, book);
    return { at, median: m, range, p, ok: p >= level && m >= range[0] && m <= range[1] };
  });
  // The smallest two-sided p-value the exact test can give for these sample sizes.
  const n = runs.length, m = samples[0].book.length;
  let ways = 1; // C(n + m, n)
  for (let i = 1; i <= n; i++) ways = (ways * (m + i)) / i;
  const powerless = 2 / ways >= level;
  const mediansInside = checkpoints.every((c) => c.median >= c.range[0] && c.median <= c.range[1]);
  return {
    verdict: powerless && mediansInside
      ? "too_few_seeds"
      : checkpoints.every((c) => c.ok)
      ? "consistent"
      : "differs",
    n: runs.length,
    bookN: samples[0].book.length,
    test: `two-sided Mann-Whitney U at ${+level.toPrecision(
      3,
    )} per checkpoint (${BOOK_ALPHA} / ${samples.length})`,
    checkpoints,
  };
}

/** A group verdict in a few words, for tables: `consistent with the book (10 v 10)`. */
export function bookVerdictLabel(v: BookGroupVerdict | null): string | null {
  if (v === null) return null;
  if (v.verdict === "consistent") return `consistent with the book (${v.n} v ${v.bookN} seeds)`;
  if (v.verdict === "too_few_seeds") {
    return `too few seeds to test against the book (${v.n} v ${v.bookN})`;
  }
  const bad = v.checkpoints.filter((c) => !c.ok).map((c) => `${c.at} (p ${c.p.toPrecision(2)})`);
  return `differs from the book at ${bad.join(", ")}`;
}

/** A comparison of runs. */
export interface Comparison {
  /** Hyperparameter keys whose values are not the same in every run, sorted. */
  varying: string[];
  /** The rows, in order. */
  rows: ComparisonRow[];
}

/**
 * Mean and sample standard deviation of the finite numbers among `values`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stat } from "@rnnlab/rnnlab";
 * const s = stat([2, 4, 9, null]);
 * assert.equal(s.mean, 5);
 * assert.equal(s.n, 3);
 * assert.ok(Math.abs(s.std! - Math.sqrt(13)) < 1e-12);
 * ```
 */
export function stat(values: (number | null | undefined)[]): Stat {
  const v = values.filter((x): x is number => typeof x === "number" && Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: null, std: null, n: 0, values: [] };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? null : Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, std, n, values: v };
}

function metricValue(run: RunInfo, key: MetricKey): number | null {
  const s = run.record.summary;
  const v = key === "epochs" ? s.epochs_completed : s[key];
  return typeof v === "number" ? v : null;
}

function countLabel(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  if (counts.size === 1) return values[0];
  return [...counts].map(([k, n]) => `${n} ${k}`).join(", ");
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The pseudo-hyperparameter under which rows that trained on different data show it. */
const DATA_KEY = "data";

/** `ptb`, or a user corpus's name and the first digits of its training file's checksum. */
function dataLabel(r: RunInfo): string {
  const d = r.record.data;
  if (!d) return "unrecorded";
  if (!d.text_corpus) return d.corpus;
  const train = d.files?.find((f) => f.split === "train")?.sha256.slice(0, 8) ?? "";
  return `${d.corpus} ${train}`.trim();
}

function cmpValues(
  a: number | boolean | string | null,
  b: number | boolean | string | null,
): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === "string" || typeof b === "string") return String(a) < String(b) ? -1 : 1;
  return Number(a) - Number(b);
}

/**
 * Builds the comparison of `runs`: finds the varying hyperparameters, pools completed runs that
 * share experiment and hyperparameters, and computes each row's statistics. Rows are sorted by
 * experiment, then the varying values, then the first run id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildComparison, emptySummary, type RunInfo, type RunRecord } from "@rnnlab/rnnlab";
 * // Usually `(await listRuns(["results"])).runs`; here three runs made up, two seeds of lr 0.1:
 * const run = (runId: string, seed: number, lr: number, ppl: number): RunInfo => {
 *   const hyperparameters: Record<string, number> = { lr };
 *   const summary = { ...emptySummary(), epochs_completed: 1, final_train_ppl: ppl };
 *   const record = { seed, hyperparameters, summary } as RunRecord;
 *   const experiment = "ch05_simple_rnnlm", dir = `results/${experiment}/${runId}`;
 *   return { dir, experiment, runId, record, status: "completed" };
 * };
 * const runs = [run("r1", 1, 0.1, 5.5), run("r2", 2, 0.1, 6.5), run("r3", 1, 1, 3)];
 * const c = buildComparison(runs);
 * assert.deepEqual(c.varying, ["lr"]);
 * assert.equal(c.rows.length, 2); // the two seeds of lr 0.1 are pooled
 * assert.deepEqual(c.rows[0].seeds, [1, 2]);
 * assert.equal(c.rows[0].metrics.final_train_ppl.mean, 6);
 * assert.equal(c.rows[1].hyperparameters.lr, 1);
 * ```
 */
export function buildComparison(runs: RunInfo[]): Comparison {
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.record.hyperparameters)) keys.add(k);
  const varying = [...keys].filter((k) => {
    if (k === "blas_threads") return false; // how to compute, not what
    const first = runs[0]?.record.hyperparameters[k] ?? null;
    return runs.some((r) => !same(r.record.hyperparameters[k] ?? null, first));
  }).sort();

  // Replicates are completed runs of one configuration (experiment, hyperparameters, data); a
  // run of other data, or one that did not complete, is a row of its own.
  const groups = new Map<string, RunInfo[]>();
  for (const r of runs) {
    const key = r.status === "completed"
      ? configurationKey(r.record)
      : JSON.stringify(["single", r.dir]);
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const known = new Set(listExperiments());

  const rows: ComparisonRow[] = [...groups.values()].map((all) => {
    all.sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
    // One run per seed in the figures; same-seed reruns are duplicates.
    const bySeed = new Map<number, RunInfo[]>();
    for (const r of all) bySeed.set(r.record.seed, [...(bySeed.get(r.record.seed) ?? []), r]);
    const g = [...bySeed.values()].map((rs) => rs[0]);
    const duplicates = [...bySeed.entries()].filter(([, rs]) => rs.length > 1).map((
      [seed, rs],
    ) => ({
      seed,
      runs: rs.length,
      identical: rs.every((r) =>
        same(r.record.summary.final_train_ppl, rs[0].record.summary.final_train_ppl) &&
        same(r.record.summary.test_ppl, rs[0].record.summary.test_ppl)
      ),
    }));
    const hyperparameters: Record<string, number | boolean | string | null> = {};
    for (const k of varying) hyperparameters[k] = g[0].record.hyperparameters[k] ?? null;
    const metrics = {} as Record<MetricKey, Stat>;
    for (const m of METRICS) metrics[m] = stat(g.map((r) => metricValue(r, m)));
    const book = g.length > 1 && known.has(g[0].experiment)
      ? bookGroupVerdict(findExperiment(g[0].experiment).experiment, g)
      : null;
    return {
      experiment: g[0].experiment,
      runs: g,
      seeds: g.map((r) => r.record.seed),
      hyperparameters,
      status: countLabel(g.map((r) => r.status)),
      metrics,
      reference: bookVerdictLabel(book) ??
        countLabel(g.map((r) => r.record.reference?.verdict ?? "not_applicable")),
      duplicates,
      book,
      data: dataLabel(g[0]),
    };
  });
  if (new Set(rows.map((r) => r.data)).size > 1) {
    varying.push(DATA_KEY);
    varying.sort();
  }
  for (const r of rows) if (varying.includes(DATA_KEY)) r.hyperparameters[DATA_KEY] = r.data;
  rows.sort((a, b) => {
    if (a.experiment !== b.experiment) return a.experiment < b.experiment ? -1 : 1;
    for (const k of varying) {
      const c = cmpValues(a.hyperparameters[k], b.hyperparameters[k]);
      if (c !== 0) return c;
    }
    return a.runs[0].runId < b.runs[0].runId ? -1 : a.runs[0].runId > b.runs[0].runId ? 1 : 0;
  });
  return { varying, rows };
}

/**
 * A statistic as table text: `-` when absent, the value for one run, `mean ± std` for several.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatStat, stat } from "@rnnlab/rnnlab";
 * assert.equal(formatStat(stat([5.5, 6.5]), 2), "6.00 ± 0.71");
 * assert.equal(formatStat(stat([]), 2), "-");
 * ```
 */
export function formatStat(s: Stat, digits: number): string {
  if (s.n === 0 || s.mean === null) return "-";
  const d = digits === 0 && s.n > 1 && !Number.isInteger(s.mean) ? 1 : digits;
  if (s.n === 1 || s.std === null) return s.values[0].toFixed(d);
  return `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}`;
}

function formatValue(v: number | boolean | string | null): string {
  return v === null ? "-" : String(v);
}

/**
 * The label of a row in legends: the experiment (when several are compared), the values that vary
 * among that experiment's rows, the run id when needed, and the seed(s).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   buildComparison,
 *   emptySummary,
 *   rowLabel,
 *   type RunInfo,
 *   type RunRecord,
 * } from "@rnnlab/rnnlab";
 * // Usually `(await listRuns(["results"])).runs`; here three runs made up, two seeds of lr 0.1:
 * const run = (runId: string, seed: number, lr: number, ppl: number): RunInfo => {
 *   const hyperparameters: Record<string, number> = { lr };
 *   const summary = { ...emptySummary(), epochs_completed: 1, final_train_ppl: ppl };
 *   const record = { seed, hyperparameters, summary } as RunRecord;
 *   const experiment = "ch05_simple_rnnlm", dir = `results/${experiment}/${runId}`;
 *   return { dir, experiment, runId, record, status: "completed" };
 * };
 * const runs = [run("r1", 1, 0.1, 5.5), run("r2", 2, 0.1, 6.5), run("r3", 1, 1, 3)];
 * const c = buildComparison(runs);
 * assert.equal(rowLabel(c.rows[0], c), "lr=0.1 (2 seeds)");
 * assert.equal(rowLabel(c.rows[1], c), "lr=1 seed 1");
 * ```
 */
export function rowLabel(row: ComparisonRow, c: Comparison): string {
  const parts: string[] = [];
  const siblings = c.rows.filter((r) => r.experiment === row.experiment);
  if (siblings.length < c.rows.length) parts.push(row.experiment);
  for (const k of c.varying) {
    const v = row.hyperparameters[k];
    if (v !== null && siblings.some((r) => r.hyperparameters[k] !== v)) {
      parts.push(`${k}=${formatValue(v)}`);
    }
  }
  if (parts.length === 0 || row.runs.length === 1 && row.status !== "completed") {
    parts.push(row.runs[0].runId);
  }
  parts.push(row.runs.length > 1 ? `(${row.runs.length} seeds)` : `seed ${row.seeds[0]}`);
  return parts.join(" ");
}

/** A comparison as a table of strings, shared by the text, Markdown and HTML renderings. */
export interface ComparisonTable {
  /** Column headings. */
  headers: string[];
  /** Cells, row by row. */
  rows: string[][];
  /** Per column: right-align (numbers). */
  numeric: boolean[];
}

/**
 * Lays the comparison out as table cells. With `dropEmpty`, figures no row has (e.g. test
 * perplexity for chapter 5) get no column.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   buildComparison,
 *   comparisonTable,
 *   emptySummary,
 *   type RunInfo,
 *   type RunRecord,
 * } from "@rnnlab/rnnlab";
 * // Usually `(await listRuns(["results"])).runs`; here three runs made up, two seeds of lr 0.1:
 * const run = (runId: string, seed: number, lr: number, ppl: number): RunInfo => {
 *   const hyperparameters: Record<string, number> = { lr };
 *   const summary = { ...emptySummary(), epochs_completed: 1, final_train_ppl: ppl };
 *   const record = { seed, hyperparameters, summary } as RunRecord;
 *   const experiment = "ch05_simple_rnnlm", dir = `results/${experiment}/${runId}`;
 *   return { dir, experiment, runId, record, status: "completed" };
 * };
 * const runs = [run("r1", 1, 0.1, 5.5), run("r2", 2, 0.1, 6.5), run("r3", 1, 1, 3)];
 * const t = comparisonTable(buildComparison(runs), true);
 * assert.deepEqual(t.headers, [
 *   ..."experiment run seed n lr status epochs".split(" "),
 *   "train ppl", // no valid or test perplexity in these runs: no such columns
 *   "wall s",
 *   "reference",
 * ]);
 * assert.deepEqual(t.rows[0].slice(1, 4), ["r1 (+1)", "1,2", "2"]);
 * assert.equal(t.rows[0][7], "6.00 ± 0.71");
 * ```
 */
export function comparisonTable(c: Comparison, dropEmpty = true): ComparisonTable {
  const metrics = METRICS.filter((m) => !dropEmpty || c.rows.some((r) => r.metrics[m].n > 0));
  const headers = ["experiment", "run", "seed", "n", ...c.varying, "status"];
  const numeric = [false, false, false, true, ...c.varying.map(() => true), false];
  headers.push(...metrics.map((m) => METRIC_TITLES[m]), "reference");
  numeric.push(...metrics.map(() => true), false);
  const rows = c.rows.map((r) => [
    r.experiment,
    r.runs.length > 1 ? `${r.runs[0].runId} (+${r.runs.length - 1})` : r.runs[0].runId,
    seedsLabel(r),
    String(r.runs.length),
    ...c.varying.map((k) => formatValue(r.hyperparameters[k])),
    r.status,
    ...metrics.map((m) => formatStat(r.metrics[m], DIGITS[m])),
    r.reference,
  ]);
  return { headers, rows, numeric };
}

/**
 * Quotes a CSV field when it needs it (RFC 4180).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { csvField } from "@rnnlab/rnnlab";
 * assert.equal(csvField('a,"b"'), '"a,""b"""');
 * assert.equal(csvField("plain"), "plain");
 * ```
 */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

function csvTable(c: Comparison): string {
  const headers = ["experiment", "run_ids", "seeds", "n", ...c.varying, "status"];
  for (const m of METRICS) headers.push(`${m}_mean`, `${m}_std`, `${m}_n`);
  headers.push("reference");
  const num = (v: number | null) => (v === null ? "" : String(v));
  const rows = c.rows.map((r) => [
    r.experiment,
    r.runs.map((x) => x.runId).join(";"),
    r.seeds.join(";"),
    String(r.runs.length),
    ...c.varying.map((k) => (r.hyperparameters[k] === null ? "" : String(r.hyperparameters[k]))),
    r.status,
    ...METRICS.flatMap((
      m,
    ) => [num(r.metrics[m].mean), num(r.metrics[m].std), String(r.metrics[m].n)]),
    r.reference,
  ]);
  return [headers, ...rows].map((r) => r.map(csvField).join(",")).join("\n") + "\n";
}

/** The comparison as plain JSON-ready data. */
export function comparisonJson(c: Comparison): unknown {
  return {
    varying_hyperparameters: c.varying,
    rows: c.rows.map((r) => ({
      experiment: r.experiment,
      label: rowLabel(r, c),
      n: r.runs.length,
      run_ids: r.runs.map((x) => x.runId),
      run_dirs: r.runs.map((x) => x.dir),
      seeds: r.seeds,
      duplicates: r.duplicates,
      data: r.data,
      statuses: r.runs.map((x) => x.status),
      status: r.status,
      hyperparameters: r.hyperparameters,
      metrics: Object.fromEntries(
        METRICS.map((
          m,
        ) => [m, { mean: r.metrics[m].mean, std: r.metrics[m].std, n: r.metrics[m].n }]),
      ),
      reference: {
        summary: r.reference,
        verdicts: r.runs.map((x) => x.record.reference?.verdict ?? "not_applicable"),
        metric: r.runs[0].record.reference?.metric ?? null,
        band: r.runs[0].record.reference?.band ?? null,
        source: r.runs[0].record.reference?.source ?? null,
        book: r.book,
      },
    })),
  };
}

/** The seeds of a row, and its same-seed reruns: `1,2,3 (+1 rerun of 1, identical)`. */
function seedsLabel(r: ComparisonRow): string {
  const dup = r.duplicates.map((d) =>
    `+${d.runs - 1} rerun${d.runs > 2 ? "s" : ""} of ${d.seed}, ${
      d.identical ? "identical" : "NOT identical"
    }`
  );
  return r.seeds.join(",") + (dup.length ? ` (${dup.join("; ")})` : "");
}

/** Output formats of {@linkcode formatComparison}. */
export type CompareFormat = "text" | "json" | "csv" | "md";

/**
 * Renders a comparison: `text` (aligned columns), `json`, `csv` (one column per statistic, empty
 * cells for missing values) or `md` (a GitHub table).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   buildComparison,
 *   emptySummary,
 *   formatComparison,
 *   type RunInfo,
 *   type RunRecord,
 * } from "@rnnlab/rnnlab";
 * // Usually `(await listRuns(["results"])).runs`; here three runs made up, two seeds of lr 0.1:
 * const run = (runId: string, seed: number, lr: number, ppl: number): RunInfo => {
 *   const hyperparameters: Record<string, number> = { lr };
 *   const summary = { ...emptySummary(), epochs_completed: 1, final_train_ppl: ppl };
 *   const record = { seed, hyperparameters, summary } as RunRecord;
 *   const experiment = "ch05_simple_rnnlm", dir = `results/${experiment}/${runId}`;
 *   return { dir, experiment, runId, record, status: "completed" };
 * };
 * const runs = [run("r1", 1, 0.1, 5.5), run("r2", 2, 0.1, 6.5), run("r3", 1, 1, 3)];
 * const c = buildComparison(runs);
 * const md = formatComparison(c, "md").split("\n");
 * assert.ok(md[0].startsWith("| experiment | run | seed | n | lr | status | epochs |"));
 * assert.ok(md[2].includes("| 0.1 | completed | 1 ± 0 | 6.00 ± 0.71 |"));
 * const csv = formatComparison(c, "csv").trimEnd().split("\n");
 * assert.equal(csv.length, 3); // the header and one line per row
 * assert.ok(csv[1].startsWith("ch05_simple_rnnlm,r1;r2,1;2,2,0.1,completed,"));
 * assert.equal(JSON.parse(formatComparison(c, "json")).rows.length, 2);
 * ```
 */
export function formatComparison(c: Comparison, format: CompareFormat): string {
  switch (format) {
    case "json":
      return JSON.stringify(comparisonJson(c), null, 2) + "\n";
    case "csv":
      return csvTable(c);
    case "md": {
      const t = comparisonTable(c);
      return markdownTable(t.headers, t.rows, t.numeric) + "\n";
    }
    default: {
      const t = comparisonTable(c);
      return alignedTable(t.headers, t.rows, t.numeric) + "\n";
    }
  }
}

/** The training points of a run: per-epoch reports, or interval reports when it has none. */
function trainPoints(run: RunInfo, lines: MetricLine[]): Point[] {
  const c = runCurves(run.record, lines);
  return c.train.length > 0 ? c.train : c.trainInterval;
}

/**
 * Overlay chart of every run in the comparison: training perplexity solid, validation dashed,
 * one colour per row (the seeds of a pooled row share it and one legend entry).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   buildComparison,
 *   emptySummary,
 *   type MetricLine,
 *   renderOverlaySvg,
 *   type RunInfo,
 *   type RunRecord,
 * } from "@rnnlab/rnnlab";
 * // Usually `(await listRuns(["results"])).runs`; here three runs made up, two seeds of lr 0.1:
 * const run = (runId: string, seed: number, lr: number, ppl: number): RunInfo => {
 *   const hyperparameters: Record<string, number> = { lr };
 *   const summary = { ...emptySummary(), epochs_completed: 1, final_train_ppl: ppl };
 *   const record = { seed, hyperparameters, summary } as RunRecord;
 *   const experiment = "ch05_simple_rnnlm", dir = `results/${experiment}/${runId}`;
 *   return { dir, experiment, runId, record, status: "completed" };
 * };
 * const runs = [run("r1", 1, 0.1, 5.5), run("r2", 2, 0.1, 6.5), run("r3", 1, 1, 3)];
 * const epoch = (epoch: number, ppl: number): MetricLine =>
 *   ({ kind: "epoch", epoch, iter: 19, total_iters: 19 * epoch, ppl, lr: 0.1, elapsed_s: epoch });
 * const metrics = new Map( // run directory -> its metric lines (readMetrics)
 *   runs.map((r) => [r.dir, [epoch(1, 50), epoch(2, r.record.summary.final_train_ppl!)]]),
 * );
 * const svg = renderOverlaySvg(buildComparison(runs), metrics);
 * assert.ok(svg.startsWith("<svg "));
 * assert.match(svg, />lr=0.1 \(2 seeds\) train</); // one legend entry for the pooled seeds
 * assert.match(svg, />lr=1 seed 1 train</);
 * ```
 */
export function renderOverlaySvg(
  c: Comparison,
  metrics: Map<string, MetricLine[]>,
  title = "perplexity by epoch",
): string {
  const series: CurveSeries[] = [];
  c.rows.forEach((row, gi) => {
    const color = PALETTE[gi % PALETTE.length];
    const label = rowLabel(row, c);
    row.runs.forEach((run, k) => {
      const lines = metrics.get(run.dir) ?? [];
      const valid = runCurves(run.record, lines).valid;
      series.push({
        label: `${label} train`,
        points: trainPoints(run, lines),
        color,
        strokeWidth: row.runs.length > 1 ? 1.5 : 2,
        hideInLegend: k > 0,
      });
      if (valid.length > 0) {
        series.push({
          label: `${label} valid`,
          points: valid,
          color,
          dashed: true,
          markers: valid.length <= 50,
          hideInLegend: k > 0,
        });
      }
    });
  });
  // The book's envelope when every row is of one experiment's reference configuration.
  const bands = c.rows.length > 0 && new Set(c.rows.map((r) => r.experiment)).size === 1 &&
      c.rows.every((r) => r.runs.every((x) => referenceBands(x.record).length > 0))
    ? referenceBands(c.rows[0].runs[0].record)
    : [];
  return renderCurveSvg(series, {
    title,
    xLabel: "epoch",
    yLabel: "perplexity",
    logY: true,
    bands,
  });
}

/**
 * Terminal chart of the comparison: one marker per row, the row's training perplexity by epoch
 * (the mean over its runs at each epoch for a pooled row).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   buildComparison,
 *   emptySummary,
 *   type MetricLine,
 *   renderOverlayChart,
 *   type RunInfo,
 *   type RunRecord,
 * } from "@rnnlab/rnnlab";
 * // Usually `(await listRuns(["results"])).runs`; here three runs made up, two seeds of lr 0.1:
 * const run = (runId: string, seed: number, lr: number, ppl: number): RunInfo => {
 *   const hyperparameters: Record<string, number> = { lr };
 *   const summary = { ...emptySummary(), epochs_completed: 1, final_train_ppl: ppl };
 *   const record = { seed, hyperparameters, summary } as RunRecord;
 *   const experiment = "ch05_simple_rnnlm", dir = `results/${experiment}/${runId}`;
 *   return { dir, experiment, runId, record, status: "completed" };
 * };
 * const runs = [run("r1", 1, 0.1, 5.5), run("r2", 2, 0.1, 6.5), run("r3", 1, 1, 3)];
 * const epoch = (epoch: number, ppl: number): MetricLine =>
 *   ({ kind: "epoch", epoch, iter: 19, total_iters: 19 * epoch, ppl, lr: 0.1, elapsed_s: epoch });
 * const metrics = new Map( // run directory -> its metric lines (readMetrics)
 *   runs.map((r) => [r.dir, [epoch(1, 50), epoch(2, r.record.summary.final_train_ppl!)]]),
 * );
 * const chart = renderOverlayChart(buildComparison(runs), metrics, { width: 40, height: 8 });
 * const lines = chart.split("\n");
 * assert.equal(lines[0], "training perplexity by epoch (log scale)");
 * assert.ok(lines.includes("  * lr=0.1 (2 seeds)"));
 * assert.ok(lines.includes("  o lr=1 seed 1"));
 * ```
 */
export function renderOverlayChart(
  c: Comparison,
  metrics: Map<string, MetricLine[]>,
  options: { width?: number; height?: number } = {},
): string {
  const series: ChartSeries[] = c.rows.map((row) => {
    const byX = new Map<number, number[]>();
    for (const run of row.runs) {
      for (const [x, y] of trainPoints(run, metrics.get(run.dir) ?? [])) {
        const list = byX.get(x);
        if (list) list.push(y);
        else byX.set(x, [y]);
      }
    }
    const points: Point[] = [...byX].map((
      [x, ys],
    ) => [x, ys.reduce((a, b) => a + b, 0) / ys.length]);
    return { label: rowLabel(row, c), points };
  });
  return renderTerminalChart(series, {
    ...options,
    title: "training perplexity by epoch (log scale)",
    xLabel: "epoch",
  });
}
