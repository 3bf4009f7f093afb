/**
 * Shared test fixtures: a synthetic word corpus written to a temp folder, the project root, and
 * a runner for the command-line entry points as real processes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Rng } from "../core/random.ts";
import { loadExperiment } from "../experiments/mod.ts";
import { type RunOutcome, startRun } from "../run/run.ts";
import { resolveHyperparameters } from "../experiments/define.ts";

/** The project root. */
export const ROOT: string = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** Where PTB is for tests: `PTB_DIR`, else the shared copy beside the project; null if absent. */
export function ptbDir(): string | null {
  const candidates = [Deno.env.get("PTB_DIR"), `${ROOT}/../shared/data/ptb`];
  for (const c of candidates) {
    if (!c) continue;
    try {
      Deno.statSync(`${c}/ptb.train.txt`);
      return c;
    } catch { /* try the next */ }
  }
  return null;
}

/** Whether PTB tests can run; says so once when they cannot. */
export const HAVE_PTB: boolean = (() => {
  const found = ptbDir() !== null;
  if (!found) console.log("PTB not found (set PTB_DIR): the tests that need it are skipped");
  return found;
})();

/** A temporary folder that removes itself (recursively) when its `await using` scope ends. */
export interface TempDir extends AsyncDisposable {
  /** The folder's absolute path. */
  readonly path: string;
}

/**
 * Makes a temporary folder that is removed when the test leaves the scope, pass or fail:
 * `await using tmp = await tempDir();`.
 */
export async function tempDir(prefix = "rnnlab-test-"): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    },
  };
}

/**
 * Writes a corpus of `w0`..`w{V-1}` words from a seeded Markov chain (lines of 15 words) as
 * `train.txt`, `valid.txt`, `test.txt` in a new temporary folder, removed when the caller's
 * `await using` scope ends.
 */
export async function writeSyntheticCorpus(
  sizes: { train: number; valid: number; test: number },
  V = 40,
  seed = 5,
): Promise<TempDir> {
  const rng = new Rng(seed);
  const next = Array.from({ length: V }, () => [rng.int(V), rng.int(V), rng.int(V)]);
  let state = 0;
  const text = (n: number) => {
    const words: string[] = [];
    for (let i = 0; i < n; i++) {
      state = next[state][rng.uniform() < 0.7 ? 0 : rng.uniform() < 0.5 ? 1 : 2];
      words.push(`w${state}` + ((i + 1) % 15 === 0 ? "\n" : " "));
    }
    return words.join("");
  };
  const dir = await tempDir("rnnlab-corpus-");
  // Each line of 15 words adds one <eos> token.
  const words = (tokens: number) => Math.round(tokens * 15 / 16);
  await Deno.writeTextFile(`${dir.path}/train.txt`, text(words(sizes.train)));
  await Deno.writeTextFile(`${dir.path}/valid.txt`, text(words(sizes.valid)));
  await Deno.writeTextFile(`${dir.path}/test.txt`, text(words(sizes.test)));
  return dir;
}

/** Output of a finished command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The permissions `deno task experiment` grants (kept in step with deno.json). */
export const EXPERIMENT_PERMISSIONS: string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-run",
  "--allow-net",
  "--allow-sys",
];

/** Runs `cli/<script>` as `deno task` would, with `env` added, and waits for it. */
export async function runCliProcess(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  cwd: string = ROOT,
): Promise<CommandResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...EXPERIMENT_PERMISSIONS, `${ROOT}/cli/${script}`, ...args],
    env: { NO_COLOR: "1", ...env },
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Starts `cli/<script>` without waiting, for signal tests. */
export function spawnCli(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...EXPERIMENT_PERMISSIONS, `${ROOT}/cli/${script}`, ...args],
    env: { NO_COLOR: "1", ...env },
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * Asserts a user error as the command line reports it: exit `code` (2, a `UserError`,
 * unless told), a single `error: ` line on stderr matching `re`, and no stack trace.
 */
export function assertOneLineError(r: CommandResult, re: RegExp, code = 2): void {
  assert.equal(r.code, code, `exit code ${r.code}, stderr:\n${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `stderr has ${lines.length} lines:\n${r.stderr}`);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], re);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

/** The names in folder `path`, or none when it does not exist. */
export async function dirEntries(path: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(path))).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * A tiny `ch06_rnnlm` run (D = H = 10, batches of 4 x 5, 2 epochs, seed 3) on the synthetic
 * corpus in folder `corpus`, written under `out`; `raw` overrides hyperparameters and
 * `stopAfter` interrupts it after that many iterations.
 */
export async function tinyRnnlmRun(
  corpus: string,
  out: string,
  raw: Record<string, string> = {},
  stopAfter?: number,
): Promise<RunOutcome> {
  const { experiment } = loadExperiment("ch06_rnnlm");
  const hp = resolveHyperparameters(experiment, {
    wordvec_size: "10",
    hidden_size: "10",
    batch_size: "4",
    time_size: "5",
    max_epoch: "2",
    eval_interval: "0",
    ...raw,
  });
  return await startRun({
    experiment,
    hyperparameters: hp,
    seed: 3,
    out,
    quiet: true,
    print: () => {},
    data: { corpus: corpusFiles(corpus) },
    stopAfterIters: stopAfter,
  });
}

/** The three split files of a synthetic corpus folder, as `--corpus` names them. */
export function corpusFiles(dir: string): { train: string; valid: string; test: string } {
  return { train: `${dir}/train.txt`, valid: `${dir}/valid.txt`, test: `${dir}/test.txt` };
}

/**
 * Starts `deno task <task> ...args` in a session and process group of its own (`setsid`), as a
 * terminal starts a command: a signal sent to `-child.pid` reaches `deno task` and the run it
 * started, as Ctrl-C does.
 */
export function spawnTask(
  task: string,
  args: string[],
  env: Record<string, string> = {},
): Deno.ChildProcess {
  return new Deno.Command("setsid", {
    args: [Deno.execPath(), "task", "-q", task, ...args],
    env: { NO_COLOR: "1", ...env },
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Waits until the only run under `out/<experiment>` has at least `n` metric lines; returns it. */
export async function waitForLines(out: string, experiment: string, n: number): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const runs = await dirEntries(`${out}/${experiment}`);
    if (runs.length === 1) {
      const dir = `${out}/${experiment}/${runs[0]}`;
      const text = await Deno.readTextFile(`${dir}/metrics.jsonl`).catch(() => "");
      if (text.split("\n").filter((l) => l.trim() !== "").length >= n) return dir;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the run under ${out}/${experiment} wrote no ${n} metric lines in 30 s`);
}

/** The files under `dir`, recursively, as paths relative to it. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(`${d}/${e.name}`, `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  await walk(dir, "");
  return out.sort();
}
