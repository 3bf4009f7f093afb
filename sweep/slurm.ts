/**
 * rnnlab's Slurm backend: hands a list of shell commands to Slurm as one job array, then follows
 * each task to its end.
 *
 * - {@linkcode submitJobArray} writes the batch script ({@linkcode jobArrayScript}) into the log
 *   folder and submits it with `sbatch --parsable`;
 * - {@linkcode jobArrayStates} reads each task's state from `squeue`, then `sacct`, then the
 *   tasks' exit files (see {@linkcode combineTaskStates} for the order);
 * - {@linkcode waitForJobArray} polls until every task has ended; {@linkcode cancelJobArray}
 *   cancels the tasks not yet ended.
 *
 * The Slurm commands come from `PATH` (that of `options.env` when it sets one). A missing
 * command, a controller that does not answer, munge down or no Slurm configuration is a
 * {@linkcode UserError} that says what to install or start; `sbatch` refusing an option (an
 * unknown partition, a bad time) is a {@linkcode UserError} with sbatch's own words.
 *
 * @module
 */

import { mkdir, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import { jobArrayScript, type JobArraySpec, scriptPath, taskFiles } from "./slurm_script.ts";
import {
  combineTaskStates,
  isFinished,
  parseExitFile,
  parseSacct,
  parseSqueue,
  type TaskRecord,
  type TaskState,
} from "./slurm_states.ts";

/** How the Slurm commands are run. */
export interface SlurmOptions {
  /** Environment variables set for the Slurm commands on top of this process's (`SLURM_CONF`). */
  env?: Record<string, string>;
}

/** A job array Slurm has accepted. */
export interface SubmittedJobArray {
  /** The array's job id (`%A`, `$SLURM_ARRAY_JOB_ID`). */
  jobId: string;
  /** How many tasks it has: 0 to tasks - 1, one per command. */
  tasks: number;
  /** The absolute log folder holding each task's `.out`, `.err` and `.exit` files. */
  logDir: string;
  /** The batch script that was submitted. */
  script: string;
}

/**
 * Writes the batch script for `spec` to `<logDir>/<jobName>.sbatch` (creating the folder) and
 * submits it with `sbatch --parsable`; returns the array's job id, task count and files.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { submitJobArray, waitForJobArray } from "@rnnlab/rnnlab";
 * const job = await submitJobArray({
 *   commands: [1, 2, 3].map((s) => `deno task experiment ch05_simple_rnnlm --seed ${s}`),
 *   logDir: "/shared/sweeps/ch05/logs",
 *   partition: "cpu",
 *   time: "1:00:00",
 * });
 * assert.match(job.jobId, /^\d+$/);
 * assert.equal(job.tasks, 3);
 * assert.equal(job.script, "/shared/sweeps/ch05/logs/rnnlab.sbatch");
 * const states = await waitForJobArray(job, { timeoutMs: 2 * 3600_000 });
 * assert.deepEqual(states.map((s) => s.state), ["completed", "completed", "completed"]);
 * ```
 */
export async function submitJobArray(
  spec: JobArraySpec,
  options: SlurmOptions = {},
): Promise<SubmittedJobArray> {
  const text = jobArrayScript(spec);
  const logDir = resolve(spec.logDir);
  const script = scriptPath(logDir, spec.jobName ?? "rnnlab");
  await mkdir(logDir, { recursive: true });
  await writeFile(script, text);
  const out = await slurm("sbatch", ["--parsable", script], options);
  if (out.code !== 0) throw slurmError("sbatch", out.stderr);
  // `--parsable` prints `<job id>` or `<job id>;<cluster>`.
  const jobId = out.stdout.trim().split(";")[0];
  if (!/^\d+$/.test(jobId)) {
    throw new Error(`sbatch --parsable printed '${out.stdout.trim()}', not a job id`);
  }
  return { jobId, tasks: spec.commands.length, logDir, script };
}

/**
 * The state of each task of `job`, task 0 first: the controller's answer from `squeue`; for the
 * tasks it no longer holds, `sacct`'s when the cluster keeps accounting (when `sacct` fails, as
 * it does without slurmdbd, it is skipped); for the rest, their exit files. The exit status of
 * an ended task comes from its exit file, else from `sacct`.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { jobArrayStates } from "@rnnlab/rnnlab";
 * // Job 812, three tasks: task 0 has exited with status 0, the other two still run.
 * const job = { jobId: "812", tasks: 3, logDir: "/shared/sweeps/ch05/logs", script: "" };
 * const states = await jobArrayStates(job);
 * assert.deepEqual(states.map((s) => s.task), [0, 1, 2]);
 * assert.deepEqual(states.map((s) => s.state), ["completed", "running", "running"]);
 * assert.equal(states[0].exitCode, 0);
 * assert.equal(states[1].source, "squeue");
 * ```
 */
export async function jobArrayStates(
  job: SubmittedJobArray,
  options: SlurmOptions = {},
): Promise<TaskState[]> {
  const q = await slurm(
    "squeue",
    ["-h", "-r", "-t", "all", "-j", job.jobId, "-o", "%i|%T"],
    options,
  );
  // A job id the controller has forgotten is an error to squeue; its tasks are then elsewhere.
  if (q.code !== 0 && !/Invalid job id/i.test(q.stderr)) throw slurmError("squeue", q.stderr);
  const squeue = parseSqueue(q.code === 0 ? q.stdout : "", job.jobId);
  const tasks = Array.from({ length: job.tasks }, (_, t) => t);

  let sacct = new Map<number, TaskRecord>();
  if (tasks.some((t) => !squeue.has(t))) {
    try {
      const a = await slurm(
        "sacct",
        ["-n", "-P", "-X", "-j", job.jobId, "-o", "JobID,State,ExitCode"],
        options,
      );
      if (a.code === 0) sacct = parseSacct(a.stdout, job.jobId);
    } catch (e) {
      if (!(e instanceof UserError)) throw e; // sacct not installed: no accounting to read
    }
  }
  // The exit file of every task that may have ended: its status, or its state if Slurm has none.
  const exitFiles = new Map<number, TaskRecord>();
  for (const task of tasks) {
    const held = squeue.get(task);
    if (held && !isFinished(held.state)) continue;
    try {
      const record = parseExitFile(
        await Deno.readTextFile(taskFiles(job.logDir, job.jobId, task).exit),
      );
      if (record) exitFiles.set(task, record);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return combineTaskStates(job.tasks, { squeue, sacct, exitFiles });
}

/** Options of {@linkcode waitForJobArray}. */
export interface WaitOptions extends SlurmOptions {
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** Milliseconds between two looks; default 2000. */
  pollMs?: number;
  /** Called with the states after each look (progress display). */
  onPoll?: (states: TaskState[]) => void;
}

/**
 * Polls {@linkcode jobArrayStates} until no task of `job` is pending or running, and returns the
 * final states. Throws a {@linkcode UserError} naming the unfinished tasks if `timeoutMs` passes
 * first (the tasks keep running: {@linkcode cancelJobArray} stops them).
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { waitForJobArray } from "@rnnlab/rnnlab";
 * const job = { jobId: "812", tasks: 3, logDir: "/shared/sweeps/ch05/logs", script: "" };
 * const states = await waitForJobArray(job, { timeoutMs: 60_000, pollMs: 500 });
 * assert.ok(states.every((s) => s.state === "completed" && s.exitCode === 0));
 * // A job still running after timeoutMs: a UserError naming its unfinished tasks (they go on).
 * const long = { jobId: "813", tasks: 1, logDir: "/shared/sweeps/ch06/logs", script: "" };
 * await assert.rejects(waitForJobArray(long, { timeoutMs: 1000 }), { name: "UserError" });
 * ```
 */
export async function waitForJobArray(
  job: SubmittedJobArray,
  options: WaitOptions,
): Promise<TaskState[]> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const states = await jobArrayStates(job, options);
    options.onPoll?.(states);
    const open = states.filter((s) => !isFinished(s.state));
    if (open.length === 0) return states;
    if (Date.now() >= deadline) {
      const list = open.map((s) => `${s.task} ${s.state}`).join(", ");
      throw new UserError(
        `job array ${job.jobId} has not finished after ${options.timeoutMs / 1000} s ` +
          `(tasks ${list}); follow it with squeue -j ${job.jobId} or cancel it with scancel ${job.jobId}`,
      );
    }
    await new Promise((r) =>
      setTimeout(r, Math.min(options.pollMs ?? 2000, deadline - Date.now()))
    );
  }
}

/**
 * Cancels every task of `job` that has not ended (`scancel <jobId>`); ended tasks keep their
 * states.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { cancelJobArray, waitForJobArray } from "@rnnlab/rnnlab";
 * // Job 812: task 0 has completed, tasks 1 and 2 still run.
 * const job = { jobId: "812", tasks: 3, logDir: "/shared/sweeps/ch05/logs", script: "" };
 * await cancelJobArray(job);
 * const states = await waitForJobArray(job, { timeoutMs: 60_000 });
 * assert.deepEqual(states.map((s) => s.state), ["completed", "cancelled", "cancelled"]);
 * ```
 */
export async function cancelJobArray(
  job: SubmittedJobArray,
  options: SlurmOptions = {},
): Promise<void> {
  const out = await slurm("scancel", [job.jobId], options);
  if (out.code !== 0 && !/Invalid job id/i.test(out.stderr)) {
    throw slurmError("scancel", out.stderr);
  }
}

/**
 * Whether a Slurm controller answers `scontrol ping`; false also when `scontrol` is missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { slurmControllerUp } from "@rnnlab/rnnlab";
 * // On a cluster: if (!(await slurmControllerUp())) ... start Slurm first: deploy/slurm/start
 * const empty = await Deno.makeTempDir(); // a PATH with no scontrol on it: no Slurm to ask
 * assert.equal(await slurmControllerUp({ env: { PATH: empty } }), false);
 * await Deno.remove(empty);
 * ```
 */
export async function slurmControllerUp(options: SlurmOptions = {}): Promise<boolean> {
  try {
    const out = await slurm("scontrol", ["ping"], options);
    return out.code === 0 && /\bUP\b/.test(out.stdout);
  } catch (e) {
    if (e instanceof UserError) return false;
    throw e;
  }
}

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs Slurm command `cmd`; a missing command is a {@linkcode UserError} naming the package. */
async function slurm(cmd: string, args: string[], options: SlurmOptions): Promise<Output> {
  const conf = options.env?.SLURM_CONF ?? envVar("SLURM_CONF");
  // Slurm's commands retry a missing SLURM_CONF for a minute before they give up.
  if (conf !== undefined && !(await exists(conf))) {
    throw new UserError(
      `SLURM_CONF names ${conf}, which does not exist; point it at the cluster's slurm.conf`,
    );
  }
  try {
    const out = await new Deno.Command(cmd, {
      args,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new UserError(
      `${cmd} not found on PATH: install Slurm's client commands (Debian and Ubuntu: ` +
        `apt-get install slurm-client) or run on a node of a Slurm cluster`,
    );
  }
}

/** The one-line error for Slurm command `cmd` failing with `stderr`. */
function slurmError(cmd: string, stderr: string): UserError {
  const errors = stderr.split("\n").map((l) => l.replace(/^\w+: (error|fatal): /, "").trim())
    .filter((l) => l !== "");
  // What the command said: its first line matching `re`, else its first line.
  const said = (re?: RegExp) =>
    `${cmd}: ${(re && errors.find((l) => re.test(l))) ?? errors[0] ?? "failed without a message"}`;
  const has = (re: RegExp) => errors.some((l) => re.test(l));
  const controller = /Unable to contact slurm controller|Connection refused|Socket timed out/i;
  if (has(controller)) {
    return new UserError(
      `the Slurm controller does not answer (${said(controller)}); start slurmctld ` +
        `(on one machine: deploy/slurm/start) or check SlurmctldHost in slurm.conf`,
    );
  }
  const munge = /munge.*failed|authentication error/i;
  if (has(munge)) {
    return new UserError(
      `Slurm cannot authenticate through munge (${said(munge)}); start munged with the ` +
        `cluster's munge key (on one machine: deploy/slurm/start)`,
    );
  }
  const config = /configuration source|configuration file|s_p_parse_file/i;
  if (has(config)) {
    return new UserError(
      `Slurm has no configuration (${said(config)}); write /etc/slurm/slurm.conf or set ` +
        `SLURM_CONF (on one machine: deploy/slurm/start)`,
    );
  }
  if (cmd === "sbatch") {
    return new UserError(
      `sbatch refused the job array (${said()}); check its partition, time and sbatch arguments`,
    );
  }
  return new UserError(`${said()}`);
}

function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: Slurm finds its configuration itself
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    return true; // unreadable here (permissions): let Slurm say what it makes of it
  }
}
