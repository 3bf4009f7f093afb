/**
 * The command line as a user meets it: real processes with the task's permissions, one-line
 * errors without stack traces, signals, concurrent runs and resume.
 */
import assert from "node:assert/strict";
import { readMetrics, readRunRecord } from "../run/record.ts";
import { candidatePaths } from "../kernels/blas.ts";
import {
  assertOneLineError,
  dirEntries,
  HAVE_PTB,
  ptbDir,
  ROOT,
  runCliProcess,
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
  assert.match(r.stdout, /reference: test_ppl in \[134.63, 136.54\].*5 seeds.*136.08/);
  assert.match(r.stdout, /^memory: about \d+ MB/m);
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

Deno.test("the project root is where the tests think it is", () => {
  assert.ok(Deno.statSync(`${ROOT}/deno.json`).isFile);
});

Deno.test("runs shows the data of a run that is not its experiment's: the corpus and the vocabulary cap", async () => {
  await using corpus = await writeSyntheticCorpus({ train: 3000, valid: 400, test: 400 });
  await using out = await tempDir();
  for (const extra of [[], ["--vocab-size", "20"]]) {
    const args = ["ch05_simple_rnnlm", "--corpus", corpus.path, "--max-epoch", "1"];
    const r = await runCliProcess("experiment.ts", [
      ...args,
      "--out",
      out.path,
      "--quiet",
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  const list = await runCliProcess("runs.ts", ["--root", out.path]);
  const rows = list.stdout.split("\n").filter((l) => l.startsWith("ch05_simple_rnnlm"));
  const settings = rows.map((l) => l.split(/ {2,}/)[4]).sort();
  assert.equal(settings.length, 2);
  assert.match(settings[0], /^corpus=\S+ max_epoch=1$/);
  assert.match(settings[1], /^corpus=\S+ vocab_size=20 max_epoch=1$/);
});
