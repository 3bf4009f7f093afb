/**
 * What `deno task bench:peers` makes of its measurements: per configuration, the range over
 * rounds of each peer's ms per iteration, the speed ratios computed within each round (a peer's
 * ms over rnnlab's ms of the same round, so that a busier round weighs on both sides of the
 * ratio) and rnnlab's achieved GFLOP/s next to the sgemm peak it measured in the same process;
 * and the Markdown table that shows them.
 *
 * @module
 */

import { markdownTable } from "../views/text_table.ts";
import { type Measurement, type Peer, PEER_CONFIGS, PEERS } from "./peers.ts";

/** The smallest and largest of some figures, and how many there were. */
export interface Range {
  min: number;
  max: number;
  n: number;
}

/**
 * The range of `xs`, or null when it is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { range } from "./peers_table.ts";
 * assert.deepEqual(range([3, 1, 2]), { min: 1, max: 3, n: 3 });
 * assert.equal(range([]), null);
 * ```
 */
export function range(xs: number[]): Range | null {
  if (xs.length === 0) return null;
  return { min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** One row of the table, with the figures it was made from. */
export interface ConfigSummary {
  config: string;
  /** ms per iteration over rounds, per peer (null: no successful round). */
  ms: Record<Peer, Range | null>;
  /** Per-round NumPy ms / rnnlab ms and PyTorch ms / rnnlab ms. */
  vsNumpy: Range | null;
  vsTorch: Range | null;
  /** rnnlab's achieved matmul GFLOP/s and its in-process sgemm peak. */
  achieved: Range | null;
  peak: Range | null;
  /** Peak RSS in MB over rounds, per peer, where the peer reported it. */
  rssMb: Record<Peer, Range | null>;
}

function num(m: Measurement | undefined, key: string): number | null {
  const v = m?.result?.[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * Summarises `measurements` for each of `configs`. Ratios are taken only in rounds where both
 * rnnlab and the peer succeeded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarise } from "./peers_table.ts";
 * const m = (round: number, peer: "numpy" | "rnnlab", ms: number) =>
 *   ({ round, config: "ch05", peer, result: { ms_per_iter: ms } });
 * const [row] = summarise([m(1, "numpy", 3), m(1, "rnnlab", 1), m(2, "numpy", 4), m(2, "rnnlab", 2)], ["ch05"]);
 * assert.deepEqual(row.ms.numpy, { min: 3, max: 4, n: 2 });
 * assert.deepEqual(row.vsNumpy, { min: 2, max: 3, n: 2 }); // 4 / 2 and 3 / 1
 * assert.equal(row.vsTorch, null);
 * ```
 */
export function summarise(measurements: Measurement[], configs: string[]): ConfigSummary[] {
  return configs.map((config) => {
    const mine = measurements.filter((m) => m.config === config && m.result);
    const at = (peer: Peer, round: number) =>
      mine.find((m) => m.peer === peer && m.round === round);
    const rounds = [...new Set(mine.map((m) => m.round))].sort((a, b) => a - b);
    const over = (peer: Peer, key: string) =>
      range(
        rounds.map((r) => num(at(peer, r), key)).filter((v): v is number => v !== null),
      );
    const ratio = (peer: Peer) =>
      range(rounds.flatMap((r) => {
        const p = num(at(peer, r), "ms_per_iter"), me = num(at("rnnlab", r), "ms_per_iter");
        return p !== null && me !== null ? [p / me] : [];
      }));
    const perPeer = (key: string) =>
      Object.fromEntries(PEERS.map((p) => [p, over(p, key)])) as Record<Peer, Range | null>;
    return {
      config,
      ms: perPeer("ms_per_iter"),
      vsNumpy: ratio("numpy"),
      vsTorch: ratio("torch"),
      achieved: over("rnnlab", "achieved_gflops"),
      peak: over("rnnlab", "sgemm_peak_gflops"),
      rssMb: perPeer("peak_rss_mb"),
    };
  });
}

/**
 * A figure with as many digits as it needs at its size: 0.623, 8.21, 87.3, 1,130.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatNumber } from "./peers_table.ts";
 * assert.deepEqual([0.6234, 8.214, 87.31, 1130.4].map(formatNumber), ["0.623", "8.21", "87.3", "1,130"]);
 * ```
 */
export function formatNumber(x: number): string {
  const digits = x < 1 ? 3 : x < 10 ? 2 : x < 1000 ? 1 : 0;
  return x.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/**
 * A range as `min–max` (one figure when both print alike), with `suffix` after it; `missing`
 * when there is no range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatRange } from "./peers_table.ts";
 * assert.equal(formatRange({ min: 2.104, max: 2.31, n: 2 }, "×"), "2.10–2.31×");
 * assert.equal(formatRange({ min: 87.31, max: 87.33, n: 2 }, " ms"), "87.3 ms");
 * assert.equal(formatRange(null, " ms", "skipped"), "skipped");
 * ```
 */
export function formatRange(r: Range | null, suffix = "", missing = "—"): string {
  if (!r) return missing;
  const lo = formatNumber(r.min), hi = formatNumber(r.max);
  return (lo === hi ? lo : `${lo}–${hi}`) + suffix;
}

/** What the table's header says about the peers, and which of them were skipped. */
export interface TableContext {
  /** PyTorch's version and threads, for its column's header (absent: skipped). */
  torch?: { version: string; threads: number };
  skipped: Partial<Record<Peer, boolean>>;
}

/**
 * The Markdown table: one row per configuration, ms per iteration as ranges over rounds, the
 * ratios as ranges of per-round ratios, and rnnlab's achieved / in-process sgemm peak GFLOP/s.
 * Columns are padded to line up in a terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTable, summarise } from "./peers_table.ts";
 * const m = (peer: "numpy" | "torch" | "rnnlab", result: Record<string, number>) =>
 *   ({ round: 1, config: "rnnlm", peer, result });
 * const rows = summarise([
 *   m("numpy", { ms_per_iter: 190 }),
 *   m("torch", { ms_per_iter: 66 }),
 *   m("rnnlab", { ms_per_iter: 95, achieved_gflops: 50.4, sgemm_peak_gflops: 210 }),
 * ], ["rnnlm"]);
 * const table = renderTable(rows, { torch: { version: "1.13.1", threads: 2 }, skipped: {} });
 * assert.match(table, /PyTorch \(1\.13\.1, 2 threads\)/);
 * assert.match(table, /\| 190\.0 ms +\| 66\.0 ms +\| 95\.0 ms +\| 2\.00× +\| 0\.695× +\| 50\.4 \/ 210\.0 GFLOP\/s +\|$/m);
 * ```
 */
export function renderTable(rows: ConfigSummary[], ctx: TableContext): string {
  const torchHead = ctx.torch
    ? `PyTorch (${ctx.torch.version}, ${ctx.torch.threads} thread${
      ctx.torch.threads === 1 ? "" : "s"
    })`
    : "PyTorch";
  const header = [
    "config",
    "book's NumPy code",
    torchHead,
    "rnnlab",
    "vs NumPy",
    "vs PyTorch",
    "achieved / in-process sgemm peak",
  ];
  const missing = (peer: Peer) => ctx.skipped[peer] ? "skipped" : "failed";
  const body = rows.map((r) => [
    PEER_CONFIGS[r.config]?.label ?? r.config,
    formatRange(r.ms.numpy, " ms", missing("numpy")),
    formatRange(r.ms.torch, " ms", missing("torch")),
    formatRange(r.ms.rnnlab, " ms", missing("rnnlab")),
    formatRange(r.vsNumpy, "×"),
    formatRange(r.vsTorch, "×"),
    r.achieved && r.peak ? `${formatRange(r.achieved)} / ${formatRange(r.peak)} GFLOP/s` : "—",
  ]);
  return markdownTable(header, body, [], { pad: true });
}
