/**
 * The command line's refusals: `experiment --resume` misuse, a bad `--split`, and bad options or
 * missing checkpoints for `generate` and `reproduce`. Each is exit code 2 with one `error:` line
 * that says what to do, no stack trace, nothing on stdout, and no file written or changed.
 */
import assert from "node:assert/strict";
import { readRunRecord } from "../run/record.ts";
import {
  assertOneLineError,
  type CommandResult,
  dirEntries,
  runCliProcess,
  tempDir,
  tinyRnnlmRun,
  writeSyntheticCorpus,
} from "./fixtures.ts";

/** Every file under `dir` (relative path → bytes), to show that a refused command changed none. */
async function snapshot(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const walk = async (sub: string) => {
    for await (const e of Deno.readDir(`${dir}/${sub}`)) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory) await walk(rel);
      else files.set(rel, await Deno.readFile(`${dir}/${rel}`));
    }
  };
  await walk("");
  return files;
}

/** A refusal: exit 2, one `error:` line matching `re`, and nothing on stdout. */
function assertRefused(r: CommandResult, re: RegExp) {
  assertOneLineError(r, re);
  assert.equal(r.stdout, "");
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

Deno.test("experiment --resume refuses a completed run and leaves it as it was", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  const done = await tinyRnnlmRun(corpus, out);
  assert.equal(done.status, "completed");
  const before = await snapshot(done.dir);
  assert.ok(before.has("run.json") && before.has("checkpoints/last.safetensors"));
  const r = await runCliProcess("experiment.ts", ["--resume", `${done.dir}/`]);
  assertRefused(
    r,
    new RegExp(`^error: ${escape(done.dir)} has already completed; nothing to resume$`),
  );
  assert.deepEqual(await snapshot(done.dir), before);
});

Deno.test("experiment --resume takes only the run directory: a name, --seed, --out or a hyperparameter is refused", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  await using otherDir = await tempDir();
  const other = otherDir.path;
  // An interrupted run, which a plain --resume would continue (and change).
  const stopped = await tinyRnnlmRun(corpus, out, {}, 120);
  assert.equal(stopped.status, "interrupted");
  const before = await snapshot(stopped.dir);
  const dir = stopped.dir;
  const settings =
    /^error: --resume takes only a run directory; the run keeps its recorded settings$/;
  const usage = /; usage: deno task experiment --resume RUN_DIR \[--quiet\] \[--data-dir DIR\]$/;
  const [named, seeded, moved, lr, trailing] = await Promise.all([
    runCliProcess("experiment.ts", ["ch06_rnnlm", "--resume", dir]),
    runCliProcess("experiment.ts", ["--resume", dir, "--seed", "3"]),
    runCliProcess("experiment.ts", ["--resume", dir, "--out", other]),
    runCliProcess("experiment.ts", ["--resume", dir, "--lr", "1"]),
    runCliProcess("experiment.ts", ["--resume", dir, "ch06_rnnlm"]),
  ]);
  assertRefused(named, settings);
  assertRefused(seeded, settings);
  assertRefused(moved, settings);
  assertRefused(lr, new RegExp(`^error: Unknown option '--lr'${usage.source}`));
  assertRefused(trailing, /^error: Unexpected argument 'ch06_rnnlm'\. .*; usage: /);
  assert.deepEqual(await snapshot(dir), before);
  assert.deepEqual(await dirEntries(other), []);
  assert.equal((await readRunRecord(dir)).status, "interrupted");
});

Deno.test("experiment --resume of a folder without a run record names the file and creates nothing", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const missing = `${tmp}/ch06_rnnlm/20261128-000000-nosuch`;
  const empty = `${tmp}/empty`;
  await Deno.mkdir(empty);
  const [a, b] = await Promise.all([
    runCliProcess("experiment.ts", ["--resume", missing]),
    runCliProcess("experiment.ts", ["--resume", empty]),
  ]);
  const advice = "not found; pass a run directory \\(results/<experiment>/<run-id>\\)$";
  assertRefused(a, new RegExp(`^error: ${escape(missing)}/run\\.json ${advice}`));
  assertRefused(b, new RegExp(`^error: ${escape(empty)}/run\\.json ${advice}`));
  assert.deepEqual(await dirEntries(tmp), ["empty"]);
  assert.deepEqual(await dirEntries(empty), []);
});

Deno.test("experiment --resume with a missing checkpoint, or one of another model, is refused and the run is left as it was", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  const stopped = await tinyRnnlmRun(corpus, out, {}, 120);
  const bigger = await tinyRnnlmRun(corpus, out, { hidden_size: "12" });
  const ckpt = `${stopped.dir}/checkpoints/last.safetensors`;

  // The checkpoint of a model with H = 12 where the run's model has H = 10.
  await Deno.copyFile(`${bigger.dir}/checkpoints/last.safetensors`, ckpt);
  const swapped = await snapshot(stopped.dir);
  const r = await runCliProcess("experiment.ts", ["--resume", stopped.dir]);
  assertRefused(
    r,
    new RegExp(
      `^error: ${
        escape(ckpt)
      }: \\S+ has shape \\[\\d+,48\\] but the model needs \\[\\d+,40\\]; the checkpoint comes from a model of other sizes$`,
    ),
  );
  assert.deepEqual(await snapshot(stopped.dir), swapped);

  await Deno.remove(ckpt);
  const gone = await snapshot(stopped.dir);
  const g = await runCliProcess("experiment.ts", ["--resume", stopped.dir]);
  assertRefused(
    g,
    new RegExp(`^error: checkpoint ${escape(ckpt)} not found; checkpoints are not committed, so `),
  );
  assert.deepEqual(await snapshot(stopped.dir), gone);
  assert.equal((await readRunRecord(stopped.dir)).status, "interrupted");
});

Deno.test("experiment with a bad --split is refused before anything is written", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  const file = `${corpus}/train.txt`;
  const run = (...args: string[]) =>
    runCliProcess("experiment.ts", ["--out", out, "--corpus", ...args]);
  const [two, word, sum, negative, folder] = await Promise.all([
    run(file, "--split", "0.8,0.2"),
    run(file, "--split", "0.8,half,0.1"),
    run(file, "--split", "0.8,0.3,0.1"),
    run(file, "--split", "1.1,0.1,-0.2"),
    run(corpus, "--split", "0.8,0.1,0.1"),
  ]);
  assertRefused(two, /^error: --split 0\.8,0\.2: give three fractions like 0\.8,0\.1,0\.1$/);
  assertRefused(word, /^error: --split 0\.8,half,0\.1: give three fractions like 0\.8,0\.1,0\.1$/);
  const fractions =
    "split fractions must be three positive numbers summing to 1 \\(e\\.g\\. 0\\.8,0\\.1,0\\.1\\)";
  assertRefused(sum, new RegExp(`^error: ${fractions}; got \\[0\\.8, 0\\.3, 0\\.1\\]$`));
  assertRefused(negative, new RegExp(`^error: ${fractions}; got \\[1\\.1, 0\\.1, -0\\.2\\]$`));
  assertRefused(folder, /^error: --split goes with a single --corpus file$/);
  assert.deepEqual(await dirEntries(out), []);
});

Deno.test("generate refuses --temperature 0, a bad --words and a run without the checkpoint it needs", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  const { dir } = await tinyRnnlmRun(corpus, out);
  const before = await snapshot(dir);
  const [cold, below, many, half, best] = await Promise.all([
    runCliProcess("generate.ts", [dir, "--temperature", "0"]),
    // A negative value after a space is read as the option's value, not as another option.
    runCliProcess("generate.ts", [dir, "--temperature", "-1"]),
    runCliProcess("generate.ts", [dir, "--words", "many"]),
    runCliProcess("generate.ts", [dir, "--words", "2.5"]),
    // ch06_rnnlm does not score valid, so it keeps no best-by-valid parameters.
    runCliProcess("generate.ts", [dir, "--best"]),
  ]);
  assertRefused(cold, /^error: --temperature 0: must be a number > 0$/);
  assertRefused(below, /^error: --temperature -1: must be a number > 0$/);
  assertRefused(many, /^error: --words many: must be an integer >= 0$/);
  assertRefused(half, /^error: --words 2\.5: must be an integer >= 0$/);
  assertRefused(
    best,
    /^error: ch06_rnnlm does not score valid each epoch, so its runs keep no best checkpoint; drop --best to sample from the last parameters$/,
  );
  assert.deepEqual(await snapshot(dir), before);

  // A run whose checkpoints stayed on another machine (they are git-ignored).
  await Deno.remove(`${dir}/checkpoints`, { recursive: true });
  const none = await runCliProcess("generate.ts", [dir, "--start", "w0"]);
  const advice = "not found; checkpoints are kept only where the run was made \\(they are not " +
    "committed\\): train one with deno task experiment ch06_rnnlm$";
  assertRefused(
    none,
    new RegExp(`^error: ${escape(dir)}/checkpoints/last\\.safetensors ${advice}`),
  );
  const withoutCheckpoints = [...before].filter(([f]) => !f.startsWith("checkpoints/"));
  assert.deepEqual(await snapshot(dir), new Map(withoutCheckpoints));
});

Deno.test("reproduce refuses --epochs out of range, an option it does not have and an unfinished run without --epochs, starting no rerun", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  // reproduce reruns into a temporary folder: point TMPDIR at an empty one to see that none is made.
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const done = await tinyRnnlmRun(corpus, out);
  const stopped = await tinyRnnlmRun(corpus, out, {}, 120);
  assert.equal((await readRunRecord(stopped.dir)).summary.epochs_completed, 1);
  const run = (...args: string[]) => runCliProcess("reproduce.ts", args, { TMPDIR: tmp });
  const [zero, three, half, rtol, unfinished] = await Promise.all([
    run(done.dir, "--epochs", "0"),
    run(done.dir, "--epochs", "3"),
    run(done.dir, "--epochs", "1.5"),
    run(done.dir, "--rtol", "0.05"), // verdicts no longer take a tolerance
    run(stopped.dir),
  ]);
  assertRefused(zero, /^error: --epochs 0: must be an integer in \[1, 2\]$/);
  assertRefused(three, /^error: --epochs 3: must be an integer in \[1, 2\]$/);
  assertRefused(half, /^error: --epochs 1\.5: must be an integer in \[1, 2\]$/);
  assertRefused(rtol, /^error: Unknown option '--rtol'.*; usage: deno task reproduce/);
  assertRefused(
    unfinished,
    new RegExp(
      `^error: ${
        escape(stopped.dir)
      } is interrupted; reproduce its first epochs with --epochs N \\(N <= 1\\)$`,
    ),
  );
  assert.deepEqual(await dirEntries(tmp), []);
});
