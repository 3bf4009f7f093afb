/**
 * The local backend's engine: `deno task experiment` commands run as child processes on this
 * machine, `jobs` at a time, each with its own environment and its standard output and error in
 * files of their own (a Slurm task's `.out` and `.err`, on this machine).
 *
 * A stop signal (Ctrl-C, SIGTERM, SIGHUP) starts nothing more, passes the signal on to the runs
 * under way (a terminal has already sent Ctrl-C to all of them; a signal sent to this process
 * alone reaches them too), and waits for them: each saves its checkpoint and marks itself
 * interrupted, so `deno task sweep resume` continues them. The commands not started are left as
 * they were.
 *
 * @module
 */

import type { StopSignal } from "../run/stop.ts";

/** One command of the local backend. */
export interface LocalTask {
  /** The arguments after `deno task experiment`. */
  args: readonly string[];
  /** Environment variables set for it, on top of this process's. */
  env: Record<string, string>;
  /** The file its standard output goes to (replaced). */
  out: string;
  /** The file its standard error goes to (replaced). */
  err: string;
}

/** How {@linkcode runLocally} runs its tasks. */
export interface LocalOptions {
  /** How many at a time. */
  jobs: number;
  /** The rnnlab checkout to run `deno task` in; default the one this module is in. */
  cwd?: string;
  /** Called as task `i` starts. */
  onStart?: (i: number) => void;
  /** Called when task `i` has exited with `code`. */
  onEnd?: (i: number, code: number) => void;
}

/** What {@linkcode runLocally} did. */
export interface LocalOutcome {
  /** Each task's exit status, or null for a task a stop signal kept from starting. */
  codes: (number | null)[];
  /** The stop signal that ended the sweep early, or null. */
  stoppedBy: StopSignal | null;
}

const SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Runs `tasks` in order, `options.jobs` at a time, as `deno task experiment <args>` in child
 * processes, and resolves when all have exited or a stop signal has ended the sweep.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runLocally } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * const task = (i: number, args: string[]) => ({
 *   args,
 *   env: {},
 *   out: `${dir}/${i}.out`,
 *   err: `${dir}/${i}.err`,
 * });
 * const ended: number[] = [];
 * const { codes, stoppedBy } = await runLocally(
 *   [task(0, ["--list"]), task(1, ["ch99"])],
 *   { jobs: 2, onEnd: (i) => void ended.push(i) },
 * );
 * assert.deepEqual(codes, [0, 2]); // ch99 is no experiment: a user error, exit 2
 * assert.equal(stoppedBy, null);
 * assert.deepEqual(ended.sort(), [0, 1]);
 * assert.match(await Deno.readTextFile(`${dir}/0.out`), /^ch05_simple_rnnlm$/m);
 * assert.match(await Deno.readTextFile(`${dir}/1.err`), /^error: unknown experiment 'ch99'/m);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runLocally(
  tasks: readonly LocalTask[],
  options: LocalOptions,
): Promise<LocalOutcome> {
  const cwd = options.cwd ?? new URL("../", import.meta.url).pathname;
  const codes: (number | null)[] = tasks.map(() => null);
  const running = new Set<Deno.ChildProcess>();
  let stoppedBy: StopSignal | null = null;
  const listeners = SIGNALS.map((sig) => {
    const listener = () => {
      stoppedBy ??= sig;
      for (const child of running) {
        try {
          child.kill(sig);
        } catch { /* it has just exited */ }
      }
    };
    Deno.addSignalListener(sig, listener);
    return [sig, listener] as const;
  });
  let next = 0;
  const worker = async () => {
    while (stoppedBy === null && next < tasks.length) {
      const i = next++;
      const code = await runOne(tasks[i], cwd, running, () => {
        if (stoppedBy !== null) return false;
        options.onStart?.(i);
        return true;
      });
      if (code === null) break;
      codes[i] = code;
      options.onEnd?.(i, code);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, worker));
  } finally {
    for (const [sig, listener] of listeners) Deno.removeSignalListener(sig, listener);
  }
  return { codes, stoppedBy };
}

/**
 * Runs one task to its end and returns its exit status; or null, starting nothing, when `start`
 * (asked right before the process starts) says no.
 */
async function runOne(
  task: LocalTask,
  cwd: string,
  running: Set<Deno.ChildProcess>,
  start: () => boolean,
): Promise<number | null> {
  if (!start()) return null;
  // Nothing is awaited between the question and the start: a stop signal cannot come between.
  const out = Deno.openSync(task.out, { write: true, create: true, truncate: true });
  const err = Deno.openSync(task.err, { write: true, create: true, truncate: true });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "experiment", ...task.args],
      cwd,
      // `deno task` names the caller's folder in INIT_CWD; every path of a sweep is absolute.
      env: { ...task.env, INIT_CWD: cwd },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    out.close();
    err.close();
    throw e;
  }
  running.add(child);
  try {
    const [status] = await Promise.all([
      child.status,
      child.stdout.pipeTo(out.writable),
      child.stderr.pipeTo(err.writable),
    ]);
    return status.code;
  } finally {
    running.delete(child);
  }
}
