/**
 * The batch script of a Slurm job array that runs a list of shell commands: task `i` of the array
 * runs command `i` with bash, and records how it ended in an exit-code file beside its output.
 *
 * Every file of task `i` of array job `J` lives in the log folder, named by Slurm's `%A_%a`
 * pattern: `J_i.out` (stdout), `J_i.err` (stderr) and `J_i.exit`, which the script writes when
 * the command ends: its exit status (`0`, `3`), after `TERM ` when Slurm stopped the task with
 * SIGTERM (`TERM 143`: a cancellation or the time limit, which the script cannot tell apart). The
 * exit files say how a task ended even where Slurm keeps no accounting and its controller has
 * forgotten the job.
 *
 * When Slurm stops a task it sends SIGTERM to all the task's processes and SIGKILL `KillWait`
 * seconds later (30 by default). The script waits for the command meanwhile, so an rnnlab run
 * stopped at the time limit saves its checkpoint and can go on with `--resume`; the command's
 * shell runs nothing after the command that SIGTERM interrupted.
 *
 * @module
 */

import { resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import { shellQuote } from "./commands.ts";

/** What a job array runs and how Slurm is asked to schedule it. */
export interface JobArraySpec {
  /** Shell commands, run with bash: task `i` of the array runs `commands[i]`. */
  commands: readonly string[];
  /** Folder for the batch script and each task's `.out`, `.err` and `.exit` files. */
  logDir: string;
  /** The job's name in `squeue` (`--job-name`); default `rnnlab`. */
  jobName?: string;
  /** The partition (`--partition`); default the cluster's default partition. */
  partition?: string;
  /** Each task's time limit as Slurm writes it (`--time`), e.g. `90`, `4:00:00`, `1-12`. */
  time?: string;
  /** CPUs per task (`--cpus-per-task`); default Slurm's, one. */
  cpusPerTask?: number;
  /** The tasks' working directory (`--chdir`); default the folder `sbatch` is run from. */
  chdir?: string;
  /** At most this many tasks run at once (`--array=0-N%max`); default no limit. */
  maxParallel?: number;
  /**
   * Further `sbatch` options, one per element, written as `#SBATCH` lines in the given order,
   * e.g. `--mem=4G`, `--account=lab`, `--exclusive`. A value with spaces is quoted.
   */
  sbatchArgs?: readonly string[];
}

/** The files of one task of an array job. */
export interface TaskFiles {
  /** The task's standard output. */
  out: string;
  /** The task's standard error. */
  err: string;
  /** The task's exit status (`0`, `1`, ...), after `TERM ` if Slurm stopped it. */
  exit: string;
}

/**
 * The paths of task `task`'s files for array job `jobId` in folder `logDir`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskFiles } from "@rnnlab/rnnlab";
 * assert.equal(taskFiles("/runs/logs", "812", 2).exit, "/runs/logs/812_2.exit");
 * ```
 */
export function taskFiles(logDir: string, jobId: string, task: number): TaskFiles {
  const base = `${resolve(logDir)}/${jobId}_${task}`;
  return { out: `${base}.out`, err: `${base}.err`, exit: `${base}.exit` };
}

/** Where {@linkcode submitJobArray} writes the batch script of a job named `jobName`. */
export function scriptPath(logDir: string, jobName: string): string {
  return `${resolve(logDir)}/${jobName}.sbatch`;
}

/**
 * The text of the batch script for `spec`: the `#SBATCH` options, then a `case` that picks the
 * task's command, runs it and writes its exit file. Paths are made absolute (against the current
 * folder), so the tasks find the log folder whatever their working directory.
 *
 * Throws a {@linkcode UserError} for no commands, a job name with a space or a `/`, a count that
 * is not a positive integer, an option with a line break or a double quote, or an `sbatch`
 * argument that is not a long option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobArrayScript } from "@rnnlab/rnnlab";
 * const script = jobArrayScript({
 *   commands: ["deno task experiment ch05_simple_rnnlm --seed 1", "echo 'two'"],
 *   logDir: "/shared/sweep/logs",
 *   partition: "cpu",
 *   time: "2:00:00",
 *   cpusPerTask: 2,
 * });
 * assert.match(script, /^#SBATCH --array=0-1$/m);
 * assert.match(script, /^#SBATCH --output=\/shared\/sweep\/logs\/%A_%a\.out$/m);
 * assert.match(script, /^ {2}1\) command='echo '\\''two'\\''' ;;$/m);
 * ```
 */
export function jobArrayScript(spec: JobArraySpec): string {
  const n = spec.commands.length;
  if (n === 0) throw new UserError("a job array needs at least one command");
  const logDir = resolve(spec.logDir);
  const jobName = spec.jobName ?? "rnnlab";
  if (!/^[^/\s]+$/.test(jobName)) {
    throw new UserError(
      `job name ${JSON.stringify(jobName)} also names the batch script's file; use one word ` +
        "without '/'",
    );
  }
  const array = spec.maxParallel === undefined
    ? `0-${n - 1}`
    : `0-${n - 1}%${positiveInt(spec.maxParallel, "the number of tasks at once")}`;
  const lines = [
    "#!/bin/bash",
    sbatchLine("--job-name", jobName),
    `#SBATCH --array=${array}`,
    sbatchLine("--output", `${slurmPattern(logDir)}/%A_%a.out`),
    sbatchLine("--error", `${slurmPattern(logDir)}/%A_%a.err`),
  ];
  if (spec.partition !== undefined) lines.push(sbatchLine("--partition", spec.partition));
  if (spec.time !== undefined) lines.push(sbatchLine("--time", spec.time));
  if (spec.cpusPerTask !== undefined) {
    lines.push(`#SBATCH --cpus-per-task=${positiveInt(spec.cpusPerTask, "--cpus-per-task")}`);
  }
  if (spec.chdir !== undefined) lines.push(sbatchLine("--chdir", resolve(spec.chdir)));
  for (const arg of spec.sbatchArgs ?? []) lines.push(extraLine(arg));
  lines.push(
    "",
    "# Task i runs command i. Slurm stops a task (scancel, the time limit) with SIGTERM to all its",
    "# processes, then SIGKILL KillWait seconds later; the script passes SIGTERM on and waits for",
    "# the command, which may use the time to finish (an rnnlab run saves a checkpoint). The exit",
    `# status, after "TERM " if the task was stopped, goes to ${logDir}/<job>_<task>.exit.`,
    'case "$SLURM_ARRAY_TASK_ID" in',
    ...spec.commands.map((c, i) => `  ${i}) command=${shellQuote(c)} ;;`),
    '  *) echo "no command for array task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;',
    "esac",
    `exit_file=${shellQuote(logDir)}/"$SLURM_ARRAY_JOB_ID"_"$SLURM_ARRAY_TASK_ID".exit`,
    "stopped=",
    `trap 'if [ -z "$stopped" ]; then stopped="TERM "; kill -TERM 0 2>/dev/null; fi' TERM`,
    // In the background, so that the trap runs as soon as SIGTERM arrives; the command's shell
    // ends after the command it is running when SIGTERM comes, not before and not later.
    `bash -c 'trap exit TERM; eval "$1"' "task $SLURM_ARRAY_TASK_ID" "$command" &`,
    "child=$!",
    'wait "$child"',
    "status=$?",
    'if [ -n "$stopped" ]; then',
    '  while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done',
    "fi",
    'echo "$stopped$status" > "$exit_file"',
    'exit "$status"',
    "",
  );
  return lines.join("\n");
}

/** A path with `%` doubled, so that Slurm's filename patterns (`%A`, `%a`) leave it as it is. */
function slurmPattern(path: string): string {
  return path.replaceAll("%", "%%");
}

/** `#SBATCH --name=value`, the value in double quotes when it has spaces (sbatch reads them). */
function sbatchLine(name: string, value: string): string {
  if (/[\n\r"]/.test(value)) {
    throw new UserError(
      `${name} ${JSON.stringify(value)} has a line break or a double quote; remove it`,
    );
  }
  return `#SBATCH ${name}=${/^[\w.,:/@%+=-]*$/.test(value) ? value : `"${value}"`}`;
}

/** An `#SBATCH` line for a further option: `--flag` as it is, `--name=value` quoted if need be. */
function extraLine(arg: string): string {
  const m = arg.match(/^(--[A-Za-z][\w-]*)(?:=([\s\S]*))?$/);
  if (!m) {
    throw new UserError(
      `sbatch argument ${
        JSON.stringify(arg)
      } is not a long option; write it as --name=value (e.g. --mem=4G)`,
    );
  }
  return m[2] === undefined ? `#SBATCH ${m[1]}` : sbatchLine(m[1], m[2]);
}

function positiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new UserError(`${what} must be a positive integer, not ${value}`);
  }
  return value;
}
