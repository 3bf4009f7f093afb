/**
 * `deno task experiment [name] [--key value ...]`: runs an experiment and writes its run record.
 *
 * ```
 * deno task experiment                          # ch05_simple_rnnlm with the book's settings
 * deno task experiment ch06_rnnlm --max-epoch 1 --seed 7
 * deno task experiment ch05_simple_rnnlm --help # hyperparameters, defaults, reference figure
 * deno task experiment --resume results/ch06_better_rnnlm/<run-id>
 * deno task experiment --list
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UserError } from "../core/errors.ts";
import {
  type AnyExperiment,
  describeRange,
  flagName,
  givenHyperparameters,
  hyperparameterOptions,
  resolveHyperparameters,
} from "../experiments/define.ts";
import { DEFAULT_EXPERIMENT, findExperiment, listExperiments } from "../experiments/mod.ts";
import { checkRunId, readMetrics, readRunRecord, type RunRecord } from "../run/record.ts";
import { sharedMachineEnv } from "../sweep/threads.ts";
import { resumeRun, type RunOutcome, startRun } from "../run/run.ts";
import { resumeNgramRun, startNgramRun } from "../run/ngram_run.ts";
import type { DataSource } from "../run/data.ts";
import type { TextCorpusOptions } from "../data/corpus.ts";
import { writeCurveSvg } from "../views/plot_svg.ts";
import { estimateRunMemory, formatBytes } from "../run/memory.ts";
import {
  argError,
  joinNegativeValues,
  parseSeed,
  refuseRepeats,
  runCli,
  shownPath,
  userPath,
} from "./main.ts";

const USAGE =
  "deno task experiment [name] [--key value ...] [--seed N | --seeds 1-10 [--jobs N]] [--out DIR] [--run-id ID] [--data-dir DIR] [--corpus PATH] [--vocab-size N] [--quiet] | --resume RUN_DIR | --list";

const COMMON = {
  help: { type: "boolean", short: "h" },
  quiet: { type: "boolean" },
  out: { type: "string" },
  "data-dir": { type: "string" },
  corpus: { type: "string" },
  split: { type: "string" },
  "vocab-size": { type: "string" },
  seed: { type: "string" },
  seeds: { type: "string" },
  jobs: { type: "string" },
  resume: { type: "string" },
  list: { type: "boolean" },
  "run-id": { type: "string" },
} as const;

/** The `--help` text of one experiment. */
export function experimentHelp(e: AnyExperiment): string {
  const hp = resolveHyperparameters(e, {});
  const spec = e.data(hp);
  const vocab = spec.trainTokens === undefined ? spec.vocabSize ?? 10000 : 418;
  const corpusName = spec.corpus === "ptb" ? "PTB" : "the Soseki corpus";
  const memory = e.kind === "ngram"
    ? null
    : formatBytes(estimateRunMemory(e, hp, e.plan(hp), vocab).total);
  const rows = Object.entries(e.hyperparameters).map(([k, s]) =>
    `  ${flagName(k).padEnd(16)} ${String(s.default).padEnd(8)} ${describeRange(s)}; ${s.help}`
  );
  const ref = e.reference
    ? `reference: ${e.reference.metric} in [${e.reference.band.join(", ")}] (${e.reference.source})`
    : "reference: none";
  return [
    `${e.name}: ${e.title}`,
    "",
    `usage: deno task experiment ${e.name} [--key value ...]`,
    "",
    "hyperparameters (flag, default, allowed values):",
    `  ${"--seed".padEnd(16)} ${String(e.seed).padEnd(8)} an integer; seeds every random choice`,
    `  ${"--seeds".padEnd(16)} ${
      "".padEnd(8)
    } a seed group instead, e.g. 1-10 or 1,3,7: one run per seed`,
    `  ${"--jobs".padEnd(16)} ${
      "1".padEnd(8)
    } with --seeds: runs at a time (OpenBLAS threads split between them)`,
    ...rows,
    "",
    "other options:",
    "  --out DIR        results root (default results)",
    "  --run-id ID      the run directory's name (default: the UTC time and a random suffix)",
    spec.corpus === "ptb"
      ? "  --data-dir DIR   PTB folder (else PTB_DIR, else the data/ptb cache, downloaded when missing)"
      : "  --data-dir DIR   the Aozora texts (else AOZORA_DIR, else the data/aozora cache, downloaded\n" +
        "                   when missing); segmented by MeCab at the start of the run",
    "  --corpus PATH    train on your own text instead: a folder with train.txt (valid.txt, test.txt)",
    "                   or one file cut by --split (default 0.8,0.1,0.1); words split by white space;",
    "                   or a built-in corpus by name: ptb, soseki (a path of that name: ./soseki)",
    `  --vocab-size N   keep the N most frequent training words (<unk> among them), the rest <unk>;`,
    `                   0 keeps every word (default ${
      spec.vocabSize ?? 0
    }); ties go to the word seen first`,
    "  --quiet          print only the run directory",
    ref,
    memory === null
      ? "counts in seconds; no epochs, no checkpoints, and every seed gives the same numbers"
      : `memory: about ${memory} with these defaults on ${corpusName} (a vocabulary of ${vocab} words); ` +
        "larger sizes are refused when they need more than the machine has",
  ].join("\n");
}

/**
 * `--corpus PATH [--split a,b,c]` as {@linkcode TextCorpusOptions}, the path made absolute; a
 * path that does not exist, a folder without `train.txt` or a bad `--split` is a `UserError`.
 */
export async function corpusOption(
  path: string,
  split: string | undefined,
): Promise<TextCorpusOptions> {
  let info: Deno.FileInfo;
  try {
    path = await Deno.realPath(userPath(path)); // recorded absolute, so --resume works from anywhere
    info = await Deno.stat(path);
  } catch {
    throw new UserError(
      `--corpus ${path} does not exist; give a text file or a folder with train.txt`,
    );
  }
  if (info.isDirectory) {
    if (split !== undefined) throw new UserError("--split goes with a single --corpus file");
    const has = async (f: string) => (await Deno.stat(`${path}/${f}`).catch(() => null))?.isFile;
    if (!(await has("train.txt"))) {
      throw new UserError(
        `--corpus ${path} has no train.txt; put train.txt (valid.txt, test.txt) there`,
      );
    }
    return {
      train: `${path}/train.txt`,
      valid: (await has("valid.txt")) ? `${path}/valid.txt` : undefined,
      test: (await has("test.txt")) ? `${path}/test.txt` : undefined,
    };
  }
  const parts = (split ?? "0.8,0.1,0.1").split(",").map(Number);
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p))) {
    throw new UserError(`--split ${split}: give three fractions like 0.8,0.1,0.1`);
  }
  return { path, split: parts as [number, number, number] };
}

/** Entry point; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const name = args[0] && !args[0].startsWith("-") ? args[0] : null;
  const rest = joinNegativeValues(name ? args.slice(1) : args);

  // First pass: the options every experiment shares (unknown ones are hyperparameters).
  const first = parseArgs({ args: rest, options: COMMON, strict: false, allowPositionals: true });
  if (first.values.list) {
    console.log(listExperiments().join("\n"));
    return 0;
  }
  if (first.values.help && !name) {
    console.log(`usage: ${USAGE}\nexperiments: ${listExperiments().join(", ")}`);
    return 0;
  }
  if (typeof first.values.resume === "string") {
    // A resumed run keeps its recorded settings: only these options make sense.
    const resumeUsage = "deno task experiment --resume RUN_DIR [--quiet] [--data-dir DIR]";
    let tokens;
    try {
      ({ tokens } = parseArgs({
        args: rest,
        options: COMMON,
        strict: true,
        allowPositionals: false,
        tokens: true,
      }));
    } catch (e) {
      throw argError(e, resumeUsage);
    }
    refuseRepeats(tokens);
    const extra = ["seed", "seeds", "jobs", "out", "corpus", "split", "vocab-size", "run-id"]
      .filter((k) => k in first.values);
    if (name || extra.length > 0) {
      throw new UserError(
        "--resume takes only a run directory; the run keeps its recorded settings",
      );
    }
    const dir = userPath(first.values.resume.replace(/\/+$/, ""));
    const dataDir = first.values["data-dir"];
    const options = {
      quiet: Boolean(first.values.quiet),
      dataDir: typeof dataDir === "string" ? userPath(dataDir) : undefined,
    };
    const ngram = findExperiment((await readRunRecord(dir)).experiment).experiment.kind === "ngram";
    const out = ngram ? await resumeNgramRun(dir, options) : await resumeRun(dir, options);
    return await finish(out);
  }

  const { experiment } = findExperiment(name ?? DEFAULT_EXPERIMENT);
  const hpOptions = hyperparameterOptions(experiment);
  let values: Record<string, string | boolean | undefined>;
  let tokens;
  try {
    ({ values, tokens } = parseArgs({
      args: rest,
      options: { ...COMMON, ...hpOptions },
      strict: true,
      allowPositionals: false,
      tokens: true,
    }));
  } catch (e) {
    const m = e instanceof Error ? /'(--?[^']+)'/.exec(e.message) : null;
    if (m && /Unknown option/.test((e as Error).message)) {
      const valid = ["--seed", ...Object.keys(experiment.hyperparameters).map(flagName)];
      throw new UserError(
        `unknown option ${m[1]} for ${experiment.name}; valid keys: ${valid.join(", ")}`,
      );
    }
    throw argError(e, USAGE);
  }
  refuseRepeats(tokens);
  if (values.help) {
    console.log(experimentHelp(experiment));
    return 0;
  }
  if (values.split !== undefined && values.corpus === undefined) {
    throw new UserError(
      "--split cuts a --corpus file; give --corpus FILE with it, or drop --split",
    );
  }
  const raw = givenHyperparameters(experiment, values);
  const hp = resolveHyperparameters(experiment, raw);
  const overrides = Object.fromEntries(Object.keys(raw).map((k) => [k, hp[k]]));
  if (values.seeds !== undefined && values.seed !== undefined) {
    throw new UserError("give --seed N for one run or --seeds for a group, not both");
  }
  if (values.jobs !== undefined && values.seeds === undefined) {
    throw new UserError("--jobs goes with --seeds (how many runs of the group at a time)");
  }
  const runId = values["run-id"] as string | undefined;
  if (runId !== undefined && values.seeds !== undefined) {
    throw new UserError("--run-id names one run; give it with --seed N, not --seeds");
  }
  if (runId !== undefined) checkRunId(runId);
  const outRoot = typeof values.out === "string" ? userPath(values.out) : "results";
  const dataDir = typeof values["data-dir"] === "string" ? userPath(values["data-dir"]) : undefined;
  const named = values.corpus === "ptb" || values.corpus === "soseki" ? values.corpus : undefined;
  if (named && values.split !== undefined) {
    throw new UserError(`--split cuts a --corpus file; the ${named} corpus has its own split`);
  }
  const corpus = typeof values.corpus === "string" && !named
    ? await corpusOption(values.corpus, values.split as string | undefined)
    : undefined;
  const vocabSize = typeof values["vocab-size"] === "string"
    ? parseVocabSize(values["vocab-size"])
    : undefined;
  const data: DataSource = { dataDir, corpus, vocabSize, ...(named ? { named } : {}) };
  if (experiment.kind === "ngram") {
    if (values.seeds !== undefined) {
      throw new UserError(
        `${experiment.name} draws nothing at random: every seed gives the same numbers; drop --seeds`,
      );
    }
    return await finish(
      await startNgramRun({
        experiment,
        hyperparameters: hp,
        overrides,
        seed: typeof values.seed === "string" ? parseSeed(values.seed) : experiment.seed,
        out: outRoot,
        runId,
        quiet: Boolean(values.quiet),
        data,
      }),
    );
  }
  if (typeof values.seeds === "string") {
    const seeds = parseSeeds(values.seeds);
    const jobs = values.jobs === undefined ? 1 : parseJobs(values.jobs as string, seeds.length);
    return await runGroup(experiment.name, seeds, jobs, {
      raw,
      out: outRoot,
      dataDir,
      corpus: named ??
        (typeof values.corpus === "string"
          ? (await Deno.realPath(userPath(values.corpus)))
          : undefined),
      split: values.split as string | undefined,
      vocabSize,
      quiet: Boolean(values.quiet),
      run: (seed) =>
        startRun({
          experiment,
          hyperparameters: hp,
          overrides,
          seed,
          out: outRoot,
          quiet: Boolean(values.quiet),
          data,
        }),
    });
  }
  const seed = typeof values.seed === "string" ? parseSeed(values.seed) : experiment.seed;
  const out = await startRun({
    experiment,
    hyperparameters: hp,
    overrides,
    seed,
    out: outRoot,
    runId,
    quiet: Boolean(values.quiet),
    data,
  });
  return await finish(out);
}

/** What {@linkcode runGroup} needs to run one seed here or in a child process. */
interface GroupOptions {
  /** The hyperparameters given, by snake_case key, as typed. */
  raw: Record<string, string>;
  out: string;
  dataDir?: string;
  /** The corpus path, absolute, or a built-in corpus's name. */
  corpus?: string;
  split?: string;
  vocabSize?: number;
  quiet: boolean;
  /** Runs one seed in this process. */
  run: (seed: number) => Promise<RunOutcome>;
}

/**
 * Runs a seed group: one run per seed, one after another in this process, or `jobs` at a time in
 * child processes, each with `floor(cores / jobs)` OpenBLAS threads and no helper worker, so that
 * the group shares the machine without oversubscribing it. Each run is an ordinary run with its
 * own record; the group is the set of runs of one configuration. Returns 0 when every run
 * completed, else the first other exit code (a stop signal ends the group).
 */
async function runGroup(
  name: string,
  seeds: number[],
  jobs: number,
  o: GroupOptions,
): Promise<number> {
  const say = (line: string) => {
    try {
      console.log(line);
    } catch { /* the terminal is gone */ }
  };
  if (jobs === 1) {
    for (const seed of seeds) {
      if (!o.quiet) say(`seed ${seed} of ${seeds.join(", ")}`);
      const out = await o.run(seed);
      const code = await finish(out);
      if (code !== 0) return code;
    }
    return 0;
  }
  const args = (seed: number) => [
    "task",
    "-q",
    "experiment",
    name,
    "--seed",
    String(seed),
    ...Object.entries(o.raw).flatMap(([k, v]) => [flagName(k), v]),
    "--out",
    o.out,
    ...(o.dataDir ? ["--data-dir", o.dataDir] : []),
    ...(o.corpus ? ["--corpus", o.corpus] : []),
    ...(o.split ? ["--split", o.split] : []),
    ...(o.vocabSize !== undefined ? ["--vocab-size", String(o.vocabSize)] : []),
    "--quiet",
  ];
  const queue = [...seeds];
  let failed = 0;
  const worker = async () => {
    for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
      if (failed !== 0) return;
      const child = new Deno.Command(Deno.execPath(), {
        args: args(seed),
        cwd: new URL("../", import.meta.url),
        env: { ...sharedMachineEnv(jobs), INIT_CWD: Deno.cwd() },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const res = await child.output();
      const dir = new TextDecoder().decode(res.stdout).trim().split("\n").at(-1) ?? "";
      const err = new TextDecoder().decode(res.stderr).trim();
      if (res.code === 0) say(o.quiet ? dir : `seed ${seed}: ${dir}`);
      else {
        say(`seed ${seed} ended with exit code ${res.code}${dir ? `: ${dir}` : ""}`);
        if (err) say(`  ${err.split("\n").at(-1)}`);
        if (failed === 0) failed = res.code;
      }
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return failed;
}

/**
 * `--seeds 1-10` or `--seeds 1,3,7` (or both: `1-3,7`) as distinct seeds in the order given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSeeds } from "./experiment.ts";
 * assert.deepEqual(parseSeeds("1-3,7"), [1, 2, 3, 7]);
 * assert.throws(() => parseSeeds("3-1"), /--seeds 3-1/);
 * ```
 */
export function parseSeeds(raw: string): number[] {
  const bad = () =>
    new UserError(
      `--seeds ${raw}: give seeds as a range or a list, e.g. 1-10 or 1,3,7 (each in [0, 4294967295], each once)`,
    );
  const seeds: number[] = [];
  for (const part of raw.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw bad();
    const a = parseSeed(m[1]), b = m[2] === undefined ? a : parseSeed(m[2]);
    if (b < a || b - a > 10000) throw bad();
    for (let s = a; s <= b; s++) seeds.push(s);
  }
  if (new Set(seeds).size !== seeds.length || seeds.length === 0) throw bad();
  return seeds;
}

/** `--vocab-size N`: 0 (every training word) or an integer of at least 2. */
export function parseVocabSize(raw: string): number {
  const v = Number(raw);
  if (!/^\d+$/.test(raw) || v === 1 || v > 1e8) {
    throw new UserError(
      `--vocab-size ${raw}: give the number of words to keep, an integer >= 2 (0 keeps every training word)`,
    );
  }
  return v;
}

function parseJobs(raw: string, seeds: number): number {
  const v = Number(raw);
  if (!/^\d+$/.test(raw) || v < 1) {
    throw new UserError(`--jobs ${raw}: must be an integer >= 1 (runs of the group at a time)`);
  }
  return Math.min(v, seeds);
}

/** Draws the run's curve beside its record and prints the run directory, the last line. */
async function finish(out: RunOutcome): Promise<number> {
  await drawCurve(out.dir, out.record);
  try {
    console.log(shownPath(out.dir));
  } catch { /* the terminal is gone */ }
  return out.exitCode;
}

/** `curve.svg` is a view of the record: when it cannot be written, the run stands as it is. */
async function drawCurve(dir: string, record: RunRecord): Promise<void> {
  try {
    await writeCurveSvg(`${dir}/curve.svg`, record, await readMetrics(dir));
  } catch (e) {
    try {
      console.error(`warning: ${dir}/curve.svg not drawn: ${(e as Error).message}`);
    } catch { /* the terminal is gone */ }
  }
}

if (import.meta.main) await runCli(() => main(Deno.args));
