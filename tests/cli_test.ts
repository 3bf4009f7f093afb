/**
 * The command line as a user meets it: real processes with the task's permissions, one-line
 * errors without stack traces, signals, concurrent runs and resume.
 */
import assert from "node:assert/strict";
import { effectiveStatus, parseMetrics, readMetrics, readRunRecord } from "../run/record.ts";
import { candidatePaths } from "../kernels/blas.ts";
import {
  assertOneLineError,
  dirEntries,
  HAVE_PTB,
  ptbDir,
  ROOT,
  runCliProcess,
  spawnCli,
  tempDir,
  writeSyntheticCorpus,
} from "./fixtures.ts";

Deno.test("an unknown experiment lists the available ones", async () => {
  const r = await runCliProcess("experiment.ts", ["ch99_nothing"]);
  assertOneLineError(
    r,
    /unknown experiment 'ch99_nothing'; available: .*ch05_simple_rnnlm.*ch06_rnnlm/,
  );
});

Deno.test("--help shows hyperparameters, defaults and the reference figure", async () => {
  const r = await runCliProcess("experiment.ts", ["ch06_rnnlm", "--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--lr\s+20\s+a number in \(0, 1000\]/);
  assert.match(r.stdout, /--max-grad\s+0.25/);
  assert.match(r.stdout, /reference: test_ppl in \[125, 140\].*136.08/);
});

Deno.test("bad overrides are one-line errors naming the key", async () => {
  const unknown = await runCliProcess("experiment.ts", ["ch05_simple_rnnlm", "--hiden-size", "3"]);
  assertOneLineError(unknown, /unknown option --hiden-size .*valid keys: .*--hidden-size/);
  const negative = await runCliProcess("experiment.ts", ["--lr", "-1"]);
  assertOneLineError(negative, /--lr -1: must be a number in \(0, 100\]/);
  const zero = await runCliProcess("experiment.ts", ["ch06_rnnlm", "--batch-size", "0"]);
  assertOneLineError(zero, /--batch-size 0: must be an integer in \[1, 1000\]/);
  const seed = await runCliProcess("experiment.ts", ["--seed", "x"]);
  assertOneLineError(seed, /--seed x: must be an integer/);
});

Deno.test("a missing OpenBLAS says what to install and which variable to set", async () => {
  await using outDir = await tempDir();
  const out = outDir.path;
  const r = await runCliProcess("experiment.ts", ["--out", out], {
    OPENBLAS_LIB: "/nonexistent/libopenblas.so.0",
  });
  assertOneLineError(r, /OPENBLAS_LIB=\/nonexistent\/libopenblas.so.0 could not be loaded/);
  assert.deepEqual(await dirEntries(out), []);
  const linux = candidatePaths("linux", "x86_64");
  assert.ok(linux.includes("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"));
  assert.ok(
    candidatePaths("darwin", "aarch64").includes(
      "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
    ),
  );
});

Deno.test("PTB absent and offline: one line naming PTB_DIR, no run directory", async () => {
  await using outDir = await tempDir();
  const out = outDir.path;
  await using cacheDir = await tempDir();
  const cache = cacheDir.path;
  const r = await runCliProcess("experiment.ts", ["--out", out], {
    PTB_DIR: "",
    PTB_CACHE_DIR: cache,
    PTB_BASE_URL: "http://127.0.0.1:9/",
  });
  assertOneLineError(r, /PTB not found .*download .* failed .*set PTB_DIR/);
  assert.deepEqual(await dirEntries(out), []);
  assert.deepEqual(await dirEntries(cache), []);
});

Deno.test({
  name: "a corrupt PTB file is reported and never used",
  ignore: !HAVE_PTB,
  async fn() {
    const src = ptbDir()!;
    await using dirDir = await tempDir();
    const dir = dirDir.path;
    await using outDir = await tempDir();
    const out = outDir.path;
    for (const f of ["ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"]) {
      await Deno.copyFile(`${src}/${f}`, `${dir}/${f}`);
    }
    const train = await Deno.readFile(`${dir}/ptb.train.txt`);
    await Deno.writeFile(`${dir}/ptb.train.txt`, train.subarray(0, 100000));
    const r = await runCliProcess("experiment.ts", ["--data-dir", dir, "--out", out]);
    assertOneLineError(r, /ptb\.train\.txt/);
    assert.deepEqual(await dirEntries(out), []);
  },
});

Deno.test("a corpus shorter than one batch is refused before anything is written", async () => {
  await using dirDir = await tempDir();
  const dir = dirDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  await Deno.writeTextFile(`${dir}/train.txt`, "a b c d e f g h i j\n");
  const r = await runCliProcess("experiment.ts", [
    "--corpus",
    dir,
    "--corpus-size",
    "11",
    "--out",
    out,
  ]);
  assertOneLineError(r, /shorter than one batch .*lower --batch-size or --time-size/);
  assert.deepEqual(await dirEntries(out), []);
});

Deno.test("two runs started together get their own directories and both complete", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 3000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  const args = [
    "--corpus",
    corpus,
    "--corpus-size",
    "3000",
    "--max-epoch",
    "2",
    "--out",
    out,
    "--quiet",
  ];
  const [a, b] = await Promise.all([
    runCliProcess("experiment.ts", args),
    runCliProcess("experiment.ts", args),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  // --quiet prints only the run directory
  const da = a.stdout.trim(), db = b.stdout.trim();
  assert.equal(da.split("\n").length, 1);
  assert.notEqual(da, db);
  assert.equal((await dirEntries(`${out}/ch05_simple_rnnlm`)).length, 2);
  assert.equal((await readRunRecord(da)).status, "completed");
  assert.equal((await readRunRecord(db)).status, "completed");
  assert.deepEqual(
    (await readMetrics(da)).map((l) => l.ppl),
    (await readMetrics(db)).map((l) => l.ppl),
  );
});

/** Waits until the only run under `out/<experiment>` has at least `n` metric lines. */
async function waitForLines(out: string, experiment: string, n: number): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const runs = await dirEntries(`${out}/${experiment}`);
    if (runs.length === 1) {
      const dir = `${out}/${experiment}/${runs[0]}`;
      if ((await readMetrics(dir)).length >= n) return dir;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the run produced no metrics in 30 s");
}

const LONG = (corpus: string, out: string) => [
  "--corpus",
  corpus,
  "--corpus-size",
  "30000",
  "--max-epoch",
  "4",
  "--out",
  out,
];

Deno.test("SIGINT mid-run: interrupted with a checkpoint, exit 130; --resume completes the uninterrupted curve", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 30000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  await using refDir = await tempDir();
  const ref = refDir.path;
  const child = spawnCli("experiment.ts", LONG(corpus, out));
  const dir = await waitForLines(out, "ch05_simple_rnnlm", 1);
  child.kill("SIGINT");
  const status = await child.output();
  const stdout = new TextDecoder().decode(status.stdout).trim().split("\n");
  assert.equal(status.code, 130);
  // The last line is the run directory (the one the metrics appeared in), to resume it by.
  assert.match(dir, new RegExp(`^${out}/ch05_simple_rnnlm/\\d{8}-\\d{6}-[a-z0-9]{6}$`));
  assert.equal(stdout.at(-1), dir);
  assert.equal(stdout.at(-2), `interrupted; resume with: deno task experiment --resume ${dir}`);
  const rec = await readRunRecord(dir);
  assert.equal(rec.status, "interrupted");
  assert.match(rec.exit_reason!, /interrupted by SIGINT at iteration \d+/);
  assert.ok(rec.summary.epochs_completed < 4);
  // Iterations, times and throughput are those of the interrupted run so far.
  const { iterations, train_time_s, wall_time_s, tokens_per_sec } = rec.summary;
  assert.ok(iterations > 0 && train_time_s > 0 && wall_time_s >= train_time_s);
  assert.equal(tokens_per_sec, Math.round((iterations * 10 * 5) / train_time_s));
  await Deno.stat(`${dir}/checkpoints/last.safetensors`);

  const resumed = await runCliProcess("experiment.ts", ["--resume", dir, "--quiet"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(resumed.stdout.trim(), dir);
  const whole = await runCliProcess("experiment.ts", [...LONG(corpus, ref), "--quiet"]);
  assert.equal(whole.code, 0, whole.stderr);
  const a = (await readMetrics(whole.stdout.trim())).map((l) => [l.epoch, l.ppl]);
  const b = (await readMetrics(dir)).map((l) => [l.epoch, l.ppl]);
  assert.equal(a.length, 4);
  assert.deepEqual(b, a);
  const after = await readRunRecord(dir);
  assert.equal(after.status, "completed");
  assert.equal(after.resumes.length, 1);
});

Deno.test("SIGTERM: interrupted, exit 143, metrics and checkpoint kept", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 30000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  const child = spawnCli("experiment.ts", LONG(corpus, out));
  const dir = await waitForLines(out, "ch05_simple_rnnlm", 1);
  child.kill("SIGTERM");
  assert.equal((await child.output()).code, 143);
  const rec = await readRunRecord(dir);
  assert.equal(rec.status, "interrupted");
  assert.match(rec.exit_reason!, /SIGTERM/);
  assert.ok((await readMetrics(dir)).length >= 1);
  await Deno.stat(`${dir}/checkpoints/last.safetensors`);
});

Deno.test("SIGKILL: the record reads as crashed and the flushed lines are intact", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 30000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  const child = spawnCli("experiment.ts", LONG(corpus, out));
  const dir = await waitForLines(out, "ch05_simple_rnnlm", 2);
  child.kill("SIGKILL");
  await child.output();
  const rec = await readRunRecord(dir);
  assert.equal(rec.status, "running"); // what the killed process last wrote
  assert.equal(effectiveStatus(rec), "crashed");
  const { lines, skipped } = parseMetrics(await Deno.readTextFile(`${dir}/metrics.jsonl`));
  assert.equal(skipped, 0);
  assert.ok(lines.length >= 2);
  lines.forEach((l, i) => assert.equal(l.epoch, i + 1));
  const listed = await runCliProcess("runs.ts", ["--root", out]);
  assert.match(listed.stdout, /crashed/);
});

Deno.test("the project root is where the tests think it is", () => {
  assert.ok(Deno.statSync(`${ROOT}/deno.json`).isFile);
});
