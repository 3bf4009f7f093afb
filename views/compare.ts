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

import type { MetricLine } from "../run/record.ts";
import type { RunInfo } from "./runs_index.ts";
import { type CurveSeries, PALETTE, type Point, renderCurveSvg, runCurves } from "./plot_svg.ts";
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
  /** The varying hyperparameters' values (null: the run's experiment has no such key). */
  hyperparameters: Record<string, number | boolean | null>;
  /** The status, or a count per status. */
  status: string;
  /** Each figure over the row's runs. */
  metrics: Record<MetricKey, Stat>;
  /** The reference verdict, or a count per verdict. */
  reference: string;
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

function cmpValues(a: number | boolean | null, b: number | boolean | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return Number(a) - Number(b);
}

/**
 * Builds the comparison of `runs`: finds the varying hyperparameters, pools completed runs that
 * share experiment and hyperparameters, and computes each row's statistics. Rows are sorted by
 * experiment, then the varying values, then the first run id.
 *
 * @example
 * ```ts ignore
 * const { runs } = await listRuns(["results"]);
 * const c = buildComparison(runs);
 * console.log(c.varying, c.rows.length);
 * ```
 */
export function buildComparison(runs: RunInfo[]): Comparison {
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.record.hyperparameters)) keys.add(k);
  const varying = [...keys].filter((k) => {
    const first = runs[0]?.record.hyperparameters[k] ?? null;
    return runs.some((r) => !same(r.record.hyperparameters[k] ?? null, first));
  }).sort();

  const groups = new Map<string, RunInfo[]>();
  for (const r of runs) {
    const hp = Object.entries(r.record.hyperparameters).sort(([a], [b]) => (a < b ? -1 : 1));
    const key = r.status === "completed"
      ? JSON.stringify([r.experiment, hp])
      : JSON.stringify(["single", r.dir]);
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }

  const rows: ComparisonRow[] = [...groups.values()].map((g) => {
    g.sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
    const hyperparameters: Record<string, number | boolean | null> = {};
    for (const k of varying) hyperparameters[k] = g[0].record.hyperparameters[k] ?? null;
    const metrics = {} as Record<MetricKey, Stat>;
    for (const m of METRICS) metrics[m] = stat(g.map((r) => metricValue(r, m)));
    return {
      experiment: g[0].experiment,
      runs: g,
      seeds: g.map((r) => r.record.seed),
      hyperparameters,
      status: countLabel(g.map((r) => r.status)),
      metrics,
      reference: countLabel(g.map((r) => r.record.reference?.verdict ?? "not_applicable")),
    };
  });
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

function formatValue(v: number | boolean | null): string {
  return v === null ? "-" : String(v);
}

/**
 * The label of a row in legends: the experiment (when several are compared), the values that vary
 * among that experiment's rows, the run id when needed, and the seed(s).
 *
 * @example
 * ```ts ignore
 * rowLabel(c.rows[0], c); // "lr=0.1 (3 seeds)"
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
 * ```ts ignore
 * const t = comparisonTable(buildComparison(runs), true);
 * console.log(t.headers.join(" | "));
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
    r.seeds.join(","),
    String(r.runs.length),
    ...c.varying.map((k) => formatValue(r.hyperparameters[k])),
    r.status,
    ...metrics.map((m) => formatStat(r.metrics[m], DIGITS[m])),
    r.reference,
  ]);
  return { headers, rows, numeric };
}

function textTable(t: ComparisonTable): string {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((s, i) => (t.numeric[i] ? s.padStart(widths[i]) : s.padEnd(widths[i]))).join("  ")
      .trimEnd();
  return [line(t.headers), widths.map((w) => "-".repeat(w)).join("  "), ...t.rows.map(line)]
    .join("\n");
}

function mdTable(t: ComparisonTable): string {
  const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n/g, " ");
  const line = (cells: string[]) => `| ${cells.map(esc).join(" | ")} |`;
  const align = t.numeric.map((n) => (n ? "---:" : "---"));
  return [line(t.headers), `| ${align.join(" | ")} |`, ...t.rows.map(line)].join("\n");
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
      },
    })),
  };
}

/** Output formats of {@linkcode formatComparison}. */
export type CompareFormat = "text" | "json" | "csv" | "md";

/**
 * Renders a comparison: `text` (aligned columns), `json`, `csv` (one column per statistic, empty
 * cells for missing values) or `md` (a GitHub table).
 *
 * @example
 * ```ts ignore
 * console.log(formatComparison(buildComparison(runs), "md"));
 * ```
 */
export function formatComparison(c: Comparison, format: CompareFormat): string {
  switch (format) {
    case "json":
      return JSON.stringify(comparisonJson(c), null, 2) + "\n";
    case "csv":
      return csvTable(c);
    case "md":
      return mdTable(comparisonTable(c)) + "\n";
    default:
      return textTable(comparisonTable(c)) + "\n";
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
 * ```ts ignore
 * const svg = renderOverlaySvg(c, new Map(runs.map((r) => [r.dir, linesOf(r)])));
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
  return renderCurveSvg(series, { title, xLabel: "epoch", yLabel: "perplexity", logY: true });
}

/**
 * Terminal chart of the comparison: one marker per row, the row's training perplexity by epoch
 * (the mean over its runs at each epoch for a pooled row).
 *
 * @example
 * ```ts ignore
 * console.log(renderOverlayChart(c, metricsByDir));
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
