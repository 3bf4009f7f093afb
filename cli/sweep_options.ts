/**
 * The options of `deno task sweep` that a start and a resume share: the launch (backend, jobs,
 * Slurm's settings), the data, the words `--grid` and `--sbatch-arg` gather, run lists.
 *
 * @module
 */

import { dirname } from "node:path";
import { UserError } from "../core/errors.ts";
import type { SweepData } from "../sweep/commands.ts";
import { manifestFile, type SlurmSettings, type SweepBackend } from "../sweep/manifest.ts";
import { jobArrayScript } from "../sweep/slurm_script.ts";
import { corpusOption, parseVocabSize } from "./experiment.ts";
import { userPath } from "./main.ts";

/** Options every form shares, and those of a launch (start or resume). */
export const LAUNCH_OPTIONS = {
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

/**
 * Takes the options that gather several words out of `args`: `--grid` (every `key=values` word
 * after it) and `--sbatch-arg` (the next word, which itself starts with `--`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { takeMultiOptions } from "./sweep_options.ts";
 * const args = ["--grid", "lr=10,20", "hidden_size=100", "--sbatch-arg", "--mem=2G", "--jobs", "2"];
 * assert.deepEqual(takeMultiOptions(args), {
 *   rest: ["--jobs", "2"],
 *   grid: ["lr=10,20", "hidden_size=100"],
 *   sbatchArgs: ["--mem=2G"],
 * });
 * ```
 */
export function takeMultiOptions(
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

/** `--backend`: local (the default) or slurm. */
export function parseBackend(raw: unknown): SweepBackend {
  if (raw === undefined || raw === "local") return "local";
  if (raw === "slurm") return "slurm";
  throw new UserError(`--backend ${raw}: choose local (this machine) or slurm (a cluster)`);
}

/** `--jobs N`: how many runs at a time, at least 1. */
export function parseJobs(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new UserError(`--jobs ${raw}: must be an integer >= 1 (runs at a time)`);
  }
  return Number(raw);
}

/** Slurm's time formats: minutes, m:s, h:m:s, d-h, d-h:m, d-h:m:s, or no limit. */
export const SLURM_TIME = /^(\d+(:\d{1,2}){0,2}|\d+-\d+(:\d{1,2}){0,2}|UNLIMITED|INFINITE)$/i;

/**
 * The Slurm settings of a launch on `backend` (undefined for local, which refuses Slurm's
 * options), on top of `base` (a resumed sweep's); each checked as sbatch would read it.
 */
export function launchSettings(
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
export async function dataOptions(
  v: Record<string, string | boolean | undefined>,
): Promise<SweepData> {
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
      // Checked as experiment checks it, so that a folder without train.txt or a bad --split is
      // refused before the sweep, not in every one of its runs.
      const split = typeof v.split === "string" ? v.split : undefined;
      const corpus = await corpusOption(v.corpus, split);
      data.corpus = "path" in corpus ? corpus.path : dirname(corpus.train);
    }
  }
  if (typeof v["vocab-size"] === "string") {
    data.vocab_size = String(parseVocabSize(v["vocab-size"])); // checked as experiment checks it
  }
  if (typeof v.split === "string") {
    if (!data.corpus || data.corpus === "ptb" || data.corpus === "soseki") {
      throw new UserError("--split cuts a --corpus file; give --corpus FILE with it");
    }
    data.split = v.split;
  }
  return data;
}

/**
 * `--runs 0,3-5` as run indices.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRunList } from "./sweep_options.ts";
 * assert.deepEqual([...parseRunList("0,3-5")], [0, 3, 4, 5]);
 * assert.throws(() => parseRunList("5-3"), /give run indices as status lists them/);
 * ```
 */
export function parseRunList(raw: string): Set<number> {
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

/** The one manifest a `status` or `resume` names (the file, or the sweep folder that holds it). */
export async function oneManifest(positionals: string[], usage: string): Promise<string> {
  if (positionals.length !== 1) {
    throw new UserError(`give one sweep manifest (or its folder); usage: ${usage}`);
  }
  return await manifestFile(userPath(positionals[0]));
}
