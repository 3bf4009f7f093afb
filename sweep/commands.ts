/**
 * The command of each run of a sweep: the arguments of `deno task experiment` that start it (or
 * resume it), and the same as one line of shell, as a Slurm task runs it and as the sweep's
 * manifest shows it.
 *
 * A run's command names everything: the seed, each hyperparameter given, the results root and the
 * run's directory name (`--run-id`), all paths absolute, so that it lands where the manifest says
 * from whatever folder, on whatever node, it is run.
 *
 * @module
 */

import { flagName } from "../experiments/define.ts";

/** Where a sweep's runs read their data from; nothing given means PTB, found as usual. */
export interface SweepData {
  /** The PTB folder (`--data-dir`), absolute. */
  data_dir?: string;
  /** The user's corpus (`--corpus`), absolute, or a built-in one's name (`ptb`, `soseki`). */
  corpus?: string;
  /** How a single corpus file is cut (`--split`). */
  split?: string;
  /** The vocabulary cap (`--vocab-size`), as typed. */
  vocab_size?: string;
}

/** What starts one run: experiment, seed, hyperparameters, where its record goes. */
export interface StartSpec {
  /** The experiment's name. */
  experiment: string;
  /** The seed. */
  seed: number;
  /** The hyperparameters given, by snake_case key, as typed. */
  overrides: Record<string, string>;
  /** The results root (`--out`), absolute. */
  out: string;
  /** The run directory's name under `<out>/<experiment>/`. */
  runId: string;
  /** The data, when not PTB as found by default. */
  data?: SweepData;
}

/**
 * The arguments after `deno task experiment` that start the run of `spec`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startArgs } from "@rnnlab/rnnlab";
 * const args = startArgs({
 *   experiment: "ch06_rnnlm",
 *   seed: 3,
 *   overrides: { lr: "10", hidden_size: "200" },
 *   out: "/shared/results",
 *   runId: "20261201-101500-k3f9qa",
 * });
 * assert.equal(
 *   args.join(" "),
 *   "ch06_rnnlm --seed 3 --lr 10 --hidden-size 200 --out /shared/results --run-id 20261201-101500-k3f9qa",
 * );
 * ```
 */
export function startArgs(spec: StartSpec): string[] {
  return [
    spec.experiment,
    "--seed",
    String(spec.seed),
    ...Object.entries(spec.overrides).flatMap(([k, v]) => [flagName(k), v]),
    "--out",
    spec.out,
    "--run-id",
    spec.runId,
    ...dataArgs(spec.data),
  ];
}

/**
 * The arguments after `deno task experiment` that resume the stopped run in `runDir` (with the
 * sweep's PTB folder, if it named one; a corpus is in the run's record).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resumeArgs } from "@rnnlab/rnnlab";
 * assert.deepEqual(resumeArgs("/shared/results/ch06_rnnlm/20261201-101500-k3f9qa", {
 *   data_dir: "/shared/ptb",
 * }), ["--resume", "/shared/results/ch06_rnnlm/20261201-101500-k3f9qa", "--data-dir", "/shared/ptb"]);
 * ```
 */
export function resumeArgs(runDir: string, data: SweepData = {}): string[] {
  return ["--resume", runDir, ...(data.data_dir ? ["--data-dir", data.data_dir] : [])];
}

function dataArgs(data: SweepData = {}): string[] {
  return [
    ...(data.data_dir ? ["--data-dir", data.data_dir] : []),
    ...(data.corpus ? ["--corpus", data.corpus] : []),
    ...(data.split ? ["--split", data.split] : []),
    ...(data.vocab_size ? ["--vocab-size", data.vocab_size] : []),
  ];
}

/**
 * `deno task experiment <args>` as one line of shell, after the variable assignments of `env`;
 * a word with anything but letters, digits and `_-+=.,:/@%` is single-quoted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { experimentCommand } from "@rnnlab/rnnlab";
 * assert.equal(
 *   experimentCommand(["ch05_simple_rnnlm", "--seed", "1", "--out", "/shared/my results"], {
 *     OPENBLAS_NUM_THREADS: "1",
 *   }),
 *   "OPENBLAS_NUM_THREADS=1 deno task experiment ch05_simple_rnnlm --seed 1 --out '/shared/my results'",
 * );
 * ```
 */
export function experimentCommand(
  args: readonly string[],
  env: Record<string, string> = {},
): string {
  return [
    ...Object.entries(env).map(([k, v]) => `${k}=${shellWord(v)}`),
    "deno",
    "task",
    "experiment",
    ...args.map(shellWord),
  ].join(" ");
}

/** `word` as bash reads it back: as it is when safe, else in single quotes. */
function shellWord(word: string): string {
  return /^[\w+=.,:/@%-]+$/.test(word) ? word : shellQuote(word);
}

/**
 * `value` quoted for bash: in single quotes, each `'` written as `'\''`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./commands.ts";
 * assert.equal(shellQuote("it's"), `'it'\\''s'`);
 * ```
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
