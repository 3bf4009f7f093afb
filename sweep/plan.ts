/**
 * Planning a sweep: from what the user asked (experiment, seeds, grid, fixed hyperparameters,
 * results root, backend) to its manifest, every run named and placed before any of them starts;
 * and, for `sweep resume`, the launches that take a sweep further.
 *
 * Each run gets its directory name up front, an ordinary run id (UTC time and a random suffix, see
 * `newRunId`), so the manifest says where each record will land and each run's command lands
 * there (`--run-id`).
 *
 * @module
 */

import { basename, resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import type { Experiment } from "../experiments/define.ts";
import { newRunId } from "../run/record.ts";
import { experimentCommand, resumeArgs, startArgs, type SweepData } from "./commands.ts";
import { expandSweep, type GridAxis } from "./grid.ts";
import {
  type AttemptAction,
  type SlurmSettings,
  SWEEP_SCHEMA_VERSION,
  type SweepBackend,
  sweepDir,
  type SweepManifest,
} from "./manifest.ts";
import type { SweepAction, SweepStatus } from "./status.ts";

/** What a sweep is asked to be. */
export interface SweepSpec {
  /** The experiment every run runs. */
  experiment: Experiment;
  /** The seeds, each once. */
  seeds: number[];
  /** The grid axes, in order. */
  axes: GridAxis[];
  /** Hyperparameters every run is given, by snake_case key, as typed. */
  fixed: Record<string, string>;
  /** The results root; made absolute. */
  out: string;
  /** Where the runs read their data (absolute paths). */
  data?: SweepData;
  /** The backend. */
  backend: SweepBackend;
  /** Local: runs at a time (default 1). */
  jobs?: number;
  /** Slurm: how the tasks are scheduled. */
  slurm?: SlurmSettings;
  /** The rnnlab checkout the runs start from; default the one this module is in. */
  project?: string;
}

/** The rnnlab checkout this module belongs to, absolute, without a trailing slash. */
export const PROJECT_ROOT: string = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/**
 * The manifest of the sweep `spec` asks for, not yet written: the expansion checked
 * ({@linkcode expandSweep}), a run id for every run (none of which exists under `out`), and each
 * run's command. No run has an attempt yet.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment, parseGridAxis, planSweep } from "@rnnlab/rnnlab";
 * const ch05 = loadExperiment("ch05_simple_rnnlm").experiment;
 * const m = await planSweep({
 *   experiment: ch05,
 *   seeds: [1, 2],
 *   axes: [parseGridAxis("lr=0.1,1", ch05)],
 *   fixed: { max_epoch: "2" },
 *   out: "/shared/results",
 *   backend: "slurm",
 *   slurm: { time: "30", sbatch_args: [] },
 * });
 * assert.equal(m.runs.length, 4);
 * assert.match(m.sweep_id, /^ch05_simple_rnnlm-\d{8}-\d{6}-[a-z0-9]{6}$/);
 * assert.equal(m.log_dir, `/shared/results/sweeps/${m.sweep_id}/logs`);
 * const run = m.runs[3]; // lr 1, seed 2
 * assert.match(run.run_dir, /^\/shared\/results\/ch05_simple_rnnlm\/\d{8}-\d{6}-[a-z0-9]{6}$/);
 * assert.equal(
 *   run.command,
 *   "deno task experiment ch05_simple_rnnlm --seed 2 --max-epoch 2 --lr 1 " +
 *     `--out /shared/results --run-id ${run.run_dir.split("/").pop()}`,
 * );
 * ```
 */
export async function planSweep(spec: SweepSpec, now: Date = new Date()): Promise<SweepManifest> {
  const points = expandSweep(spec.experiment, spec);
  const out = resolve(spec.out);
  const name = spec.experiment.name;
  const sweepId = `${name}-${newRunId(now)}`;
  const dir = sweepDir(out, sweepId);
  const data = spec.data ?? {};
  const taken = new Set<string>();
  const runs = [];
  for (const [index, p] of points.entries()) {
    const runId = await freeRunId(out, name, taken, now);
    const args = startArgs({
      experiment: name,
      seed: p.seed,
      overrides: p.overrides,
      out,
      runId,
      data,
    });
    runs.push({
      index,
      seed: p.seed,
      grid: p.grid,
      overrides: p.overrides,
      run_dir: `${out}/${name}/${runId}`,
      command: experimentCommand(args),
      attempts: [],
    });
  }
  return {
    schema_version: SWEEP_SCHEMA_VERSION,
    sweep_id: sweepId,
    created_at: now.toISOString(),
    experiment: name,
    out,
    project: spec.project ?? PROJECT_ROOT,
    log_dir: `${dir}/logs`,
    seeds: spec.seeds,
    grid: Object.fromEntries(spec.axes.map((a) => [a.key, a.values])),
    fixed: spec.fixed,
    data,
    backend: spec.backend,
    ...(spec.backend === "local" ? { jobs: spec.jobs ?? 1 } : { slurm: spec.slurm }),
    job_arrays: [],
    runs,
  };
}

/** A run id not among `taken` and not a folder under `<out>/<experiment>/`. */
async function freeRunId(
  out: string,
  experiment: string,
  taken: Set<string>,
  now: Date,
): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const id = newRunId(now);
    if (taken.has(id)) continue;
    if (await Deno.stat(`${out}/${experiment}/${id}`).catch(() => null)) continue;
    taken.add(id);
    return id;
  }
  throw new Error(`could not find a free run id under ${out}/${experiment}`);
}

/** One launch to make: which run, what to do, where it writes, with what arguments. */
export interface Launch {
  /** The run's index in the sweep. */
  index: number;
  /** Start, resume or rerun. */
  action: AttemptAction;
  /** The run directory the launch writes. */
  runDir: string;
  /** The arguments after `deno task experiment`. */
  args: string[];
}

/**
 * The first launch of every run of a planned sweep: each started in its planned directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstLaunches, loadExperiment, planSweep } from "@rnnlab/rnnlab";
 * const ch05 = loadExperiment("ch05_simple_rnnlm").experiment;
 * const m = await planSweep({
 *   experiment: ch05, seeds: [1, 2], axes: [], fixed: {}, out: "/shared/results", backend: "local",
 * });
 * const [first] = firstLaunches(m);
 * assert.equal(first.action, "start");
 * assert.equal(first.runDir, m.runs[0].run_dir);
 * assert.equal(`deno task experiment ${first.args.join(" ")}`, m.runs[0].command);
 * ```
 */
export function firstLaunches(manifest: SweepManifest): Launch[] {
  return manifest.runs.map((run) => startLaunch(manifest, run, basename(run.run_dir), "start"));
}

/** The launch that starts `run` of `manifest` afresh under `runId`. */
function startLaunch(
  manifest: SweepManifest,
  run: SweepManifest["runs"][number],
  runId: string,
  action: AttemptAction,
): Launch {
  const { experiment, out, data } = manifest;
  return {
    index: run.index,
    action,
    runDir: `${out}/${experiment}/${runId}`,
    args: startArgs({ experiment, seed: run.seed, overrides: run.overrides, out, runId, data }),
  };
}

/**
 * The launches that take the sweep further, from its `status`: for each run whose action is not
 * `none` (and, with `only`, whose index is in it), its start in its planned directory, its resume
 * from its checkpoint, or its rerun from the start under a fresh run id. Naming in `only` a run
 * that has completed, diverged, or is still queued or running is a {@linkcode UserError}: a
 * completed run is never run again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextLaunches, type SweepManifest, type SweepStatus } from "@rnnlab/rnnlab";
 * const run = (index: number) => ({
 *   index, seed: index + 1, grid: {}, overrides: {}, attempts: [],
 *   run_dir: `/shared/results/ch05_simple_rnnlm/20261201-101500-aaaaa${index}`, command: "",
 * });
 * const manifest = {
 *   experiment: "ch05_simple_rnnlm", out: "/shared/results", data: {}, runs: [run(0), run(1), run(2)],
 * } as unknown as SweepManifest;
 * const actions = ["none", "resume", "rerun"] as const;
 * const status = {
 *   runs: actions.map((action, index) => ({ index, action, phase: "failed" })),
 * } as unknown as SweepStatus;
 * const launches = nextLaunches(manifest, status);
 * assert.deepEqual(launches.map((l) => `${l.index} ${l.action}`), ["1 resume", "2 rerun"]);
 * assert.deepEqual(launches[0].args, ["--resume", run(1).run_dir]);
 * assert.notEqual(launches[1].runDir, run(2).run_dir); // a fresh directory
 * assert.throws(() => nextLaunches(manifest, status, new Set([0])), { name: "UserError" });
 * ```
 */
export function nextLaunches(
  manifest: SweepManifest,
  status: SweepStatus,
  only?: ReadonlySet<number>,
): Launch[] {
  const byIndex = new Map(status.runs.map((r) => [r.index, r]));
  if (only) {
    for (const i of only) {
      const r = byIndex.get(i);
      if (!r) {
        throw new UserError(
          `the sweep has no run ${i}; its runs are 0 to ${manifest.runs.length - 1}`,
        );
      }
      if (r.action === "none") {
        const why = r.phase === "completed"
          ? "it has completed, and a completed run is never run again"
          : r.phase === "diverged"
          ? "it diverged, and the same seed diverges again; sweep another --lr instead"
          : `it is ${r.phase}; wait for it to end`;
        throw new UserError(`run ${i} is not resumed: ${why}`);
      }
    }
  }
  const launches: Launch[] = [];
  const taken = new Set<string>();
  for (const run of manifest.runs) {
    const action: SweepAction = byIndex.get(run.index)?.action ?? "none";
    if (action === "none" || (only && !only.has(run.index))) continue;
    if (action === "resume") {
      launches.push({
        index: run.index,
        action,
        runDir: run.run_dir,
        args: resumeArgs(run.run_dir, manifest.data),
      });
      continue;
    }
    let runId = basename(run.run_dir);
    if (action === "rerun") {
      do runId = newRunId(); while (taken.has(runId));
      taken.add(runId);
    }
    launches.push(startLaunch(manifest, run, runId, action));
  }
  return launches;
}
