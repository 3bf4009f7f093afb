/**
 * A line chart drawn with characters for the terminal: perplexity against epoch, log y axis by
 * default, one marker character per series and a legend. A pure function of its input.
 *
 * @module
 */

import { formatTick, linearTicks, type Point } from "./plot_svg.ts";

/** One line of a terminal chart. */
export interface ChartSeries {
  /** The legend's text. */
  label: string;
  /** `[x, y]` points, in x order. */
  points: Point[];
  /** The character drawn for this series; default {@linkcode MARKERS}[index]. */
  marker?: string;
}

/** Options of {@linkcode renderTerminalChart}. */
export interface TerminalChartOptions {
  /** Width of every chart line in characters, y labels included (default 72). */
  width?: number;
  /** Number of plot rows (default 18). */
  height?: number;
  /** Logarithmic y axis (default true). */
  logY?: boolean;
  /** A first line above the chart. */
  title?: string;
  /** Written under the x axis (default "epoch"). */
  xLabel?: string;
}

/** Default marker characters, one per series in order. */
export const MARKERS = ["*", "o", "+", "x", "#", "@", "%", "&", "=", "$", "~", "^"];

/**
 * Draws the series as a character chart. The result has an optional title line, `height` plot
 * rows (each exactly `width` characters: y label, axis, plot cells), an x axis line, a line of x
 * tick labels, a line with the x label, and one legend line per series (`  <marker> <label>`).
 * Points between data points are interpolated (in log space on a log axis) so lines stay joined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTerminalChart } from "@rnnlab/rnnlab";
 * const text = renderTerminalChart([{ label: "run a", points: [[1, 400], [2, 200], [3, 120]] }]);
 * const rows = text.split("\n");
 * assert.equal(rows.length, 18 + 3 + 1);
 * assert.ok(text.includes("* run a"));
 * ```
 */
export function renderTerminalChart(
  series: ChartSeries[],
  options: TerminalChartOptions = {},
): string {
  const width = options.width ?? 72;
  const height = Math.max(2, options.height ?? 18);
  const logY = options.logY ?? true;
  const markerOf = (s: ChartSeries, i: number) => [...(s.marker ?? MARKERS[i % MARKERS.length])][0];
  const data = series.map((s) =>
    s.points
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0))
      .sort((a, b) => a[0] - b[0])
  );
  const all = data.flat();
  const ty = (y: number) => (logY ? Math.log(y) : y);
  const fy = (t: number) => (logY ? Math.exp(t) : t);

  let xlo = 0, xhi = 1, tlo = ty(1), thi = ty(logY ? 10 : 1);
  if (all.length > 0) {
    xlo = Math.min(...all.map((p) => p[0]));
    xhi = Math.max(...all.map((p) => p[0]));
    tlo = Math.min(...all.map((p) => ty(p[1])));
    thi = Math.max(...all.map((p) => ty(p[1])));
  }
  if (xhi <= xlo) {
    xlo -= 0.5;
    xhi += 0.5;
  }
  if (thi <= tlo) {
    const d = logY ? Math.log(1.1) : Math.max(Math.abs(thi) * 0.1, 1);
    tlo -= d;
    thi += d;
  }

  // Y labels on about every fourth row, always on the first and last.
  const labelRows = new Set<number>();
  for (let k = 0; k <= 4; k++) labelRows.add(Math.round(((height - 1) * k) / 4));
  const rowValue = (r: number) => fy(thi - ((thi - tlo) * r) / (height - 1));
  const labels = new Map<number, string>();
  for (const r of labelRows) labels.set(r, formatTick(Number(rowValue(r).toPrecision(3))));
  const gw = Math.max(...[...labels.values()].map((l) => l.length));
  const plotW = Math.max(10, width - gw - 2);

  const grid: string[][] = Array.from({ length: height }, () => new Array(plotW).fill(" "));
  const col = (x: number) => Math.round(((x - xlo) / (xhi - xlo)) * (plotW - 1));
  const rowOfT = (t: number) =>
    Math.min(height - 1, Math.max(0, Math.round(((thi - t) / (thi - tlo)) * (height - 1))));

  data.forEach((pts, i) => {
    const mk = markerOf(series[i], i);
    if (pts.length === 1) {
      grid[rowOfT(ty(pts[0][1]))][col(pts[0][0])] = mk;
      return;
    }
    let prevRow: number | null = null;
    for (let k = 1; k < pts.length; k++) {
      const [x0, y0] = pts[k - 1], [x1, y1] = pts[k];
      const c0 = col(x0), c1 = col(x1);
      for (let c = c0; c <= c1; c++) {
        const f = c1 === c0 ? 1 : (c - c0) / (c1 - c0);
        const r = rowOfT(ty(y0) + f * (ty(y1) - ty(y0)));
        if (prevRow !== null && Math.abs(r - prevRow) > 1) {
          // Join steep segments with a vertical run of the marker in the previous column.
          const step = r > prevRow ? 1 : -1;
          for (let rr: number = prevRow + step; rr !== r; rr += step) {
            grid[rr][Math.max(0, c - 1)] = mk;
          }
        }
        grid[r][c] = mk;
        prevRow = r;
      }
    }
  });

  const lines: string[] = [];
  if (options.title) lines.push(options.title);
  for (let r = 0; r < height; r++) {
    const label = labels.get(r);
    const gutter = label === undefined ? " ".repeat(gw) + " │" : label.padStart(gw) + " ┤";
    lines.push(gutter + grid[r].join(""));
  }

  // X axis with tick marks, then tick labels that do not overlap.
  const ticks = linearTicks(xlo, xhi, Math.max(2, Math.floor(plotW / 10)));
  const axis = new Array(plotW).fill("─");
  const labelLine = new Array(plotW + gw + 2).fill(" ");
  let freeFrom = 0;
  for (const v of ticks) {
    const c = col(v);
    if (c < 0 || c >= plotW) continue;
    axis[c] = "┬";
    const text = formatTick(v);
    const start = Math.max(
      0,
      Math.min(gw + 2 + c - Math.floor(text.length / 2), labelLine.length - text.length),
    );
    if (start < freeFrom) continue;
    for (let j = 0; j < text.length; j++) labelLine[start + j] = text[j];
    freeFrom = start + text.length + 1;
  }
  lines.push(" ".repeat(gw) + " └" + axis.join(""));
  lines.push(labelLine.join("").trimEnd());
  const xLabel = options.xLabel ?? "epoch";
  lines.push(" ".repeat(Math.max(0, gw + 2 + Math.floor((plotW - xLabel.length) / 2))) + xLabel);
  if (all.length === 0) lines.push("  (no metrics to plot)");
  series.forEach((s, i) => lines.push(`  ${markerOf(s, i)} ${s.label}`));
  return lines.join("\n");
}
