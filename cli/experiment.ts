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
  describeRange,
  type Experiment,
  flagName,
  resolveHyperparameters,
} from "../experiments/define.ts";
import { DEFAULT_EXPERIMENT, listExperiments, loadExperiment } from "../experiments/mod.ts";
import { readMetrics, type RunRecord } from "../run/record.ts";
import { resumeRun, type RunOutcome, startRun } from "../run/run.ts";
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
  "deno task experiment [name] [--key value ...] [--seed N] [--out DIR] [--data-dir DIR] [--quiet] | --resume RUN_DIR | --list";

const COMMON = {
  help: { type: "boolean", short: "h" },
  quiet: { type: "boolean" },
  out: { type: "string" },
  "data-dir": { type: "string" },
  corpus: { type: "string" },
  split: { type: "string" },
  seed: { type: "string" },
  resume: { type: "string" },
  list: { type: "boolean" },
} as const;

/** The `--help` text of one experiment. */
export function experimentHelp(e: Experiment): string {
  const hp = resolveHyperparameters(e, {});
  const plan = e.plan(hp);
  const vocab = e.data(hp).trainTokens === undefined ? 10000 : 418;
  const memory = formatBytes(estimateRunMemory(e, hp, plan, vocab).total);
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
    ...rows,
    "",
    "other options:",
    "  --out DIR        results root (default results)",
    "  --data-dir DIR   PTB folder (else PTB_DIR, else the data/ptb cache, downloaded when missing)",
    "  --corpus PATH    train on your own text instead: a folder with train.txt (valid.txt, test.txt)",
    "                   or one file cut by --split (default 0.8,0.1,0.1); words split by white space",
    "  --quiet          print only the run directory",
    ref,
    `memory: about ${memory} with these defaults on PTB (a vocabulary of ${vocab} words); ` +
    "larger sizes are refused when they need more than the machine has",
  ].join("\n");
}

/** `--corpus PATH [--split a,b,c]` as {@linkcode TextCorpusOptions}. */
async function corpusOption(path: string, split: string | undefined): Promise<TextCorpusOptions> {
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
    const extra = ["seed", "out", "corpus", "split"].filter((k) => k in first.values);
    if (name || extra.length > 0) {
      throw new UserError(
        "--resume takes only a run directory; the run keeps its recorded settings",
      );
    }
    const dir = userPath(first.values.resume.replace(/\/+$/, ""));
    const dataDir = first.values["data-dir"];
    const out = await resumeRun(dir, {
      quiet: Boolean(first.values.quiet),
      dataDir: typeof dataDir === "string" ? userPath(dataDir) : undefined,
    });
    return await finish(out);
  }

  const { experiment } = loadExperiment(name ?? DEFAULT_EXPERIMENT);
  const hpOptions = Object.fromEntries(
    Object.keys(experiment.hyperparameters).map((
      k,
    ) => [flagName(k).slice(2), { type: "string" as const }]),
  );
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
  const raw: Record<string, string> = {};
  for (const k of Object.keys(experiment.hyperparameters)) {
    const v = values[flagName(k).slice(2)];
    if (typeof v === "string") raw[k] = v;
  }
  const hp = resolveHyperparameters(experiment, raw);
  const overrides = Object.fromEntries(Object.keys(raw).map((k) => [k, hp[k]]));
  const seed = typeof values.seed === "string" ? parseSeed(values.seed) : experiment.seed;
  const out = await startRun({
    experiment,
    hyperparameters: hp,
    overrides,
    seed,
    out: typeof values.out === "string" ? userPath(values.out) : "results",
    quiet: Boolean(values.quiet),
    data: {
      dataDir: typeof values["data-dir"] === "string" ? userPath(values["data-dir"]) : undefined,
      corpus: typeof values.corpus === "string"
        ? await corpusOption(values.corpus, values.split as string | undefined)
        : undefined,
    },
  });
  return await finish(out);
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
