/**
 * Perplexity curves as self-contained SVG: no scripts, no external fonts, every text escaped, no
 * element ids (so several charts can be inlined in one HTML page).
 *
 * {@linkcode renderCurveSvg} draws any set of series (axes, ticks, legend, log or linear y);
 * {@linkcode runSeries} turns a run's metric lines into series (x = epoch, fractional for interval
 * reports); {@linkcode writeCurveSvg} writes a run's `curve.svg`.
 *
 * @module
 */

import type { MetricLine, RunRecord } from "../run/record.ts";
import type { ExperimentBase } from "../experiments/define.ts";
import { findExperiment, listExperiments } from "../experiments/mod.ts";
import { writeFileAtomic } from "../core/files.ts";
import { fixed } from "./text_table.ts";

/** A point `[x, y]`. */
export type Point = [number, number];

/** One line of a chart. */
export interface CurveSeries {
  /** Legend text. */
  label: string;
  /** Points in drawing order; points with a non-finite coordinate (or y <= 0 on a log axis) are left out. */
  points: Point[];
  /** CSS colour; default: the palette colour of the series' index. */
  color?: string;
  /** Line width in pixels (default 2). */
  strokeWidth?: number;
  /** Draw the line dashed. */
  dashed?: boolean;
  /** Draw a dot at every point. */
  markers?: boolean;
  /** Leave the series out of the legend (e.g. a second seed whose group is already listed). */
  hideInLegend?: boolean;
}

/** Options of {@linkcode renderCurveSvg}. */
export interface CurveOptions {
  /** The chart's title. */
  title: string;
  /** A smaller second line under the title. */
  subtitle?: string;
  /** The x axis's label. */
  xLabel: string;
  /** The y axis's label. */
  yLabel: string;
  /** Logarithmic y axis (default false). */
  logY?: boolean;
  /** Width of the drawing in pixels (default 720). */
  width?: number;
  /** Height of the plot with its axes, without the legend (default 420). */
  height?: number;
  /** Shaded bands drawn under the series (e.g. the book code's seed envelope). */
  bands?: CurveBand[];
}

/** A shaded band: between `lo` and `hi` at each `x`, in drawing order. */
export interface CurveBand {
  /** Legend text. */
  label: string;
  /** `[x, lo, hi]` points. */
  points: [number, number, number][];
  /** CSS colour (default a light grey). */
  color?: string;
}

/**
 * The book code's seed envelope of an experiment (lowest and highest seed at each of the book's
 * epochs) as a band to draw under training curves, or none when the book gives no per-epoch
 * seeds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bookEnvelope, loadExperiment } from "@rnnlab/rnnlab";
 * const [band] = bookEnvelope(loadExperiment("ch05_simple_rnnlm").experiment);
 * assert.deepEqual(band.points[0], [1, 338.19, 406.94]);
 * assert.equal(band.points.length, 4);
 * ```
 */
export function bookEnvelope(exp: ExperimentBase | null): CurveBand[] {
  const dist = exp?.reference?.distribution;
  if (!dist || dist.metric !== "train_ppl" || !dist.epochs) return [];
  const seeds = Object.values(dist.epochs)[0]?.length ?? 0;
  const points = Object.entries(dist.epochs)
    .map(([e, v]) => [Number(e), Math.min(...v), Math.max(...v)] as [number, number, number])
    .sort((a, b) => a[0] - b[0]);
  return [{ label: `book code, ${seeds} seeds (lowest to highest)`, points }];
}

/** The colour of a band (a seed envelope). */
const BAND_COLOR = "#9e9e9e";

/** Ten distinguishable colours (Tableau 10). */
export const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/**
 * Escapes text for XML/HTML content and attribute values, and drops characters XML 1.0 forbids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeXml } from "@rnnlab/rnnlab";
 * assert.equal(escapeXml(`a<b & "c"`), "a&lt;b &amp; &quot;c&quot;");
 * ```
 */
export function escapeXml(text: string): string {
  return text
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * Formats an axis value compactly: at most 4 significant digits, no trailing zeros.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTick } from "@rnnlab/rnnlab";
 * assert.equal(formatTick(200), "200");
 * assert.equal(formatTick(0.25), "0.25");
 * assert.equal(formatTick(123456), "1.235e+5");
 * ```
 */
export function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 100000 || a < 0.001) return v.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(v.toPrecision(4)));
}

/**
 * Evenly spaced "nice" ticks (steps of 1, 2 or 5 times a power of ten) inside `[lo, hi]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linearTicks } from "@rnnlab/rnnlab";
 * assert.equal(linearTicks(0, 100, 5).join(), "0,20,40,60,80,100");
 * ```
 */
export function linearTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    out.push(Number((k * step).toPrecision(12)));
  }
  return out;
}

/**
 * Ticks for a logarithmic axis over `[lo, hi]` (both > 0): round linear steps within a factor
 * of five, 1-2-5 (or 1..9) times a power of ten over a few decades, whole decades beyond.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logTicks } from "@rnnlab/rnnlab";
 * assert.equal(logTicks(4, 450).join(), "5,10,20,50,100,200");
 * assert.equal(logTicks(85, 300).join(), "100,150,200,250,300");
 * ```
 */
export function logTicks(lo: number, hi: number): number[] {
  const within = (mults: number[]) => {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of mults) {
        const v = Number((m * 10 ** e).toPrecision(12));
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
      }
    }
    return out;
  };
  if (Math.log10(hi / lo) < 0.7) {
    // Within a factor of five, evenly spaced round values read best.
    const ticks = linearTicks(lo, hi, 5).filter((v) => v > 0);
    if (ticks.length >= 3) return ticks;
  }
  const ticks125 = within([1, 2, 5]);
  if (ticks125.length > 10) return within([1]);
  return ticks125.length >= 3 ? ticks125 : within([1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

function usable(points: Point[], logY: boolean): Point[] {
  return points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0));
}

const f1 = (v: number) => String(Math.round(v * 10) / 10);
/** Rough width of sans-serif text at `size` px. */
const textWidth = (s: string, size: number) => s.length * size * 0.6;

/**
 * Renders series as a line chart: frame, ticks with grid lines, axis labels, title and a legend
 * below the plot. Every series becomes one `<polyline>` with all of its usable points (in the
 * order of `series`), so the output is easy to check; markers are `<circle>`s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderCurveSvg } from "@rnnlab/rnnlab";
 * const svg = renderCurveSvg(
 *   [{ label: "train", points: [[1, 400], [2, 250], [3, 180]] }],
 *   { title: "demo", xLabel: "epoch", yLabel: "perplexity", logY: true },
 * );
 * assert.ok(svg.startsWith("<svg"));
 * assert.ok(svg.includes("<polyline"));
 * ```
 */
export function renderCurveSvg(series: CurveSeries[], options: CurveOptions): string {
  const logY = options.logY ?? false;
  const W = options.width ?? 720;
  const H = options.height ?? 420;
  const m = { left: 70, right: 24, top: options.subtitle ? 58 : 40, bottom: 52 };
  const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
  const data = series.map((s) => usable(s.points, logY));
  const bands = (options.bands ?? []).map((b) => ({
    ...b,
    points: b.points.filter(([x, lo, hi]) =>
      [x, lo, hi].every(Number.isFinite) && (!logY || (lo > 0 && hi > 0))
    ),
  }));
  const all = [
    ...data.flat(),
    ...bands.flatMap((b) => b.points.flatMap(([x, lo, hi]): Point[] => [[x, lo], [x, hi]])),
  ];

  // Legend layout: items flow left to right and wrap.
  const items = [
    ...bands.map((b) => ({
      s: { label: b.label, points: [], color: b.color ?? BAND_COLOR, band: true } as CurveSeries,
      i: -1,
    })),
    ...series.map((s, i) => ({ s, i })).filter(({ s }) => !s.hideInLegend),
  ];
  const legendRows: { s: CurveSeries; i: number; x: number }[][] = [];
  let row: { s: CurveSeries; i: number; x: number }[] = [];
  let cx = m.left;
  const maxChars = Math.max(8, Math.floor((W - m.left - m.right - 48) / (12 * 0.6)));
  const fit = (label: string) =>
    label.length <= maxChars ? label : label.slice(0, maxChars - 1) + "…";
  for (const it of items) {
    const w = 30 + textWidth(fit(it.s.label), 12) + 18;
    if (row.length > 0 && cx + w > W - m.right) {
      legendRows.push(row);
      row = [];
      cx = m.left;
    }
    row.push({ ...it, x: cx });
    cx += w;
  }
  if (row.length > 0) legendRows.push(row);
  const totalH = H + (legendRows.length > 0 ? legendRows.length * 20 + 8 : 0);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${totalH}" ` +
      `viewBox="0 0 ${W} ${totalH}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<title>${escapeXml(options.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${totalH}" fill="#ffffff"/>`);
  out.push(
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">` +
      `${escapeXml(options.title)}</text>`,
  );
  if (options.subtitle) {
    out.push(
      `<text x="${W / 2}" y="42" text-anchor="middle" fill="#555555">` +
        `${escapeXml(options.subtitle)}</text>`,
    );
  }

  // Domains.
  let xlo = 0, xhi = 1, ylo = logY ? 1 : 0, yhi = logY ? 10 : 1;
  if (all.length > 0) {
    const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
    xlo = Math.min(0, ...xs);
    xhi = Math.max(...xs);
    if (xhi <= xlo) xhi = xlo + 1;
    const ymin = Math.min(...ys), ymax = Math.max(...ys);
    if (logY) {
      const span = Math.max(Math.log(ymax / ymin), Math.log(1.2));
      const mid = (Math.log(ymax) + Math.log(ymin)) / 2;
      ylo = Math.exp(mid - span * 0.55);
      yhi = Math.exp(mid + span * 0.55);
    } else {
      const span = Math.max(ymax - ymin, Math.abs(ymax) * 0.1, 1e-9);
      ylo = ymin - span * 0.05;
      yhi = ymax + span * 0.05;
    }
  }
  const X = (x: number) => m.left + ((x - xlo) / (xhi - xlo)) * pw;
  const Y = logY
    ? (y: number) => m.top + ph - (Math.log(y / ylo) / Math.log(yhi / ylo)) * ph
    : (y: number) => m.top + ph - ((y - ylo) / (yhi - ylo)) * ph;

  // Grid, ticks and tick labels.
  const xt = linearTicks(xlo, xhi, 8);
  const yt = logY ? logTicks(ylo, yhi) : linearTicks(ylo, yhi, 6);
  out.push(`<g stroke="#e4e4e4" stroke-width="1">`);
  for (const v of xt) {
    out.push(`<line x1="${f1(X(v))}" y1="${m.top}" x2="${f1(X(v))}" y2="${m.top + ph}"/>`);
  }
  for (const v of yt) {
    out.push(`<line x1="${m.left}" y1="${f1(Y(v))}" x2="${m.left + pw}" y2="${f1(Y(v))}"/>`);
  }
  out.push(`</g>`);
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333333"/>`,
  );
  out.push(`<g fill="#333333">`);
  for (const v of xt) {
    out.push(
      `<line x1="${f1(X(v))}" y1="${m.top + ph}" x2="${f1(X(v))}" y2="${
        m.top + ph + 5
      }" stroke="#333333"/>`,
    );
    out.push(
      `<text x="${f1(X(v))}" y="${m.top + ph + 18}" text-anchor="middle">${formatTick(v)}</text>`,
    );
  }
  for (const v of yt) {
    out.push(
      `<line x1="${m.left - 5}" y1="${f1(Y(v))}" x2="${m.left}" y2="${
        f1(Y(v))
      }" stroke="#333333"/>`,
    );
    out.push(
      `<text x="${m.left - 8}" y="${f1(Y(v) + 4)}" text-anchor="end">${formatTick(v)}</text>`,
    );
  }
  out.push(`</g>`);
  out.push(
    `<text x="${m.left + pw / 2}" y="${m.top + ph + 40}" text-anchor="middle">` +
      `${escapeXml(options.xLabel)}</text>`,
  );
  const yl = `${options.yLabel}${logY ? " (log scale)" : ""}`;
  out.push(
    `<text x="16" y="${m.top + ph / 2}" text-anchor="middle" ` +
      `transform="rotate(-90 16 ${m.top + ph / 2})">${escapeXml(yl)}</text>`,
  );
  if (all.length === 0) {
    out.push(
      `<text x="${m.left + pw / 2}" y="${m.top + ph / 2}" text-anchor="middle" fill="#888888">` +
        `no metrics recorded</text>`,
    );
  }

  // Bands, under the series.
  for (const b of bands) {
    if (b.points.length === 0) continue;
    const upper = b.points.map(([x, , hi]) => `${f1(X(x))},${f1(Y(hi))}`);
    const lower = b.points.map(([x, lo]) => `${f1(X(x))},${f1(Y(lo))}`).reverse();
    out.push(
      `<polygon fill="${escapeXml(b.color ?? BAND_COLOR)}" fill-opacity="0.35" stroke="none" ` +
        `points="${[...upper, ...lower].join(" ")}"/>`,
    );
  }

  // Series.
  const colorOf = (s: CurveSeries, i: number) => escapeXml(s.color ?? PALETTE[i % PALETTE.length]);
  series.forEach((s, i) => {
    const pts = data[i];
    const color = colorOf(s, i);
    const width = s.strokeWidth ?? 2;
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    const coords = pts.map(([x, y]) => `${f1(X(x))},${f1(Y(y))}`).join(" ");
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round"` +
        `${dash} points="${coords}"/>`,
    );
    if (s.markers || pts.length === 1) {
      out.push(`<g fill="${color}">`);
      for (const [x, y] of pts) {
        out.push(`<circle cx="${f1(X(x))}" cy="${f1(Y(y))}" r="${Math.max(2.5, width + 0.5)}"/>`);
      }
      out.push(`</g>`);
    }
  });

  // Legend.
  legendRows.forEach((r, k) => {
    const y = H + 4 + k * 20;
    for (const { s, i, x } of r) {
      const color = colorOf(s, i);
      const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
      if ((s as CurveSeries & { band?: boolean }).band) {
        out.push(
          `<rect x="${f1(x)}" y="${
            y - 6
          }" width="24" height="12" fill="${color}" fill-opacity="0.35"/>`,
        );
      } else {
        out.push(
          `<line x1="${f1(x)}" y1="${y}" x2="${f1(x + 24)}" y2="${y}" stroke="${color}" ` +
            `stroke-width="${s.strokeWidth ?? 2}"${dash}/>`,
        );
      }
      if (s.markers) out.push(`<circle cx="${f1(x + 12)}" cy="${y}" r="3" fill="${color}"/>`);
      out.push(`<text x="${f1(x + 30)}" y="${y + 4}">${escapeXml(fit(s.label))}</text>`);
    }
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/**
 * Iterations per epoch of a run: from an epoch line, else from an interval line past epoch 1,
 * else from the data size and `batch_size` × `time_size`, else the largest interval iteration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { itersPerEpoch } from "@rnnlab/rnnlab";
 * const line = { kind: "epoch" as const, epoch: 2, iter: 19, total_iters: 38, ppl: 300, lr: 0.1, elapsed_s: 1 };
 * assert.equal(itersPerEpoch(null, [line]), 19);
 * ```
 */
export function itersPerEpoch(record: RunRecord | null, lines: MetricLine[]): number {
  for (const l of lines) {
    if (l.kind === "epoch" && l.epoch > 0 && l.total_iters > 0) {
      return l.iter > 0 ? l.iter : l.total_iters / l.epoch;
    }
  }
  for (const l of lines) {
    if (l.kind === "interval" && l.epoch > 1 && l.total_iters > l.iter) {
      return (l.total_iters - l.iter) / (l.epoch - 1);
    }
  }
  const hp = record?.hyperparameters ?? {};
  const n = hp.batch_size, t = hp.time_size, tokens = record?.data?.train_tokens;
  if (typeof n === "number" && typeof t === "number" && typeof tokens === "number" && n * t > 0) {
    const ipe = Math.floor((tokens - 1) / (n * t));
    if (ipe > 0) return ipe;
  }
  return Math.max(1, ...lines.map((l) => l.iter).filter(Number.isFinite));
}

/** A run's perplexity curves: x is the epoch (fractional for interval reports). */
export interface RunCurves {
  /** Training perplexity at the end of each epoch. */
  train: Point[];
  /** Training perplexity of each interval report. */
  trainInterval: Point[];
  /** Validation perplexity after each epoch. */
  valid: Point[];
}

/**
 * Extracts a run's curves from its metric lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCurves } from "@rnnlab/rnnlab";
 * const c = runCurves(null, [
 *   { kind: "interval", epoch: 1, iter: 5, total_iters: 5, ppl: 900, lr: 20, elapsed_s: 1 },
 *   { kind: "epoch", epoch: 1, iter: 10, total_iters: 10, ppl: 500, lr: 20, elapsed_s: 2, valid_ppl: 450 },
 * ]);
 * assert.equal(c.trainInterval[0][0], 0.5);
 * assert.equal(c.train[0][0], 1);
 * assert.equal(c.valid[0][1], 450);
 * ```
 */
export function runCurves(record: RunRecord | null, lines: MetricLine[]): RunCurves {
  const ipe = itersPerEpoch(record, lines);
  const out: RunCurves = { train: [], trainInterval: [], valid: [] };
  for (const l of lines) {
    if (typeof l.epoch !== "number" || typeof l.ppl !== "number") continue;
    if (l.kind === "epoch") {
      out.train.push([l.epoch, l.ppl]);
      if (typeof l.valid_ppl === "number") out.valid.push([l.epoch, l.valid_ppl]);
    } else if (l.kind === "interval") {
      out.trainInterval.push([l.epoch - 1 + l.iter / ipe, l.ppl]);
    }
  }
  return out;
}

/**
 * The series of one run's chart: training perplexity per epoch, interval reports as a thinner
 * line, validation perplexity dashed. Empty curves are left out. `prefix` goes before each label
 * (for overlays); `color` fixes the colour of all three.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runSeries } from "@rnnlab/rnnlab";
 * const s = runSeries(null, [{ kind: "epoch", epoch: 1, iter: 10, total_iters: 10, ppl: 500, lr: 1, elapsed_s: 1 }]);
 * assert.equal(s.length, 1);
 * assert.equal(s[0].label, "train");
 * ```
 */
export function runSeries(
  record: RunRecord | null,
  lines: MetricLine[],
  prefix = "",
  color?: string,
): CurveSeries[] {
  const c = runCurves(record, lines);
  const p = prefix ? `${prefix} ` : "";
  const out: CurveSeries[] = [];
  const colors = color ? [color, color, color] : [PALETTE[0], "#9ecae1", PALETTE[1]];
  if (c.trainInterval.length > 0) {
    out.push({
      label: `${p}train (every interval)`,
      points: c.trainInterval,
      color: colors[1],
      strokeWidth: 1,
    });
  }
  if (c.train.length > 0) {
    out.push({
      label: `${p}train`,
      points: c.train,
      color: colors[0],
      markers: c.train.length <= 50,
    });
  }
  if (c.valid.length > 0) {
    out.push({
      label: `${p}valid`,
      points: c.valid,
      color: colors[2],
      dashed: true,
      markers: true,
    });
  }
  return out;
}

/**
 * Renders a run's `curve.svg` text: title `<experiment> <run_id>`, subtitle with the status
 * (`status` overrides the stored one, e.g. a derived `crashed`) and the final figures.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySummary, type MetricLine, renderRunSvg, type RunRecord } from "@rnnlab/rnnlab";
 * // Usually readRunRecord(dir) and readMetrics(dir); the fields drawn:
 * const record = {
 *   experiment: "ch05_simple_rnnlm",
 *   run_id: "20261127-230102-k3f9qa",
 *   status: "running",
 *   seed: 1,
 *   summary: { ...emptySummary(), final_train_ppl: 200 },
 * } as RunRecord;
 * const epoch = (epoch: number, ppl: number): MetricLine =>
 *   ({ kind: "epoch", epoch, iter: 19, total_iters: 19 * epoch, ppl, lr: 0.1, elapsed_s: epoch });
 * const lines = [epoch(1, 400), epoch(2, 200)];
 * const svg = renderRunSvg(record, lines, "crashed"); // its process is gone
 * assert.ok(svg.startsWith("<svg "));
 * assert.match(svg, /<title>ch05_simple_rnnlm 20261127-230102-k3f9qa<\/title>/);
 * assert.match(svg, />status crashed · seed 1 · final train ppl 200.00</);
 * ```
 */
export function renderRunSvg(record: RunRecord, lines: MetricLine[], status?: string): string {
  const s = record.summary;
  const parts = [`status ${status ?? record.status}`, `seed ${record.seed}`];
  if (s?.final_train_ppl != null) parts.push(`final train ppl ${fixed(s.final_train_ppl)}`);
  if (s?.best_valid_ppl != null) parts.push(`best valid ppl ${fixed(s.best_valid_ppl)}`);
  if (s?.test_ppl != null) parts.push(`test ppl ${fixed(s.test_ppl)}`);
  return renderCurveSvg(runSeries(record, lines), {
    title: `${record.experiment} ${record.run_id}`,
    subtitle: parts.join(" · "),
    xLabel: "epoch",
    yLabel: "perplexity",
    logY: true,
    bands: referenceBands(record),
  });
}

/**
 * Writes a run's perplexity curve to `path` atomically (called at the end of every run).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySummary, type MetricLine, renderRunSvg, writeCurveSvg } from "@rnnlab/rnnlab";
 * import type { RunRecord } from "@rnnlab/rnnlab";
 * const record = {
 *   experiment: "ch05_simple_rnnlm",
 *   run_id: "20261127-230102-k3f9qa",
 *   status: "completed",
 *   seed: 1,
 *   summary: emptySummary(),
 * } as RunRecord;
 * const lines: MetricLine[] = [
 *   { kind: "epoch", epoch: 1, iter: 19, total_iters: 19, ppl: 400, lr: 0.1, elapsed_s: 1 },
 * ];
 * const dir = await Deno.makeTempDir();
 * await writeCurveSvg(`${dir}/curve.svg`, record, lines);
 * assert.equal(await Deno.readTextFile(`${dir}/curve.svg`), renderRunSvg(record, lines));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeCurveSvg(
  path: string,
  record: RunRecord,
  lines: MetricLine[],
): Promise<void> {
  await writeFileAtomic(path, renderRunSvg(record, lines));
}

/** The book's envelope for a run of its experiment's reference configuration, else none. */
export function referenceBands(record: Pick<RunRecord, "experiment" | "reference">): CurveBand[] {
  if (!record.reference || record.reference.verdict === "not_applicable") return [];
  if (!listExperiments().includes(record.experiment)) return [];
  return bookEnvelope(findExperiment(record.experiment).experiment);
}
