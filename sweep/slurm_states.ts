/**
 * The state of each task of a Slurm job array, read from what Slurm prints.
 *
 * Three sources, in order of trust:
 * 1. `squeue -h -r -t all -j J -o %i|%T`: the controller's view, every task it still holds
 *    (pending and running ones, and finished ones for `MinJobAge` seconds, 300 by default);
 * 2. `sacct -n -P -X -j J -o JobID,State,ExitCode`: the accounting database, every task ever
 *    run, when the cluster keeps accounting (slurmdbd);
 * 3. the exit files the batch script writes ({@linkcode jobArrayScript}): the status of each
 *    task that ended, where there is no accounting and the controller has forgotten the job.
 *
 * A task found in none of them is `unknown` (e.g. killed with its node before writing its exit
 * file, after the controller forgot it).
 *
 * @module
 */

/** Where a task stands, in rnnlab's words. */
export type TaskStateName =
  | "pending"
  | "running"
  | "completed"
  | "failed"
  | "cancelled"
  | "timeout"
  | "unknown";

/** One task's state and where it was read. */
export interface TaskState {
  /** The task's index in the array (`$SLURM_ARRAY_TASK_ID`), which is its command's index. */
  task: number;
  /** Where the task stands. */
  state: TaskStateName;
  /** Slurm's own word for it (e.g. `OUT_OF_MEMORY`, `CANCELLED`), or null if Slurm had none. */
  slurmState: string | null;
  /** The command's exit status when known (from the exit file or `sacct`), else null. */
  exitCode: number | null;
  /** Which source answered. */
  source: "squeue" | "sacct" | "exit-file" | "none";
}

/** A task as one source reports it. */
export interface TaskRecord {
  /** Slurm's state word (`RUNNING`, `TIMEOUT`, ...), or null for an exit file. */
  slurmState: string | null;
  /** Where the task stands. */
  state: TaskStateName;
  /** The exit status, when the source gives one. */
  exitCode: number | null;
}

/** Whether a task in state `s` has ended: no longer pending or running. */
export function isFinished(s: TaskStateName): boolean {
  return s !== "pending" && s !== "running";
}

const SLURM_STATES: Record<string, TaskStateName> = {
  PENDING: "pending",
  REQUEUED: "pending",
  REQUEUE_FED: "pending",
  REQUEUE_HOLD: "pending",
  RESV_DEL_HOLD: "pending",
  CONFIGURING: "pending",
  RUNNING: "running",
  COMPLETING: "running",
  SUSPENDED: "running",
  STOPPED: "running",
  RESIZING: "running",
  SIGNALING: "running",
  STAGE_OUT: "running",
  COMPLETED: "completed",
  FAILED: "failed",
  NODE_FAIL: "failed",
  BOOT_FAIL: "failed",
  OUT_OF_MEMORY: "failed",
  PREEMPTED: "failed",
  REVOKED: "failed",
  SPECIAL_EXIT: "failed",
  CANCELLED: "cancelled",
  TIMEOUT: "timeout",
  DEADLINE: "timeout",
};

/**
 * rnnlab's name for a Slurm job state as `squeue -o %T` or `sacct -o State` print it (`sacct`'s
 * `CANCELLED by 1000` included); a word Slurm may add later is `unknown`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { slurmStateName } from "@rnnlab/rnnlab";
 * assert.equal(slurmStateName("OUT_OF_MEMORY"), "failed");
 * assert.equal(slurmStateName("CANCELLED by 1000"), "cancelled");
 * ```
 */
export function slurmStateName(slurmState: string): TaskStateName {
  return SLURM_STATES[slurmState.trim().split(/\s+/)[0]] ?? "unknown";
}

/**
 * The tasks of array job `jobId` that a `squeue -h -r -t all -j <jobId> -o '%i|%T'` printout
 * lists, by task index. Lines of other jobs are ignored; a pending range such as `81_[3-5]`
 * (squeue without `-r`) stands for each of its tasks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSqueue } from "@rnnlab/rnnlab";
 * const tasks = parseSqueue("81_[2-3]|PENDING\n81_0|RUNNING\n81_1|COMPLETED\n", "81");
 * assert.deepEqual([...tasks.keys()].sort(), [0, 1, 2, 3]);
 * assert.equal(tasks.get(2)?.state, "pending");
 * assert.equal(tasks.get(1)?.state, "completed");
 * ```
 */
export function parseSqueue(text: string, jobId: string): Map<number, TaskRecord> {
  const tasks = new Map<number, TaskRecord>();
  for (const line of text.split("\n")) {
    const [id, slurmState] = line.trim().split("|");
    if (slurmState === undefined) continue;
    for (const task of arrayTasks(id, jobId)) {
      tasks.set(task, { slurmState, state: slurmStateName(slurmState), exitCode: null });
    }
  }
  return tasks;
}

/**
 * The tasks of array job `jobId` that a `sacct -n -P -X -j <jobId> -o JobID,State,ExitCode`
 * printout lists, by task index, with each one's exit status (the part of `ExitCode` before the
 * colon; the part after is the signal). Job steps (`81_0.batch`) and other jobs are ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSacct } from "@rnnlab/rnnlab";
 * const tasks = parseSacct("81_0|COMPLETED|0:0\n81_1|FAILED|3:0\n81_2|CANCELLED by 0|0:15\n", "81");
 * assert.deepEqual(tasks.get(1), { slurmState: "FAILED", state: "failed", exitCode: 3 });
 * assert.equal(tasks.get(2)?.state, "cancelled");
 * ```
 */
export function parseSacct(text: string, jobId: string): Map<number, TaskRecord> {
  const tasks = new Map<number, TaskRecord>();
  for (const line of text.split("\n")) {
    const [id, state, exit] = line.trim().split("|");
    if (state === undefined) continue;
    const slurmState = state.trim().split(/\s+/)[0];
    const code = exit?.match(/^(\d+):\d+$/);
    for (const task of arrayTasks(id, jobId)) {
      tasks.set(task, {
        slurmState,
        state: slurmStateName(slurmState),
        exitCode: code ? Number(code[1]) : null,
      });
    }
  }
  return tasks;
}

/**
 * A task as its exit file tells it: `0` is completed, another number failed with that status,
 * `TERM <status>` cancelled (by `scancel` or the time limit: the script cannot tell which); null
 * for any other text, such as an empty file being written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseExitFile } from "@rnnlab/rnnlab";
 * assert.deepEqual(parseExitFile("1\n"), { slurmState: null, state: "failed", exitCode: 1 });
 * assert.deepEqual(parseExitFile("TERM 143\n"), {
 *   slurmState: null,
 *   state: "cancelled",
 *   exitCode: 143,
 * });
 * assert.equal(parseExitFile(""), null);
 * ```
 */
export function parseExitFile(text: string): TaskRecord | null {
  const m = text.trim().match(/^(TERM )?(\d+)$/);
  if (!m) return null;
  const exitCode = Number(m[2]);
  const state = m[1] ? "cancelled" : exitCode === 0 ? "completed" : "failed";
  return { slurmState: null, state, exitCode };
}

/** What each source said about an array's tasks, by task index; a source not asked is absent. */
export interface TaskSources {
  /** From {@linkcode parseSqueue}. */
  squeue?: Map<number, TaskRecord>;
  /** From {@linkcode parseSacct}. */
  sacct?: Map<number, TaskRecord>;
  /** From {@linkcode parseExitFile}, one per task whose exit file was read. */
  exitFiles?: Map<number, TaskRecord>;
}

/**
 * The state of each of the `tasks` tasks (0 to tasks - 1) from the first source that knows it,
 * in the order `squeue`, `sacct`, exit file; the exit status from the exit file, else `sacct`
 * (which says `0:0` for a cancelled task, whatever its command returned).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { combineTaskStates, parseExitFile, parseSqueue } from "@rnnlab/rnnlab";
 * const states = combineTaskStates(3, {
 *   squeue: parseSqueue("5_2|RUNNING\n", "5"),
 *   exitFiles: new Map([[0, parseExitFile("0")!]]),
 * });
 * assert.deepEqual(states.map((s) => `${s.state}/${s.source}`), [
 *   "completed/exit-file",
 *   "unknown/none",
 *   "running/squeue",
 * ]);
 * ```
 */
export function combineTaskStates(tasks: number, sources: TaskSources): TaskState[] {
  return Array.from({ length: tasks }, (_, task): TaskState => {
    const q = sources.squeue?.get(task);
    const a = sources.sacct?.get(task);
    const f = sources.exitFiles?.get(task);
    const exitCode = f?.exitCode ?? a?.exitCode ?? null;
    if (q) return { task, state: q.state, slurmState: q.slurmState, exitCode, source: "squeue" };
    if (a) return { task, state: a.state, slurmState: a.slurmState, exitCode, source: "sacct" };
    if (f) return { task, state: f.state, slurmState: null, exitCode, source: "exit-file" };
    return { task, state: "unknown", slurmState: null, exitCode: null, source: "none" };
  });
}

/**
 * The task indices a job id field names, if it belongs to array job `jobId`: `81_4` is task 4,
 * `81_[0-2,7%2]` tasks 0, 1, 2 and 7 (`%2` is the limit on tasks at once); anything else none.
 */
function arrayTasks(id: string | undefined, jobId: string): number[] {
  const m = id?.trim().match(/^(\d+)_(\d+|\[[\d,\-]+(?:%\d+)?\])$/);
  if (!m || m[1] !== jobId) return [];
  if (!m[2].startsWith("[")) return [Number(m[2])];
  const tasks: number[] = [];
  for (const part of m[2].slice(1, -1).split("%")[0].split(",")) {
    const [lo, hi = lo] = part.split("-").map(Number);
    for (let t = lo; t <= hi; t++) tasks.push(t);
  }
  return tasks;
}
