/**
 * What `deno task sweep` prints about a sweep: its expansion in words, the status table, the
 * summary lines that end with the command to run next, the planned runs of a dry run.
 *
 * @module
 */

import { dirname } from "node:path";
import type { GridAxis } from "../sweep/grid.ts";
import type { SweepManifest } from "../sweep/manifest.ts";
import type { RunState, SweepPhase, SweepStatus } from "../sweep/status.ts";
import { alignedTable, fixed } from "../views/text_table.ts";
import { shownPath } from "./main.ts";

/**
 * A sweep's expansion in words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeExpansion } from "./sweep_tables.ts";
 * const axes = [{ key: "lr", values: ["10", "20"] }, { key: "hidden_size", values: ["100", "200"] }];
 * assert.equal(describeExpansion(axes, [1, 2, 3, 7]), "lr 10,20 × hidden_size 100,200 × seeds 1-3,7");
 * ```
 */
export function describeExpansion(axes: readonly GridAxis[], seeds: readonly number[]): string {
  return [...axes.map((a) => `${a.key} ${a.values.join(",")}`), `seeds ${seedRanges(seeds)}`]
    .join(" × ");
}

/** Seeds as ranges: [1, 2, 3, 7] → "1-3,7". */
export function seedRanges(seeds: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < seeds.length;) {
    let j = i;
    while (j + 1 < seeds.length && seeds[j + 1] === seeds[j] + 1) j++;
    parts.push(j === i ? `${seeds[i]}` : `${seeds[i]}-${seeds[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** The status of every run, one line each, aligned. */
export function statusTable(manifest: SweepManifest, st: SweepStatus): string {
  const keys = Object.keys(manifest.grid);
  const backends = new Set(
    manifest.runs.map((r) => r.attempts.at(-1)?.backend ?? manifest.backend),
  );
  const backend = backends.size === 1 ? [...backends][0] : "backend";
  const rows = st.runs.map((r: RunState) => [
    String(r.index),
    String(r.seed),
    ...keys.map((k) => r.grid[k] ?? "-"),
    r.backend,
    r.record ?? "-",
    r.epochs === null ? "-" : `${r.epochs}/${r.max_epoch ?? "?"}`,
    fixed(r.train_ppl),
    fixed(r.test_ppl),
    r.record === null && r.phase === "planned" ? `(${shownPath(r.run_dir)})` : shownPath(r.run_dir),
  ]);
  const headers = [
    "run",
    "seed",
    ...keys,
    backend,
    "record",
    "epochs",
    "train ppl",
    "test ppl",
    "run directory",
  ];
  const right = new Set([0, 1, keys.length + 4, keys.length + 5, keys.length + 6]);
  return alignedTable(headers, rows, headers.map((_, c) => right.has(c)), { rule: false });
}

/** "seed 2, lr=0.1". */
export function runLabel(r: { seed: number; grid: Record<string, string> }): string {
  return [`seed ${r.seed}`, ...Object.entries(r.grid).map(([k, v]) => `${k}=${v}`)].join(", ");
}

/** The order in which the counts of a sweep's runs are given, finished well first. */
export const PHASE_ORDER: SweepPhase[] = [
  "completed",
  "running",
  "pending",
  "planned",
  "interrupted",
  "crashed",
  "failed",
  "diverged",
  "unknown",
];

/**
 * How many runs are in each phase, finished well first: "3 completed, 1 failed".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { SweepStatus } from "@rnnlab/rnnlab";
 * import { phaseCounts } from "./sweep_tables.ts";
 * const st = { counts: { failed: 1, completed: 3 } } as unknown as SweepStatus;
 * assert.equal(phaseCounts(st), "3 completed, 1 failed");
 * ```
 */
export function phaseCounts(st: SweepStatus): string {
  return PHASE_ORDER.filter((p) => st.counts[p]).map((p) => `${st.counts[p]} ${p}`).join(", ");
}

/** The counts, then each run `resume` would take up with why, then the command that does. */
export function summaryLines(manifest: SweepManifest, st: SweepStatus, path: string): string[] {
  const lines = [`${st.runs.length} runs: ${phaseCounts(st)}`];
  if (st.driving) {
    lines.push(
      `a process is running the sweep now (it holds ${shownPath(dirname(path))}/run.lock)`,
    );
  }
  const todo = st.runs.filter((r) => r.action !== "none");
  for (const r of todo) {
    const why = r.reason ? `: ${r.reason}` : "";
    lines.push(`  run ${r.index} (${runLabel(r)}) ${r.phase}${why}`);
    if (r.phase === "failed" && r.log) lines.push(`    log: ${shownPath(r.log)}`);
  }
  for (const r of st.runs.filter((r) => r.phase === "diverged")) {
    lines.push(`  run ${r.index} (${runLabel(r)}) diverged${r.reason ? `: ${r.reason}` : ""}`);
  }
  if (todo.length > 0 && !st.driving) {
    const n = (test: (r: RunState) => boolean) => todo.filter(test).length;
    const parts = [
      n((r) => r.action === "resume") && `resume ${n((r) => r.action === "resume")}`,
      n((r) => r.phase === "failed") && `rerun ${n((r) => r.phase === "failed")}`,
      n((r) => r.phase === "planned") && `start ${n((r) => r.phase === "planned")}`,
    ].filter(Boolean).join(", ");
    lines.push(
      `to ${parts} of them (never a completed run): deno task sweep resume ${shownPath(path)}`,
    );
  }
  if (st.runs.some((r) => r.phase === "completed")) {
    lines.push(
      `compare them: deno task compare ${manifest.experiment} --root ${shownPath(manifest.out)}`,
    );
  }
  return lines;
}

/** The planned runs of a dry run: index, seed, grid values, command. */
export function plannedTable(manifest: SweepManifest): string {
  const keys = Object.keys(manifest.grid);
  const rows = manifest.runs.map((r) => [
    String(r.index),
    String(r.seed),
    ...keys.map((k) => r.grid[k]),
    r.command,
  ]);
  const headers = ["run", "seed", ...keys, "command"];
  return alignedTable(headers, rows, headers.map((_, c) => c < 2), { rule: false });
}
