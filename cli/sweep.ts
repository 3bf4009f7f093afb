/**
 * `deno task sweep`: many runs of one experiment (seeds times a grid of hyperparameters) on this
 * machine or on a Slurm cluster, with a manifest that says where each run is.
 *
 * ```
 * deno task sweep ch05_simple_rnnlm --seeds 1-5 --jobs 2            # here, two at a time
 * deno task sweep ch06_rnnlm --grid lr=10,20 hidden_size=100,200 --seeds 1-3 \
 *   --backend slurm --partition cpu --time 1:00:00 --cpus-per-task 2 --out /shared/results
 * deno task sweep status /shared/results/sweeps/<sweep>/manifest.json
 * deno task sweep resume /shared/results/sweeps/<sweep>/manifest.json
 * ```
 *
 * @module
 */

import { dirname } from "node:path";
import { UserError } from "../core/errors.ts";
import { flagName, givenHyperparameters, hyperparameterOptions } from "../experiments/define.ts";
import { listExperiments, loadExperiment } from "../experiments/mod.ts";
import { RunLock } from "../run/lock.ts";
import { parseGridAxis, sweepSize } from "../sweep/grid.ts";
import { submitLaunches } from "../sweep/launch.ts";
import { readManifest, sweepDir, writeManifest } from "../sweep/manifest.ts";
import { firstLaunches, type Launch, nextLaunches, planSweep } from "../sweep/plan.ts";
import { sweepStatus } from "../sweep/status.ts";
import { parseSeeds } from "./experiment.ts";
import { defaultIo, type Io, parseCliArgs, runCli, shownPath, userPath } from "./main.ts";
import { afterSubmit, makeSweepDir, runHere, undo } from "./sweep_launch.ts";
import {
  dataOptions,
  LAUNCH_OPTIONS,
  launchSettings,
  oneManifest,
  parseBackend,
  parseJobs,
  parseRunList,
  takeMultiOptions,
} from "./sweep_options.ts";
import {
  describeExpansion,
  phaseCounts,
  plannedTable,
  statusTable,
  summaryLines,
} from "./sweep_tables.ts";

const USAGE =
  "deno task sweep <experiment> [--seeds 1-5] [--grid key=v1,v2 ...] [--key value ...] " +
  "[--backend local|slurm] [--jobs N] [--out DIR] [slurm options] [--yes] [--dry-run] | " +
  "status <manifest> | resume <manifest>";
const STATUS_USAGE = "deno task sweep status <manifest> [--json]";
const RESUME_USAGE = "deno task sweep resume <manifest> [--runs 0,3-5] [--data-dir DIR] " +
  "[--backend local|slurm] [--jobs N] [slurm options] [--wait] [--dry-run] [--quiet]";

const HELP = `Usage:
  deno task sweep <experiment> [options]     expand, check, write the manifest, run or submit
  deno task sweep status <manifest>          each run: backend state, record status, epochs, perplexity
  deno task sweep resume <manifest>          resume interrupted and crashed runs, rerun failed ones

A sweep is one run of <experiment> per combination of its seeds and grid values. Every combination
is checked as 'deno task experiment' checks its options before anything starts; the manifest
(<out>/sweeps/<sweep>/manifest.json) names each run's command and where its record lands, an
ordinary run directory under <out>/<experiment>/, so 'runs', 'compare' and 'report' on <out> show
the sweep, its seeds pooled.

What to run:
  --seeds LIST          seeds, e.g. 1-5 or 1,3,7 (default: the experiment's seed)
  --grid K=V,V ...      grid axes, e.g. --grid lr=10,20 hidden_size=100,200 (keys in snake_case
                        or kebab-case; several axes after one --grid, or --grid repeated)
  --KEY VALUE           a hyperparameter every run is given, as for 'deno task experiment'
  --out DIR             the results root (default results); on a cluster, a folder every node sees
  --data-dir DIR        the PTB folder      --corpus PATH [--split a,b,c]   your own text instead
  --vocab-size N        keep the N most frequent training words, the rest <unk> (as for experiment)

Where:
  --backend local       (default) on this machine, --jobs N at a time (OpenBLAS threads divided)
  --backend slurm       one job array through sbatch; each task runs 'deno task experiment'
    --partition P  --time T  --cpus-per-task C  --jobs N (tasks at once)
    --sbatch-arg --name=value   any further sbatch option, repeatable (e.g. --sbatch-arg --mem=2G)
    --wait                      wait for the tasks to end and show their states

Others:
  --yes                 launch a sweep of more than 1000 runs
  --dry-run             show the runs and their commands; write and start nothing
  --quiet               print only the manifest's path
  status --json         the states as JSON
  resume --runs LIST    only these runs (by index, as status lists them)
  resume --data-dir D   PTB is now in D (the runs resumed or rerun read it there)
  -h, --help            show this help`;

const START_OPTIONS = {
  ...LAUNCH_OPTIONS,
  seeds: { type: "string" },
  seed: { type: "string" },
  out: { type: "string" },
  "data-dir": { type: "string" },
  "vocab-size": { type: "string" },
  corpus: { type: "string" },
  split: { type: "string" },
  yes: { type: "boolean" },
} as const;

/** More runs than this ask for `--yes`. */
const CONFIRM_ABOVE = 1000;

/**
 * Runs `deno task sweep` with `args`; returns the exit code. A {@linkcode UserError} is bad input
 * (the entry point prints it as one line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./sweep.ts";
 * const out: string[] = [];
 * const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
 * const args = ["ch05_simple_rnnlm", "--seeds", "1-2", "--grid", "lr=0.1,1", "--dry-run"];
 * assert.equal(await main(args, io), 0);
 * assert.match(out.join("\n"), /^4 runs of ch05_simple_rnnlm \(lr 0\.1,1 × seeds 1-2\)/m);
 * await assert.rejects(main(["ch05_simple_rnnlm", "--grid", "lr=0,1", "--dry-run"], io), {
 *   name: "UserError",
 *   message: /^--grid lr=0,1: lr=0 must be a number in \(0/,
 * });
 * ```
 */
export async function main(args: string[], io: Io = defaultIo): Promise<number> {
  const first = args[0];
  if (first === "status") return await status(args.slice(1), io);
  if (first === "resume") return await resume(args.slice(1), io);
  if (first === undefined || first === "-h" || first === "--help") {
    if (first === undefined) throw new UserError(`name an experiment to sweep; usage: ${USAGE}`);
    io.out(HELP);
    return 0;
  }
  if (first.startsWith("-")) {
    throw new UserError(
      `name the experiment first (${listExperiments().join(", ")}); usage: ${USAGE}`,
    );
  }
  return await start(first, args.slice(1), io);
}

// ---------------------------------------------------------------------------------------------
// deno task sweep <experiment> ...

async function start(name: string, rawArgs: string[], io: Io): Promise<number> {
  const { experiment } = loadExperiment(name);
  const { rest, grid, sbatchArgs } = takeMultiOptions(rawArgs);
  const hpOptions = hyperparameterOptions(experiment);
  let parsed;
  try {
    parsed = parseCliArgs({ args: rest, options: { ...START_OPTIONS, ...hpOptions } }, USAGE);
  } catch (e) {
    const m = e instanceof UserError ? /Unknown option '(--?[^']+)'/.exec(e.message) : null;
    if (!m) throw e;
    const valid = Object.keys(experiment.hyperparameters).map(flagName).join(", ");
    throw new UserError(
      `unknown option ${m[1]} for a sweep of ${experiment.name}; its hyperparameters: ${valid} ` +
        "(deno task sweep --help lists the sweep's own options)",
    );
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) {
    io.out(HELP);
    io.out(
      `\nhyperparameters of ${experiment.name}: ` +
        `${Object.keys(experiment.hyperparameters).map(flagName).join(", ")} ` +
        `(deno task experiment ${experiment.name} --help describes them)`,
    );
    return 0;
  }
  if (v.seed !== undefined) {
    throw new UserError("a sweep takes its seeds as --seeds (e.g. --seeds 1-5, or --seeds 7)");
  }
  const seeds = typeof v.seeds === "string" ? parseSeeds(v.seeds) : [experiment.seed];
  const axes = grid.map((g) => parseGridAxis(g, experiment));
  const fixed = givenHyperparameters(experiment, v);
  const backend = parseBackend(v.backend);
  const size = sweepSize(seeds, axes);
  const jobs = v.jobs === undefined ? undefined : parseJobs(v.jobs as string);
  const slurm = launchSettings(backend, v, sbatchArgs, jobs, undefined);
  const data = await dataOptions(v);
  const what = `${size} run${size === 1 ? "" : "s"} of ${experiment.name} (${
    describeExpansion(axes, seeds)
  })`;
  if (size > CONFIRM_ABOVE && !v.yes && !v["dry-run"]) {
    throw new UserError(
      `this sweep is ${what}, more than ${CONFIRM_ABOVE}; give --yes to launch them all ` +
        "(or --dry-run to see them first)",
    );
  }
  const manifest = await planSweep({
    experiment,
    seeds,
    axes,
    fixed,
    out: userPath(typeof v.out === "string" ? v.out : "results"),
    data,
    backend,
    jobs: backend === "local" ? Math.min(jobs ?? 1, size) : undefined,
    slurm,
  });
  if (v["dry-run"]) {
    io.out(`${what}; nothing is written or started (drop --dry-run to launch them)`);
    io.out(plannedTable(manifest));
    return 0;
  }

  const dir = sweepDir(manifest.out, manifest.sweep_id);
  const path = `${dir}/manifest.json`;
  const made = await makeSweepDir(manifest);
  using lock = RunLock.acquire(
    dir,
    backend === "local" ? "running the sweep" : "submitting the sweep",
  );
  const launches = firstLaunches(manifest);
  try {
    await writeManifest(path, manifest);
  } catch (e) {
    lock.release();
    await undo(made);
    throw e;
  }
  const say = v.quiet ? () => {} : io.out;
  if (backend === "local") {
    say(`sweep ${manifest.sweep_id}: ${what}, ${manifest.jobs} at a time on this machine`);
    say(`manifest: ${shownPath(path)}`);
    return await runHere(manifest, path, launches, manifest.jobs!, io, Boolean(v.quiet));
  }
  try {
    await submitLaunches(manifest, path, launches, slurm!);
  } catch (e) {
    if (manifest.job_arrays.length === 0) {
      lock.release();
      await undo(made);
    }
    throw e;
  }
  lock.release();
  return await afterSubmit(manifest, path, manifest.job_arrays, what, io, v);
}

// ---------------------------------------------------------------------------------------------
// deno task sweep status <manifest>

async function status(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCliArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  }, STATUS_USAGE);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const path = await oneManifest(positionals, STATUS_USAGE);
  const manifest = await readManifest(path);
  const st = await sweepStatus(manifest, dirname(path));
  for (const w of st.warnings) io.err(`warning: ${w}`);
  if (values.json) {
    io.out(JSON.stringify(
      {
        manifest: path,
        sweep_id: manifest.sweep_id,
        experiment: manifest.experiment,
        backend: manifest.backend,
        job_arrays: manifest.job_arrays.map((j) => j.job_id),
        counts: st.counts,
        driving: st.driving,
        runs: st.runs,
      },
      null,
      2,
    ));
    return 0;
  }
  const axes = Object.entries(manifest.grid).map(([key, values]) => ({ key, values }));
  const where = manifest.job_arrays.length > 0
    ? `on Slurm (job array${manifest.job_arrays.length === 1 ? "" : "s"} ${
      manifest.job_arrays.map((j) => j.job_id).join(", ")
    })`
    : "on this machine";
  io.out(
    `sweep ${manifest.sweep_id}: ${manifest.runs.length} runs of ${manifest.experiment} (${
      describeExpansion(axes, manifest.seeds)
    }) ${where}`,
  );
  io.out(statusTable(manifest, st));
  for (const line of summaryLines(manifest, st, path)) io.out(line);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// deno task sweep resume <manifest>

async function resume(rawArgs: string[], io: Io): Promise<number> {
  const { rest, sbatchArgs, grid } = takeMultiOptions(rawArgs);
  if (grid.length > 0) {
    throw new UserError("a resumed sweep keeps its grid; start another sweep for other values");
  }
  const { values, positionals } = parseCliArgs({
    args: rest,
    allowPositionals: true,
    options: { ...LAUNCH_OPTIONS, runs: { type: "string" }, "data-dir": { type: "string" } },
  }, RESUME_USAGE);
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  const path = await oneManifest(positionals, RESUME_USAGE);
  const manifest = await readManifest(path);
  const dir = dirname(path);
  const only = typeof v.runs === "string" ? parseRunList(v.runs) : undefined;
  if (typeof v["data-dir"] === "string") {
    // PTB moved (another node's mount, a copy nearer the nodes): the runs read it from there.
    if (manifest.data.corpus) {
      throw new UserError("--data-dir is PTB's folder; this sweep reads a --corpus of its own");
    }
    manifest.data = { ...manifest.data, ...(await dataOptions({ "data-dir": v["data-dir"] })) };
  }
  const backend = v.backend === undefined ? manifest.backend : parseBackend(v.backend);
  const jobs = v.jobs === undefined ? undefined : parseJobs(v.jobs as string);
  const settings = launchSettings(
    backend,
    v,
    sbatchArgs,
    jobs,
    manifest.slurm ?? manifest.job_arrays.at(-1)?.settings,
  );
  const say = v.quiet ? () => {} : io.out;

  if (v["dry-run"]) {
    const st = await sweepStatus(manifest, dir, { strict: true });
    const launches = nextLaunches(manifest, st, only);
    io.out(
      `${launches.length} of ${manifest.runs.length} runs would be launched on ${backend}; nothing is written or started`,
    );
    for (const l of launches) io.out(`  run ${l.index} ${l.action}: ${l.args.join(" ")}`);
    return 0;
  }
  using lock = RunLock.acquire(dir, "resuming the sweep");
  const st = await sweepStatus(manifest, dir, { driving: false, strict: true });
  const launches = nextLaunches(manifest, st, only);
  if (launches.length === 0) {
    say(`nothing to resume: ${phaseCounts(st)}`);
    io.out(shownPath(path));
    return 0;
  }
  // Named as status names them: a run that failed is rerun, one never started is started.
  const phase = new Map(st.runs.map((r) => [r.index, r.phase]));
  const n = (test: (l: Launch) => boolean) => launches.filter(test).length;
  const resumed = n((l) => l.action === "resume");
  const rerun = n((l) => phase.get(l.index) === "failed");
  const started = launches.length - resumed - rerun;
  const what = [
    resumed && `resuming ${resumed}`,
    rerun && `rerunning ${rerun}`,
    started && `starting ${started}`,
  ].filter(Boolean).join(", ");
  if (backend === "local") {
    const j = Math.min(jobs ?? manifest.jobs ?? 1, launches.length);
    say(
      `sweep ${manifest.sweep_id}: ${what} of ${manifest.runs.length} runs, ${j} at a time on this machine`,
    );
    return await runHere(manifest, path, launches, j, io, Boolean(v.quiet));
  }
  const before = manifest.job_arrays.length;
  await submitLaunches(manifest, path, launches, settings!);
  lock.release();
  return await afterSubmit(
    manifest,
    path,
    manifest.job_arrays.slice(before),
    `${what} of ${manifest.runs.length} runs`,
    io,
    v,
  );
}

if (import.meta.main) await runCli(() => main(Deno.args));
