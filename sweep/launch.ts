/**
 * Launching a sweep's runs on a backend, and keeping its manifest up to date as they go.
 *
 * - {@linkcode submitLaunches}: one Slurm job array per 1000 runs (the default `MaxArraySize` is
 *   1001), each task running `deno task experiment ...` in the rnnlab checkout with the threads
 *   its CPUs allow ({@linkcode slurmTaskEnv}); the manifest records each array's job id and each
 *   run's task, after each submission.
 * - {@linkcode runLaunchesLocally}: the runs on this machine, `jobs` at a time
 *   ({@linkcode runLocally}, {@linkcode sharedMachineEnv}); the manifest records each run as
 *   queued, running and exited, with its log files and exit status.
 *
 * Every write of the manifest replaces it whole, one at a time.
 *
 * @module
 */

import { delimiter, dirname } from "node:path";
import { experimentCommand } from "./commands.ts";
import { runLocally } from "./local.ts";
import {
  type SlurmSettings,
  type SweepAttempt,
  type SweepManifest,
  writeManifest,
} from "./manifest.ts";
import type { Launch } from "./plan.ts";
import { type SlurmOptions, submitJobArray } from "./slurm.ts";
import { sharedMachineEnv, slurmTaskEnv } from "./threads.ts";
import type { StopSignal } from "../run/stop.ts";

/** The most tasks rnnlab puts in one job array (Slurm's default `MaxArraySize` is 1001). */
export const MAX_ARRAY_TASKS = 1000;

/**
 * Submits `launches` of the sweep whose manifest is `manifest` (file `path`) to Slurm with
 * `settings`, as job arrays of at most {@linkcode MAX_ARRAY_TASKS} tasks; records each array and
 * each run's attempt in the manifest and writes it after each submission. Throws the
 * {@linkcode UserError} of `sbatch` (not installed, controller down, an option refused) with the
 * manifest as it stood after the last array accepted.
 *
 * The tasks inherit the environment of `sbatch` (Slurm's default, `--export=ALL`): `PTB_DIR`,
 * `OPENBLAS_CORETYPE` and the like reach them. When `deno` is not on `PATH`, the folder of the
 * Deno running this is put in front of it, for the tasks to find.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { nextLaunches, planSweep, readManifest, submitLaunches, sweepStatus } from "@rnnlab/rnnlab";
 * import { loadExperiment } from "@rnnlab/rnnlab";
 * const ch05 = loadExperiment("ch05_simple_rnnlm").experiment;
 * const settings = { time: "10", sbatch_args: [] };
 * const m = await planSweep({
 *   experiment: ch05, seeds: [1, 2, 3], axes: [], fixed: {}, out: "/shared/results",
 *   backend: "slurm", slurm: settings,
 * });
 * const path = `/shared/results/sweeps/${m.sweep_id}/manifest.json`;
 * await Deno.mkdir(m.log_dir, { recursive: true });
 * const launches = nextLaunches(m, await sweepStatus(m, `/shared/results/sweeps/${m.sweep_id}`));
 * const [job] = await submitLaunches(m, path, launches, settings);
 * assert.equal(job.tasks, 3);
 * assert.equal((await readManifest(path)).runs[2].attempts[0].task, 2);
 * ```
 */
export async function submitLaunches(
  manifest: SweepManifest,
  path: string,
  launches: readonly Launch[],
  settings: SlurmSettings,
  options: SlurmOptions = {},
): Promise<SweepManifest["job_arrays"]> {
  const env = slurmTaskEnv(settings.cpus_per_task ?? 1);
  const submitted: SweepManifest["job_arrays"] = [];
  const slurmEnv = { ...options.env, ...denoOnPath(options.env) };
  for (let from = 0; from < launches.length; from += MAX_ARRAY_TASKS) {
    const chunk = launches.slice(from, from + MAX_ARRAY_TASKS);
    const commands = chunk.map((l) => experimentCommand(l.args, env));
    const job = await submitJobArray({
      commands,
      logDir: manifest.log_dir,
      jobName: `${manifest.experiment}-${manifest.job_arrays.length + 1}`,
      partition: settings.partition,
      time: settings.time,
      cpusPerTask: settings.cpus_per_task,
      maxParallel: settings.max_parallel,
      chdir: manifest.project,
      sbatchArgs: settings.sbatch_args,
    }, { env: slurmEnv });
    const at = new Date().toISOString();
    const entry = {
      job_id: job.jobId,
      tasks: job.tasks,
      script: job.script,
      submitted_at: at,
      settings,
    };
    manifest.job_arrays.push(entry);
    submitted.push(entry);
    chunk.forEach((l, task) =>
      record(manifest, l, {
        action: l.action,
        backend: "slurm",
        at,
        run_dir: l.runDir,
        args: l.args,
        command: commands[task],
        job_id: job.jobId,
        task,
      })
    );
    await writeManifest(path, manifest);
  }
  return submitted;
}

/** What {@linkcode runLaunchesLocally} tells as each run ends. */
export interface LocalProgress {
  /** Called when a run has exited, with its launch and exit status. */
  onEnd?: (launch: Launch, code: number, done: number, total: number) => void;
}

/**
 * Runs `launches` of the sweep whose manifest is `manifest` (file `path`) on this machine, `jobs`
 * at a time, each child with its share of the cores ({@linkcode sharedMachineEnv}) and its output
 * in `<log_dir>/<run>.<attempt>.out` and `.err`; records every attempt in the manifest as it
 * starts and ends. Resolves with each launch's exit status (null when a stop signal kept it from
 * starting) and the stop signal, if one came.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstLaunches, loadExperiment, planSweep, readManifest, runLaunchesLocally } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/train.txt`, "the cat sat on the mat\n".repeat(100));
 * const m = await planSweep({
 *   experiment: loadExperiment("ch05_simple_rnnlm").experiment,
 *   seeds: [1, 2],
 *   axes: [],
 *   fixed: { corpus_size: "500", hidden_size: "8", wordvec_size: "8", max_epoch: "2" },
 *   out: `${dir}/results`,
 *   data: { corpus: `${dir}/train.txt` },
 *   backend: "local",
 *   jobs: 2,
 * });
 * await Deno.mkdir(m.log_dir, { recursive: true });
 * const path = `${dir}/results/sweeps/${m.sweep_id}/manifest.json`;
 * const { codes } = await runLaunchesLocally(m, path, firstLaunches(m), 2);
 * assert.deepEqual(codes, [0, 0]);
 * const written = await readManifest(path);
 * assert.deepEqual(written.runs.map((r) => r.attempts[0].state), ["exited", "exited"]);
 * assert.ok((await Deno.stat(`${m.runs[1].run_dir}/run.json`)).isFile);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runLaunchesLocally(
  manifest: SweepManifest,
  path: string,
  launches: readonly Launch[],
  jobs: number,
  progress: LocalProgress = {},
): Promise<{ codes: (number | null)[]; stoppedBy: StopSignal | null }> {
  const env = sharedMachineEnv(jobs);
  const attempts = launches.map((l) => {
    const n = manifest.runs[l.index].attempts.length + 1;
    return record(manifest, l, {
      action: l.action,
      backend: "local",
      at: new Date().toISOString(),
      run_dir: l.runDir,
      args: l.args,
      command: experimentCommand(l.args, env),
      state: "queued",
      out: `${manifest.log_dir}/${l.index}.${n}.out`,
      err: `${manifest.log_dir}/${l.index}.${n}.err`,
    });
  });
  let writing: Promise<void> = writeManifest(path, manifest);
  const save = () => {
    writing = writing.then(() => writeManifest(path, manifest));
  };
  let done = 0;
  try {
    const outcome = await runLocally(
      attempts.map((a) => ({ args: a.args, env, out: a.out!, err: a.err! })),
      {
        jobs,
        cwd: manifest.project,
        onStart: (i) => {
          attempts[i].state = "running";
          attempts[i].at = new Date().toISOString();
          save();
        },
        onEnd: (i, code) => {
          attempts[i].state = "exited";
          attempts[i].exit_code = code;
          save();
          progress.onEnd?.(launches[i], code, ++done, launches.length);
        },
      },
    );
    return outcome;
  } finally {
    await writing;
  }
}

/** Adds `attempt` to its run in `manifest`; the run's directory becomes the attempt's. */
function record(manifest: SweepManifest, launch: Launch, attempt: SweepAttempt): SweepAttempt {
  const run = manifest.runs[launch.index];
  run.attempts.push(attempt);
  run.run_dir = attempt.run_dir;
  return attempt;
}

/** `PATH` with the running Deno's folder in front when no `deno` is on it; else nothing. */
function denoOnPath(env: Record<string, string> | undefined): Record<string, string> {
  const path = env?.PATH ?? Deno.env.get("PATH") ?? "";
  const found = path.split(delimiter).some((d) => {
    try {
      return d !== "" && Deno.statSync(`${d}/deno`).isFile;
    } catch {
      return false;
    }
  });
  return found ? {} : { PATH: [dirname(Deno.execPath()), path].filter((p) => p).join(delimiter) };
}
