/**
 * A sweep's manifest: `<out>/sweeps/<sweep-id>/manifest.json`, the one file that says what a sweep
 * is and where each of its runs is.
 *
 * It holds the expansion (seeds, grid axes, fixed hyperparameters), the backend and its settings,
 * and for every run its seed and values, the directory its record lands in and the command that
 * starts it; then each attempt at the run (its start, and any resume or rerun) with the command
 * the backend ran and where: the Slurm job id and task, or the local log files and exit status.
 * The sweep's folder also holds the logs (`logs/`), and while a process launches or runs the
 * sweep, its lock (`run.lock`, the same kind of lock a run directory has).
 *
 * The manifest is always replaced whole ({@linkcode writeManifest} writes a temporary file and
 * renames it), so a reader never sees half of one. The run records themselves stay where every
 * run's record is, `<out>/<experiment>/<run-id>/`, so `runs`, `compare` and `report` on `<out>`
 * show a sweep's runs like any others.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import { writeError, writeFileAtomic } from "../core/files.ts";
import type { SweepData } from "./commands.ts";

/** The manifest layout this version writes. */
export const SWEEP_SCHEMA_VERSION = 1;

/** Where a sweep's runs go. */
export type SweepBackend = "local" | "slurm";

/** How Slurm is asked to schedule the tasks of a sweep (`sbatch` options). */
export interface SlurmSettings {
  /** `--partition`, or the cluster's default partition. */
  partition?: string;
  /** `--time`, each task's time limit, as Slurm writes it (`30`, `4:00:00`, `1-12`). */
  time?: string;
  /** `--cpus-per-task`; Slurm's default is 1. */
  cpus_per_task?: number;
  /** At most this many tasks of a job array at once (`--array=...%N`). */
  max_parallel?: number;
  /** Further `sbatch` options, as `--name=value` or `--flag`. */
  sbatch_args: string[];
}

/** One job array submitted for the sweep. */
export interface SweepJob {
  /** Slurm's job id of the array. */
  job_id: string;
  /** Its number of tasks (0 to tasks - 1). */
  tasks: number;
  /** The batch script submitted. */
  script: string;
  /** When it was submitted (ISO 8601). */
  submitted_at: string;
  /** The settings it was submitted with. */
  settings: SlurmSettings;
}

/** What an attempt does to its run. */
export type AttemptAction = "start" | "resume" | "rerun";

/** One launch of a run: its start, a resume of it, or a fresh rerun in a new directory. */
export interface SweepAttempt {
  /** `start` (the planned directory), `resume` (`--resume`), `rerun` (a new directory). */
  action: AttemptAction;
  /** Which backend ran it. */
  backend: SweepBackend;
  /** When it was launched or submitted (ISO 8601). */
  at: string;
  /** The run directory it writes. */
  run_dir: string;
  /** The arguments of `deno task experiment`. */
  args: string[];
  /** The shell line the backend ran: the environment, then `deno task experiment ...`. */
  command: string;
  /** Slurm: the job array's id. */
  job_id?: string;
  /** Slurm: the task's index in that array. */
  task?: number;
  /** Local: `queued` until it starts, `running`, then `exited`. */
  state?: "queued" | "running" | "exited";
  /** Local: the exit status once exited. */
  exit_code?: number | null;
  /** Local: the file of its standard output. */
  out?: string;
  /** Local: the file of its standard error. */
  err?: string;
}

/** One run of the sweep. */
export interface SweepRun {
  /** Its index in the sweep, from 0. */
  index: number;
  /** Its seed. */
  seed: number;
  /** Its value of each grid axis, by key, as typed. */
  grid: Record<string, string>;
  /** Every hyperparameter given (fixed and grid), by key, as typed. */
  overrides: Record<string, string>;
  /** Where its record is, or lands: the directory of its latest attempt. */
  run_dir: string;
  /** The command that starts it, `deno task experiment ...` (without the backend's environment). */
  command: string;
  /** Each launch so far, the first first; none before the sweep is launched. */
  attempts: SweepAttempt[];
}

/** Contents of `manifest.json`. */
export interface SweepManifest {
  /** The layout version ({@linkcode SWEEP_SCHEMA_VERSION}). */
  schema_version: number;
  /** The sweep folder's name: `<experiment>-<UTC time>-<random suffix>`. */
  sweep_id: string;
  /** When the sweep was made (ISO 8601). */
  created_at: string;
  /** The experiment every run runs. */
  experiment: string;
  /** The results root the runs write into, absolute. */
  out: string;
  /** The rnnlab checkout the runs are started from (`deno task` runs there), absolute. */
  project: string;
  /** The folder of the backends' log files, absolute. */
  log_dir: string;
  /** The seeds, in order. */
  seeds: number[];
  /** The grid: each axis's values, by key, in axis order. */
  grid: Record<string, string[]>;
  /** The hyperparameters every run is given, by key, as typed. */
  fixed: Record<string, string>;
  /** Where the runs read their data. */
  data: SweepData;
  /** The backend the sweep was launched on. */
  backend: SweepBackend;
  /** Local: runs at a time. */
  jobs?: number;
  /** Slurm: the settings of the first submission. */
  slurm?: SlurmSettings;
  /** Every job array submitted, the first first. */
  job_arrays: SweepJob[];
  /** The runs, by index. */
  runs: SweepRun[];
}

/**
 * The folder of sweep `sweepId` under results root `out`: `<out>/sweeps/<sweepId>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sweepDir } from "@rnnlab/rnnlab";
 * assert.equal(
 *   sweepDir("/shared/results", "ch05_simple_rnnlm-20261201-101500-k3f9qa"),
 *   "/shared/results/sweeps/ch05_simple_rnnlm-20261201-101500-k3f9qa",
 * );
 * ```
 */
export function sweepDir(out: string, sweepId: string): string {
  return `${resolve(out)}/sweeps/${sweepId}`;
}

/**
 * Writes `manifest` to `path` atomically; a failed write is a {@linkcode UserError} saying what
 * to free or where to write instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readManifest, type SweepManifest, writeManifest } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * const manifest: SweepManifest = {
 *   schema_version: 1, sweep_id: "ch05_simple_rnnlm-20261201-101500-k3f9qa",
 *   created_at: "2026-12-01T10:15:00.000Z", experiment: "ch05_simple_rnnlm", out: dir,
 *   project: "/opt/rnnlab", log_dir: `${dir}/logs`, seeds: [1], grid: {}, fixed: {}, data: {},
 *   backend: "local", jobs: 1, job_arrays: [], runs: [],
 * };
 * await writeManifest(`${dir}/manifest.json`, manifest);
 * assert.deepEqual(await readManifest(`${dir}/manifest.json`), manifest);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeManifest(path: string, manifest: SweepManifest): Promise<void> {
  try {
    await writeFileAtomic(path, JSON.stringify(manifest, null, 2) + "\n");
  } catch (e) {
    throw writeError(path, e, "free space there, or point --out at a folder you can write to");
  }
}

/**
 * Reads a sweep's manifest from `path`: the manifest file itself, or the sweep's folder that holds
 * `manifest.json`. Throws a {@linkcode UserError} when there is none there, or the file is not a
 * sweep manifest this version can read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readManifest } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * await assert.rejects(readManifest(dir), /no sweep manifest at .*; give the manifest\.json/);
 * await Deno.writeTextFile(`${dir}/manifest.json`, '{"runs": ');
 * await assert.rejects(readManifest(dir), /manifest\.json is not valid JSON/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readManifest(path: string): Promise<SweepManifest> {
  const file = await manifestFile(path);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    throw new UserError(
      `no sweep manifest at ${path}; give the manifest.json a sweep printed (results/sweeps/<sweep>/manifest.json)`,
    );
  }
  let m: SweepManifest;
  try {
    m = JSON.parse(text);
  } catch {
    throw new UserError(`${file} is not valid JSON; it is not a sweep manifest rnnlab wrote`);
  }
  const problem = manifestProblem(m);
  if (problem) throw new UserError(`${file} is not a sweep manifest (${problem})`);
  if (m.schema_version > SWEEP_SCHEMA_VERSION) {
    throw new UserError(
      `${file} has layout ${m.schema_version}, newer than this rnnlab reads (${SWEEP_SCHEMA_VERSION}); update rnnlab`,
    );
  }
  return m;
}

/**
 * The manifest file `path` names: itself, or `manifest.json` in it when it is a folder; made
 * absolute against the current folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { manifestFile } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await manifestFile(dir), `${dir}/manifest.json`);
 * assert.equal(await manifestFile(`${dir}/manifest.json`), `${dir}/manifest.json`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function manifestFile(path: string): Promise<string> {
  const abs = isAbsolute(path) ? path : resolve(path);
  const info = await Deno.stat(abs).catch(() => null);
  return info?.isDirectory ? `${abs.replace(/\/+$/, "")}/manifest.json` : abs;
}

/** What is wrong with a parsed manifest, or null when it has the fields readers need. */
function manifestProblem(m: unknown): string | null {
  if (typeof m !== "object" || m === null) return "not an object";
  const o = m as Record<string, unknown>;
  if (typeof o.schema_version !== "number") return `no "schema_version"`;
  for (const k of ["sweep_id", "experiment", "out", "project", "log_dir", "backend"]) {
    if (typeof o[k] !== "string") return `no "${k}"`;
  }
  if (!Array.isArray(o.runs)) return `no "runs" list`;
  if (!Array.isArray(o.job_arrays)) return `no "job_arrays" list`;
  for (const r of o.runs as unknown[]) {
    const run = r as Record<string, unknown> | null;
    if (
      typeof run?.index !== "number" || typeof run.run_dir !== "string" ||
      !Array.isArray(run.attempts)
    ) return "a run without index, run_dir or attempts";
  }
  return null;
}
