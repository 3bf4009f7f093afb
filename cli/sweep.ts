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
import { writeError } from "../core/files.ts";
import { flagName } from "../experiments/define.ts";
import { listExperiments, loadExperiment } from "../experiments/mod.ts";
import { RunLock } from "../run/lock.ts";
import { stopExitCode } from "../run/stop.ts";
import type { SweepData } from "../sweep/commands.ts";
import { type GridAxis, parseGridAxis, sweepSize } from "../sweep/grid.ts";
import { runLaunchesLocally, submitLaunches } from "../sweep/launch.ts";
import {
  manifestFile,
  readManifest,
  type SlurmSettings,
  type SweepBackend,
  sweepDir,
  type SweepManifest,
  writeManifest,
} from "../sweep/manifest.ts";
import { firstLaunches, type Launch, nextLaunches, planSweep } from "../sweep/plan.ts";
import { jobArrayScript } from "../sweep/slurm_script.ts";
import { waitForJobArray } from "../sweep/slurm.ts";
import { isFinished } from "../sweep/slurm_states.ts";
import { type RunState, type SweepPhase, type SweepStatus, sweepStatus } from "../sweep/status.ts";
import { parseSeeds } from "./experiment.ts";
import { defaultIo, type Io, parseCliArgs, runCli, shownPath, userPath } from "./main.ts";

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

/** Options every form shares, and those of a launch (start or resume). */
const LAUNCH_OPTIONS = {
  help: { type: "boolean", short: "h" },
  quiet: { type: "boolean" },
  backend: { type: "string" },
  jobs: { type: "string" },
  partition: { type: "string" },
  time: { type: "string" },
  "cpus-per-task": { type: "string" },
  wait: { type: "boolean" },
  "dry-run": { type: "boolean" },
} as const;

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
  const hpOptions = Object.fromEntries(
    Object.keys(experiment.hyperparameters).map((k) => [
      flagName(k).slice(2),
      { type: "string" as const },
    ]),
  );
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
  const fixed: Record<string, string> = {};
  for (const k of Object.keys(experiment.hyperparameters)) {
    const value = v[flagName(k).slice(2)];
    if (typeof value === "string") fixed[k] = value;
  }
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

/**
 * Takes the options that gather several words out of `args`: `--grid` (every `key=values` word
 * after it) and `--sbatch-arg` (the next word, which itself starts with `--`).
 */
function takeMultiOptions(
  args: string[],
): { rest: string[]; grid: string[]; sbatchArgs: string[] } {
  const rest: string[] = [], grid: string[] = [], sbatchArgs: string[] = [];
  const axis = /^[A-Za-z][\w-]*=/;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--grid" || a.startsWith("--grid=")) {
      if (a !== "--grid") grid.push(a.slice("--grid=".length));
      const before = grid.length;
      while (i + 1 < args.length && axis.test(args[i + 1])) grid.push(args[++i]);
      if (a === "--grid" && grid.length === before) {
        throw new UserError(
          "--grid needs axes after it, e.g. --grid lr=10,20 hidden_size=100,200",
        );
      }
    } else if (a === "--sbatch-arg" || a.startsWith("--sbatch-arg=")) {
      const value = a === "--sbatch-arg" ? args[++i] : a.slice("--sbatch-arg=".length);
      if (value === undefined || value === "") {
        throw new UserError(
          "--sbatch-arg needs an sbatch option after it, e.g. --sbatch-arg --mem=2G",
        );
      }
      sbatchArgs.push(value);
    } else rest.push(a);
  }
  return { rest, grid, sbatchArgs };
}

function parseBackend(raw: unknown): SweepBackend {
  if (raw === undefined || raw === "local") return "local";
  if (raw === "slurm") return "slurm";
  throw new UserError(`--backend ${raw}: choose local (this machine) or slurm (a cluster)`);
}

function parseJobs(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new UserError(`--jobs ${raw}: must be an integer >= 1 (runs at a time)`);
  }
  return Number(raw);
}

/** Slurm's time formats: minutes, m:s, h:m:s, d-h, d-h:m, d-h:m:s, or no limit. */
const SLURM_TIME = /^(\d+(:\d{1,2}){0,2}|\d+-\d+(:\d{1,2}){0,2}|UNLIMITED|INFINITE)$/i;

/**
 * The Slurm settings of a launch on `backend` (undefined for local, which refuses Slurm's
 * options), on top of `base` (a resumed sweep's); each checked as sbatch would read it.
 */
function launchSettings(
  backend: SweepBackend,
  v: Record<string, string | boolean | undefined>,
  sbatchArgs: string[],
  jobs: number | undefined,
  base: SlurmSettings | undefined,
): SlurmSettings | undefined {
  const given = ["partition", "time", "cpus-per-task", "wait"].filter((k) => v[k] !== undefined);
  if (sbatchArgs.length > 0) given.push("sbatch-arg");
  if (backend === "local") {
    if (given.length > 0) {
      throw new UserError(
        `--${given[0]} goes with --backend slurm; a local sweep runs here, in the foreground`,
      );
    }
    return undefined;
  }
  const s: SlurmSettings = { ...(base ?? {}), sbatch_args: [...(base?.sbatch_args ?? [])] };
  if (typeof v.partition === "string") s.partition = v.partition;
  if (typeof v.time === "string") {
    if (!SLURM_TIME.test(v.time)) {
      throw new UserError(
        `--time ${v.time}: write it as Slurm does: minutes (90), h:m:s (4:00:00) or d-h (1-12)`,
      );
    }
    s.time = v.time;
  }
  if (typeof v["cpus-per-task"] === "string") {
    const c = v["cpus-per-task"];
    if (!/^\d+$/.test(c) || Number(c) < 1) {
      throw new UserError(`--cpus-per-task ${c}: must be an integer >= 1`);
    }
    s.cpus_per_task = Number(c);
  }
  if (jobs !== undefined) s.max_parallel = jobs;
  if (sbatchArgs.length > 0) s.sbatch_args = sbatchArgs;
  // What sbatch could not read is refused now, before anything is written.
  jobArrayScript({
    commands: ["true"],
    logDir: "/",
    partition: s.partition,
    time: s.time,
    cpusPerTask: s.cpus_per_task,
    maxParallel: s.max_parallel,
    sbatchArgs: s.sbatch_args,
  });
  return s;
}

/** `--data-dir`, `--corpus`, `--split` and `--vocab-size`, checked, paths made absolute. */
async function dataOptions(v: Record<string, string | boolean | undefined>): Promise<SweepData> {
  const data: SweepData = {};
  if (typeof v["data-dir"] === "string") {
    const dir = userPath(v["data-dir"]);
    if (!(await Deno.stat(dir).catch(() => null))?.isDirectory) {
      throw new UserError(`--data-dir ${dir} is not a folder; give the folder of ptb.train.txt`);
    }
    data.data_dir = dir;
  }
  if (typeof v.corpus === "string") {
    if (data.data_dir) {
      throw new UserError("give --data-dir (PTB) or --corpus (your text), not both");
    }
    if (v.corpus === "ptb" || v.corpus === "soseki") data.corpus = v.corpus; // built in
    else {
      const path = userPath(v.corpus);
      if (!(await Deno.stat(path).catch(() => null))) {
        throw new UserError(
          `--corpus ${path} does not exist; give a text file or a folder with train.txt`,
        );
      }
      data.corpus = path;
    }
  }
  if (typeof v["vocab-size"] === "string") {
    if (!/^\d+$/.test(v["vocab-size"]) || v["vocab-size"] === "1") {
      throw new UserError(
        `--vocab-size ${
          v["vocab-size"]
        }: give the number of words to keep, an integer >= 2 (0 keeps every training word)`,
      );
    }
    data.vocab_size = v["vocab-size"];
  }
  if (typeof v.split === "string") {
    if (!data.corpus || data.corpus === "ptb" || data.corpus === "soseki") {
      throw new UserError("--split cuts a --corpus file; give --corpus FILE with it");
    }
    data.split = v.split;
  }
  return data;
}

/** "lr 10,20 × hidden_size 100,200 × seeds 1-3". */
function describeExpansion(axes: readonly GridAxis[], seeds: readonly number[]): string {
  return [...axes.map((a) => `${a.key} ${a.values.join(",")}`), `seeds ${seedRanges(seeds)}`]
    .join(" × ");
}

/** Seeds as ranges: [1, 2, 3, 7] → "1-3,7". */
function seedRanges(seeds: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < seeds.length;) {
    let j = i;
    while (j + 1 < seeds.length && seeds[j + 1] === seeds[j] + 1) j++;
    parts.push(j === i ? `${seeds[i]}` : `${seeds[i]}-${seeds[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** Creates `<out>/sweeps/<sweep>/logs`; returns the folders it made, deepest first. */
async function makeSweepDir(manifest: SweepManifest): Promise<string[]> {
  const dir = sweepDir(manifest.out, manifest.sweep_id);
  const made: string[] = [];
  for (const d of [manifest.out, dirname(dir)]) {
    if (await Deno.stat(d).catch(() => null)) continue;
    try {
      await Deno.mkdir(d, { recursive: true });
    } catch (e) {
      throw writeError(d, e, "point --out at a folder you can write to");
    }
    made.unshift(d);
  }
  try {
    await Deno.mkdir(dir);
    made.unshift(dir);
    await Deno.mkdir(manifest.log_dir);
  } catch (e) {
    await undo(made);
    throw writeError(dir, e, "point --out at a folder you can write to");
  }
  return made;
}

/** Removes the folders a refused launch made (deepest first; the outer ones only when empty). */
async function undo(made: string[]): Promise<void> {
  for (const [i, d] of made.entries()) {
    await Deno.remove(d, { recursive: i === 0 }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Running and waiting

/** Runs `launches` here and reports how they ended; the exit code. */
async function runHere(
  manifest: SweepManifest,
  path: string,
  launches: Launch[],
  jobs: number,
  io: Io,
  quiet: boolean,
): Promise<number> {
  const say = quiet ? () => {} : io.out;
  const { stoppedBy } = await runLaunchesLocally(manifest, path, launches, jobs, {
    onEnd: (l, code, done, total) => {
      const run = manifest.runs[l.index];
      const how = code === 0
        ? "completed"
        : code === 3
        ? "diverged"
        : code === 130 || code === 143 || code === 129
        ? "interrupted"
        : null;
      const where = how
        ? shownPath(l.runDir)
        : `failed (exit ${code}; see ${shownPath(run.attempts.at(-1)!.err!)})`;
      say(`[${done}/${total}] run ${l.index} (${runLabel(run)}): ${how ? `${how}, ` : ""}${where}`);
    },
  });
  const st = await sweepStatus(manifest, dirname(path), { driving: false });
  if (!quiet) { for (const line of summaryLines(manifest, st, path)) io.out(line); }
  io.out(shownPath(path));
  if (stoppedBy) return stopExitCode(stoppedBy);
  return st.runs.every((r) => r.phase === "completed") ? 0 : 1;
}

/** What to say after a submission, and the wait when asked for; the exit code. */
async function afterSubmit(
  manifest: SweepManifest,
  path: string,
  jobs: SweepManifest["job_arrays"],
  what: string,
  io: Io,
  v: Record<string, string | boolean | undefined>,
): Promise<number> {
  const say = v.quiet ? () => {} : io.out;
  const ids = jobs.map((j) => j.job_id).join(", ");
  say(
    `sweep ${manifest.sweep_id}: ${what} submitted to Slurm as job array${
      jobs.length === 1 ? "" : "s"
    } ${ids}`,
  );
  say(`manifest: ${shownPath(path)}`);
  if (!v.wait) {
    say(`follow it with: deno task sweep status ${shownPath(path)}`);
    io.out(shownPath(path));
    return 0;
  }
  for (const job of jobs) {
    let last = "";
    await waitForJobArray(
      { jobId: job.job_id, tasks: job.tasks, logDir: manifest.log_dir, script: job.script },
      {
        timeoutMs: Infinity,
        onPoll: (states) => {
          const counts = new Map<string, number>();
          for (const s of states) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
          const line = [...counts].map(([s, n]) => `${n} ${s}`).join(", ");
          if (line !== last && states.some((s) => !isFinished(s.state))) {
            say(`job ${job.job_id}: ${line}`);
          }
          last = line;
        },
      },
    );
  }
  const st = await sweepStatus(manifest, dirname(path));
  if (!v.quiet) {
    io.out(statusTable(manifest, st));
    for (const line of summaryLines(manifest, st, path)) io.out(line);
  }
  io.out(shownPath(path));
  return st.runs.every((r) => r.phase === "completed") ? 0 : 1;
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

async function oneManifest(positionals: string[], usage: string): Promise<string> {
  if (positionals.length !== 1) {
    throw new UserError(`give one sweep manifest (or its folder); usage: ${usage}`);
  }
  return await manifestFile(userPath(positionals[0]));
}

/** The status of every run, one line each, aligned. */
function statusTable(manifest: SweepManifest, st: SweepStatus): string {
  const keys = Object.keys(manifest.grid);
  const backends = new Set(
    manifest.runs.map((r) => r.attempts.at(-1)?.backend ?? manifest.backend),
  );
  const backend = backends.size === 1 ? [...backends][0] : "backend";
  const fmt = (x: number | null, digits = 2) =>
    x === null || !Number.isFinite(x) ? "-" : x.toFixed(digits);
  const rows = st.runs.map((r: RunState) => [
    String(r.index),
    String(r.seed),
    ...keys.map((k) => r.grid[k] ?? "-"),
    r.backend,
    r.record ?? "-",
    r.epochs === null ? "-" : `${r.epochs}/${r.max_epoch ?? "?"}`,
    fmt(r.train_ppl),
    fmt(r.test_ppl),
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
  return table(headers, rows, right);
}

/** An aligned table: `right` holds the columns aligned to the right. */
function table(headers: string[], rows: string[][], right: Set<number>): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells.map((x, c) =>
      c === cells.length - 1 ? x : right.has(c) ? x.padStart(widths[c]) : x.padEnd(widths[c])
    ).join("  ");
  return [line(headers), ...rows.map(line)].join("\n");
}

/** "seed 2, lr=0.1". */
function runLabel(r: { seed: number; grid: Record<string, string> }): string {
  return [`seed ${r.seed}`, ...Object.entries(r.grid).map(([k, v]) => `${k}=${v}`)].join(", ");
}

const PHASE_ORDER: SweepPhase[] = [
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

/** The counts, then each run `resume` would take up with why, then the command that does. */
function summaryLines(manifest: SweepManifest, st: SweepStatus, path: string): string[] {
  const counts = PHASE_ORDER.filter((p) => st.counts[p]).map((p) => `${st.counts[p]} ${p}`);
  const lines = [`${st.runs.length} runs: ${counts.join(", ")}`];
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
function plannedTable(manifest: SweepManifest): string {
  const keys = Object.keys(manifest.grid);
  const rows = manifest.runs.map((r) => [
    String(r.index),
    String(r.seed),
    ...keys.map((k) => r.grid[k]),
    r.command,
  ]);
  return table(["run", "seed", ...keys, "command"], rows, new Set([0, 1]));
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
    const counts = PHASE_ORDER.filter((p) => st.counts[p]).map((p) => `${st.counts[p]} ${p}`);
    say(`nothing to resume: ${counts.join(", ")}`);
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

/** `--runs 0,3-5` as run indices. */
function parseRunList(raw: string): Set<number> {
  const out = new Set<number>();
  for (const part of raw.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) {
      throw new UserError(`--runs ${raw}: give run indices as status lists them, e.g. 0,3-5`);
    }
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) out.add(i);
  }
  return out;
}

if (import.meta.main) await runCli(() => main(Deno.args));
