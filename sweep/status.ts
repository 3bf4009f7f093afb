/**
 * Where each run of a sweep stands, and what `deno task sweep resume` would do with it.
 *
 * Two witnesses are heard for every run: its backend (Slurm's state of its latest task, or for a
 * local sweep whether the process running it is still there) and its own record (`run.json`:
 * status, epochs, perplexity). {@linkcode decideRun} weighs them: a completed record is final
 * whatever Slurm says, and so is a diverged one (the same seed diverges again); a task Slurm still
 * holds is left alone; an interrupted or crashed run is resumed from its checkpoint; a run that
 * failed is run again: in its planned directory when it never wrote a record there, else in a new
 * one (the failed record stays, as what happened). When the backend cannot be asked, nothing is
 * resumed: a task may still wait in the queue.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { RunLock } from "../run/lock.ts";
import {
  effectiveStatus,
  readMetrics,
  readRunRecord,
  type RunRecord,
  type RunStatus,
} from "../run/record.ts";
import { jobArrayStates, type SlurmOptions } from "./slurm.ts";
import { taskFiles } from "./slurm_script.ts";
import type { TaskState } from "./slurm_states.ts";
import type { SweepAttempt, SweepManifest, SweepRun } from "./manifest.ts";

/**
 * What the backend says of a run's latest attempt: `never` (not launched, or queued by a local
 * sweep that is gone), `queued`, `running`, `ended`, `lost` (Slurm knows nothing of the task) or
 * `unasked` (Slurm could not be asked).
 */
export type BackendState = "never" | "queued" | "running" | "ended" | "lost" | "unasked";

/** Where a run of the sweep stands. */
export type SweepPhase =
  | "planned"
  | "pending"
  | "running"
  | "completed"
  | "diverged"
  | "interrupted"
  | "crashed"
  | "failed"
  | "unknown";

/**
 * What `sweep resume` does with a run: nothing, `start` it in its planned directory, `resume` it
 * from its checkpoint, or `rerun` it from the start in a new directory.
 */
export type SweepAction = "none" | "start" | "resume" | "rerun";

/**
 * A run's phase and next action, from its record's status (null without a `run.json`), whether
 * its directory exists, and its backend's state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decideRun } from "@rnnlab/rnnlab";
 * // Completed is final, whatever the task's exit status.
 * assert.deepEqual(decideRun({ record: "completed", dirExists: true, backend: "ended" }), {
 *   phase: "completed",
 *   action: "none",
 * });
 * // Stopped at Slurm's time limit: the record says interrupted, the run goes on from its checkpoint.
 * assert.equal(decideRun({ record: "interrupted", dirExists: true, backend: "ended" }).action, "resume");
 * // The task ended while the record still says running: the process is gone.
 * assert.deepEqual(decideRun({ record: "running", dirExists: true, backend: "ended" }), {
 *   phase: "crashed",
 *   action: "resume",
 * });
 * // Failed before it wrote a record (no Deno on the node, no PTB): started again where planned.
 * assert.equal(decideRun({ record: null, dirExists: false, backend: "ended" }).action, "start");
 * assert.equal(decideRun({ record: "failed", dirExists: true, backend: "ended" }).action, "rerun");
 * // Still in Slurm's queue: left alone.
 * assert.equal(decideRun({ record: "interrupted", dirExists: true, backend: "queued" }).action, "none");
 * ```
 */
export function decideRun(
  o: { record: RunStatus | null; dirExists: boolean; backend: BackendState },
): { phase: SweepPhase; action: SweepAction } {
  const { record, backend } = o;
  if (record === "completed") return { phase: "completed", action: "none" };
  if (record === "diverged") return { phase: "diverged", action: "none" };
  if (backend === "queued") return { phase: "pending", action: "none" };
  if (backend === "running") return { phase: "running", action: "none" };
  if (backend === "unasked") {
    return { phase: record === null ? "unknown" : record, action: "none" };
  }
  if (backend === "never" && record === null) {
    return { phase: "planned", action: o.dirExists ? "rerun" : "start" };
  }
  switch (record) {
    case "running":
      // Slurm says the task is over: the process that wrote "running" is gone. Otherwise the
      // record's own liveness (process on this host, else heartbeat) has already answered.
      return backend === "ended" ? { phase: "crashed", action: "resume" } : {
        phase: "running",
        action: "none",
      };
    case "interrupted":
      return { phase: "interrupted", action: "resume" };
    case "crashed":
      return { phase: "crashed", action: "resume" };
    case "failed":
      return { phase: "failed", action: "rerun" };
    default:
      return { phase: "failed", action: o.dirExists ? "rerun" : "start" };
  }
}

/** One run of a sweep as `sweep status` shows it. */
export interface RunState {
  /** The run's index in the sweep. */
  index: number;
  /** Its seed. */
  seed: number;
  /** Its grid values, by key, as typed. */
  grid: Record<string, string>;
  /** Its run directory (that of its latest attempt). */
  run_dir: string;
  /** How many times it has been launched. */
  attempts: number;
  /** What the backend says, in its words: `COMPLETED`, `RUNNING`, `exited 0`, `queued`, `-`. */
  backend: string;
  /** The record's status (a dead `running` run reads `crashed`), or null without a record. */
  record: RunStatus | null;
  /** Epochs completed, or null without a record. */
  epochs: number | null;
  /** Epochs it trains (`max_epoch`), or null when unknown. */
  max_epoch: number | null;
  /** The latest training perplexity reported (`metrics.jsonl`), or null. */
  train_ppl: number | null;
  /** Its test perplexity, once scored. */
  test_ppl: number | null;
  /** Where it stands. */
  phase: SweepPhase;
  /** What `sweep resume` does with it. */
  action: SweepAction;
  /** The standard-error file of its latest attempt, when it has something in it. */
  log: string | null;
  /** Why it stopped (the record's exit reason, the last line of its log, the time limit). */
  reason: string | null;
}

/** A sweep's runs and their states. */
export interface SweepStatus {
  /** The runs, by index. */
  runs: RunState[];
  /** How many runs are in each phase (phases without runs left out). */
  counts: Partial<Record<SweepPhase, number>>;
  /** Whether a local process is running the sweep now (it holds the sweep's lock). */
  driving: boolean;
  /** What could not be read (Slurm down, a corrupt record), one line each. */
  warnings: string[];
}

/** How {@linkcode sweepStatus} asks. */
export interface StatusOptions extends SlurmOptions {
  /**
   * Whether a local process runs the sweep; default: whether one holds the sweep's lock. A caller
   * that holds the lock itself says false.
   */
  driving?: boolean;
  /** Throw Slurm's {@linkcode UserError} rather than warn and leave its states unknown. */
  strict?: boolean;
}

/**
 * The state of every run of `manifest`, whose folder is `dir`: each run's record, and the state of
 * its latest attempt from Slurm (one `squeue` per job array) or, for local attempts, from whether
 * a process holds the sweep's lock. Reads only; writes nothing. When Slurm cannot be asked, its
 * states are unknown and a warning says why (with `strict`, its error is thrown).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type SweepManifest, sweepStatus } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir(); // a sweep of one run, planned but never launched
 * const manifest: SweepManifest = {
 *   schema_version: 1, sweep_id: "ch05_simple_rnnlm-20261201-101500-k3f9qa",
 *   created_at: "2026-12-01T10:15:00.000Z", experiment: "ch05_simple_rnnlm", out: dir,
 *   project: "/opt/rnnlab", log_dir: `${dir}/logs`, seeds: [1], grid: {}, fixed: {}, data: {},
 *   backend: "local", jobs: 1, job_arrays: [],
 *   runs: [{
 *     index: 0, seed: 1, grid: {}, overrides: {}, attempts: [],
 *     run_dir: `${dir}/ch05_simple_rnnlm/20261201-101500-a1b2c3`,
 *     command: "deno task experiment ch05_simple_rnnlm --seed 1 ...",
 *   }],
 * };
 * const status = await sweepStatus(manifest, dir);
 * assert.deepEqual([status.runs[0].phase, status.runs[0].action], ["planned", "start"]);
 * assert.deepEqual(status.counts, { planned: 1 });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function sweepStatus(
  manifest: SweepManifest,
  dir: string,
  options: StatusOptions = {},
): Promise<SweepStatus> {
  const warnings: string[] = [];
  const driving = options.driving ?? RunLock.held(dir);
  const slurm = await slurmStates(manifest, options, warnings);
  const runs: RunState[] = [];
  for (const run of manifest.runs) {
    runs.push(await runState(run, manifest, slurm, driving, warnings));
  }
  const counts: Partial<Record<SweepPhase, number>> = {};
  for (const r of runs) counts[r.phase] = (counts[r.phase] ?? 0) + 1;
  return { runs, counts, driving, warnings };
}

/** Slurm's state of each task of each job array the runs' latest attempts are in, by job id. */
async function slurmStates(
  manifest: SweepManifest,
  options: StatusOptions,
  warnings: string[],
): Promise<Map<string, TaskState[]> | null> {
  const wanted = new Set(
    manifest.runs.map((r) => r.attempts.at(-1)).filter((a) => a?.backend === "slurm").map((a) =>
      a!.job_id!
    ),
  );
  const states = new Map<string, TaskState[]>();
  for (const job of manifest.job_arrays) {
    if (!wanted.has(job.job_id)) continue;
    try {
      states.set(
        job.job_id,
        await jobArrayStates(
          { jobId: job.job_id, tasks: job.tasks, logDir: manifest.log_dir, script: job.script },
          options,
        ),
      );
    } catch (e) {
      if (!(e instanceof UserError) || options.strict) throw e;
      warnings.push(`Slurm's states are not shown: ${e.message}`);
      return null;
    }
  }
  return states;
}

async function runState(
  run: SweepRun,
  manifest: SweepManifest,
  slurm: Map<string, TaskState[]> | null,
  driving: boolean,
  warnings: string[],
): Promise<RunState> {
  const attempt = run.attempts.at(-1);
  const { state: backend, word, task } = backendState(attempt, slurm, driving);
  const dirExists = (await Deno.stat(run.run_dir).catch(() => null))?.isDirectory ?? false;
  let record: RunRecord | null = null;
  if (dirExists && (await Deno.stat(`${run.run_dir}/run.json`).catch(() => null))) {
    try {
      record = await readRunRecord(run.run_dir);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      warnings.push(e.message);
    }
  }
  const status = record ? effectiveStatus(record) : null;
  const { phase, action } = decideRun({ record: status, dirExists, backend });
  const lines = record ? await readMetrics(run.run_dir).catch(() => []) : [];
  const maxEpoch = record?.hyperparameters?.max_epoch;
  const log = attempt?.backend === "slurm" && attempt.job_id !== undefined
    ? taskFiles(manifest.log_dir, attempt.job_id, attempt.task!).err
    : attempt?.err ?? null;
  const logLine = log ? await lastLine(log) : null;
  let reason: string | null = null;
  if (phase !== "completed" && phase !== "running" && phase !== "pending") {
    if (record && record.exit_reason) reason = record.exit_reason;
    else if (phase === "failed") {
      reason = logLine ?? (task?.slurmState ? `Slurm says ${task.slurmState}` : null);
    }
    if (task?.state === "timeout") {
      reason = `Slurm's time limit${reason ? `; ${reason}` : ""} (resume with a longer --time)`;
    }
  }
  // The summary is rewritten at heartbeats; the metric lines as each epoch ends.
  const lastEpoch = lines.findLast((l) => l.kind === "epoch")?.epoch ?? 0;
  return {
    index: run.index,
    seed: run.seed,
    grid: run.grid,
    run_dir: run.run_dir,
    attempts: run.attempts.length,
    backend: word,
    record: status,
    epochs: record ? Math.max(record.summary?.epochs_completed ?? 0, lastEpoch) : null,
    max_epoch: typeof maxEpoch === "number" ? maxEpoch : null,
    train_ppl: lines.at(-1)?.ppl ?? record?.summary?.final_train_ppl ?? null,
    test_ppl: record?.summary?.test_ppl ?? null,
    phase,
    action,
    log: logLine === null ? null : log,
    reason,
  };
}

/** The state of `attempt` as its backend tells it, with the backend's own word for it. */
function backendState(
  attempt: SweepAttempt | undefined,
  slurm: Map<string, TaskState[]> | null,
  driving: boolean,
): { state: BackendState; word: string; task?: TaskState } {
  if (!attempt) return { state: "never", word: "-" };
  if (attempt.backend === "slurm") {
    if (slurm === null) return { state: "unasked", word: "?" };
    const task = slurm.get(attempt.job_id ?? "")?.[attempt.task ?? -1];
    if (!task) return { state: "lost", word: "-" };
    const word = task.slurmState ?? (task.exitCode === null ? task.state : `exit ${task.exitCode}`);
    const state: BackendState = task.state === "pending"
      ? "queued"
      : task.state === "running"
      ? "running"
      : task.state === "unknown"
      ? "lost"
      : "ended";
    return { state, word: `${word}`, task };
  }
  if (attempt.state === "exited") {
    return { state: "ended", word: `exited ${attempt.exit_code ?? "?"}` };
  }
  if (!driving) {
    return attempt.state === "queued"
      ? { state: "never", word: "not started" }
      : { state: "ended", word: "gone" };
  }
  return attempt.state === "queued"
    ? { state: "queued", word: "queued" }
    : { state: "running", word: "running" };
}

/** The last non-empty line of file `path` (its last 4 KB), or null. */
async function lastLine(path: string): Promise<string | null> {
  try {
    using f = await Deno.open(path, { read: true });
    const size = (await f.stat()).size;
    await f.seek(Math.max(0, size - 4096), Deno.SeekMode.Start);
    const buf = new Uint8Array(Math.min(size, 4096));
    let off = 0;
    while (off < buf.length) {
      const n = await f.read(buf.subarray(off));
      if (n === null) break;
      off += n;
    }
    const text = new TextDecoder().decode(buf.subarray(0, off));
    return text.split("\n").map((l) => l.trim()).filter((l) => l !== "").at(-1) ?? null;
  } catch {
    return null;
  }
}
