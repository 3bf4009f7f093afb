/**
 * Runs that stop when asked and keep one writer: the signals a terminal sends (to the whole
 * process group of `deno task experiment`), a stop during the valid or test score, the heartbeat
 * of a run of short epochs, and the lock that refuses a second writer but never outlives a
 * crashed one.
 */
import assert from "node:assert/strict";
import { loadExperiment } from "../experiments/mod.ts";
import { resolveHyperparameters } from "../experiments/define.ts";
import type { LanguageModel } from "../models/model.ts";
import { RunLock } from "../run/lock.ts";
import { effectiveStatus, parseMetrics, readMetrics, readRunRecord } from "../run/record.ts";
import { resumeRun, startRun } from "../run/run.ts";
import { UserError } from "../core/errors.ts";
import {
  assertOneLineError,
  corpusFiles,
  filesUnder,
  runCliProcess,
  spawnTask,
  tempDir,
  waitForLines,
  writeSyntheticCorpus,
} from "./fixtures.ts";

/** A chapter 5 run of many short epochs (19 iterations each) on the synthetic corpus. */
const ch05 = (corpus: string, out: string, epochs: number) => [
  "ch05_simple_rnnlm",
  "--corpus",
  corpus,
  "--max-epoch",
  String(epochs),
  "--out",
  out,
];

const decoder = new TextDecoder();

/** Nothing of a write in progress is left: no temporary file, no lock. */
async function assertNoLeftovers(dir: string): Promise<void> {
  const files = await filesUnder(dir);
  assert.deepEqual(
    files.filter((f) => f.endsWith(".tmp") || f.endsWith("run.lock")),
    [],
    `${files}`,
  );
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  Deno.test(`${signal} to the process group stops a run of 5 ms epochs at once: interrupted, exit ${code}, resumable`, async () => {
    await using corpusDir = await writeSyntheticCorpus({ train: 3000, valid: 400, test: 400 });
    await using outDir = await tempDir();
    const out = outDir.path;
    // 3000 epochs take about 15 s, 600 about 3 s: the signal comes long before the end.
    const epochs = signal === "SIGHUP" ? 600 : 3000;
    const child = spawnTask("experiment", ch05(corpusDir.path, out, epochs));
    const dir = await waitForLines(out, "ch05_simple_rnnlm", 3);
    // A closed terminal takes the output with it: nothing read from here on.
    if (signal === "SIGHUP") await child.stdout.cancel();
    Deno.kill(-child.pid, signal);
    const status = await child.output().catch(() => child.status);
    assert.equal(status.code, code);
    const rec = await readRunRecord(dir);
    assert.equal(rec.status, "interrupted");
    assert.match(rec.exit_reason!, new RegExp(`^interrupted by ${signal} at iteration \\d+$`));
    assert.ok(rec.summary.epochs_completed < epochs, `${rec.summary.epochs_completed} epochs`);
    const { lines, skipped } = parseMetrics(await Deno.readTextFile(`${dir}/metrics.jsonl`));
    assert.equal(skipped, 0);
    assert.equal(lines.length, rec.summary.epochs_completed);
    await Deno.stat(`${dir}/checkpoints/last.safetensors`);
    await assertNoLeftovers(dir);
    if (signal === "SIGHUP") {
      // Resumable on the machine that made it (this one), to the end.
      const resumed = await runCliProcess("experiment.ts", ["--resume", dir, "--quiet"]);
      assert.equal(resumed.code, 0, resumed.stderr);
      const after = await readRunRecord(dir);
      assert.equal(after.status, "completed");
      assert.equal(after.summary.epochs_completed, epochs);
      const seen = (await readMetrics(dir)).map((l) => l.epoch);
      assert.deepEqual(seen, Array.from({ length: epochs }, (_, i) => i + 1));
    }
  });
}

Deno.test("a run of short epochs writes its heartbeat while it trains", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 3000, valid: 400, test: 400 });
  await using outDir = await tempDir();
  const child = spawnTask("experiment", ch05(corpusDir.path, outDir.path, 3000), {
    RNNLAB_HEARTBEAT_S: "0.2",
  });
  try {
    const dir = await waitForLines(outDir.path, "ch05_simple_rnnlm", 3);
    const first = await readRunRecord(dir);
    // A heartbeat every 0.2 s: the record moves within a second, or a few on a busy machine.
    let second = first;
    for (let i = 0; i < 100 && second.heartbeat_at === first.heartbeat_at; i++) {
      await new Promise((r) => setTimeout(r, 100));
      second = await readRunRecord(dir);
    }
    assert.equal(second.status, "running");
    assert.ok(Date.parse(second.heartbeat_at) > Date.parse(first.heartbeat_at));
    assert.ok(second.summary.iterations > first.summary.iterations);
    assert.equal(effectiveStatus(second), "running");
  } finally {
    Deno.kill(-child.pid, "SIGINT");
    await child.output();
  }
});

/**
 * The tiny BetterRnnlm of these tests, with its model wrapped so that the `k`-th evaluation
 * window (counted from 1 over the whole run) sends this process SIGHUP and waits until the stop
 * flag has surely been set, as if the terminal had closed during that window. (SIGINT would stop
 * the test runner itself.)
 */
function interruptAtWindow(k: number) {
  const { experiment } = loadExperiment("ch06_better_rnnlm");
  let windows = 0;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const wrap = (m: LanguageModel): LanguageModel => ({
    params: m.params,
    forward(xs, ts, n, t, train) {
      if (!train && ++windows === k) {
        Deno.kill(Deno.pid, "SIGHUP");
        Atomics.wait(flag, 0, 0, 200); // the listening worker sets the flag meanwhile
      }
      return m.forward(xs, ts, n, t, train);
    },
    backward: () => m.backward(),
    resetState: () => m.resetState(),
    getState: () => m.getState(),
    setState: (s) => m.setState(s),
    predict: (xs, n, t) => m.predict(xs, n, t),
  });
  return {
    ...experiment,
    model: (...a: Parameters<typeof experiment.model>) => wrap(experiment.model(...a)),
  };
}

const TINY = {
  wordvec_size: "8",
  hidden_size: "8",
  batch_size: "4",
  time_size: "5",
  max_epoch: "2",
  eval_interval: "0",
};

Deno.test("a stop during the valid or the test score interrupts it, and --resume finishes the scores to the figures of an uninterrupted run", async () => {
  // 1400 valid and test tokens: 3 windows each of 10 x 35. Windows 1-3 score valid after epoch
  // 1, 4-6 after epoch 2, 7-9 test with the final parameters, 10-12 with the best ones.
  await using corpusDir = await writeSyntheticCorpus({ train: 1500, valid: 1400, test: 1400 });
  await using outDir = await tempDir();
  const { experiment } = loadExperiment("ch06_better_rnnlm");
  const hp = resolveHyperparameters(experiment, TINY);
  const common = { hyperparameters: hp, seed: 1, out: outDir.path, quiet: true, print: () => {} };
  const data = { corpus: corpusFiles(corpusDir.path) };
  const whole = await startRun({ ...common, experiment, data });
  assert.equal(whole.status, "completed");
  const want = await readMetrics(whole.dir);
  for (const k of [2, 5, 8, 11]) {
    const stopped = await startRun({ ...common, experiment: interruptAtWindow(k), data });
    assert.equal(stopped.status, "interrupted", `window ${k}`);
    assert.equal(stopped.exitCode, 129);
    const rec = await readRunRecord(stopped.dir);
    // Epoch lines are written only once their valid score is made.
    assert.equal((await readMetrics(stopped.dir)).length, k < 4 ? 0 : k < 7 ? 1 : 2);
    assert.equal(rec.summary.test_ppl, k < 10 ? null : whole.record.summary.test_ppl);
    const resumed = await resumeRun(stopped.dir, { quiet: true, print: () => {} });
    assert.equal(resumed.status, "completed", `window ${k}`);
    const got = await readMetrics(stopped.dir);
    assert.deepEqual(
      got.map((l) => [l.epoch, l.ppl, l.valid_ppl, l.lr]),
      want.map((l) => [l.epoch, l.ppl, l.valid_ppl, l.lr]),
    );
    for (const key of ["test_ppl", "test_ppl_best", "best_valid_ppl"] as const) {
      assert.equal(resumed.record.summary[key], whole.record.summary[key], `${key}, window ${k}`);
    }
  }
});

Deno.test("a second writer is refused with the holder's pid; the run stays as it was", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
  await using outDir = await tempDir();
  const { experiment } = loadExperiment("ch05_simple_rnnlm");
  const stopped = await startRun({
    experiment,
    hyperparameters: resolveHyperparameters(experiment, { max_epoch: "3" }),
    seed: 1,
    out: outDir.path,
    quiet: true,
    data: { corpus: corpusFiles(corpusDir.path) },
    stopAfterIters: 25,
  });
  assert.equal(stopped.status, "interrupted");
  const before = await Deno.readTextFile(`${stopped.dir}/run.json`);
  using held = RunLock.acquire(stopped.dir, "resuming");
  await assert.rejects(
    resumeRun(stopped.dir, { quiet: true }),
    (e: unknown) =>
      e instanceof UserError &&
      new RegExp(
        `^${stopped.dir} is being written by process ${Deno.pid} \\(resuming since .*\\); ` +
          `wait for it to finish, or stop it with: kill -INT ${Deno.pid}$`,
      ).test(e.message),
  );
  assert.equal(await Deno.readTextFile(`${stopped.dir}/run.json`), before);
  held.release();
  const resumed = await resumeRun(stopped.dir, { quiet: true });
  assert.equal(resumed.status, "completed");
});

Deno.test("while a run trains, --resume of it is refused; two resumes at once: one runs, one is refused; a killed run's lock is free", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 3000, valid: 400, test: 400 });
  await using outDir = await tempDir();
  const child = spawnTask("experiment", ch05(corpusDir.path, outDir.path, 600));
  const dir = await waitForLines(outDir.path, "ch05_simple_rnnlm", 3);
  const refused = await runCliProcess("experiment.ts", ["--resume", dir]);
  assertOneLineError(
    refused,
    new RegExp(
      `is being written by process \\d+ \\(training since [^)]+\\); wait for it to finish`,
    ),
  );
  Deno.kill(-child.pid, "SIGINT");
  assert.equal((await child.output()).code, 130);

  const [a, b] = await Promise.all([
    runCliProcess("experiment.ts", ["--resume", dir, "--quiet"]),
    runCliProcess("experiment.ts", ["--resume", dir, "--quiet"]),
  ]);
  const codes = [a.code, b.code].sort();
  assert.deepEqual(codes, [0, 2], `${a.stderr}\n${b.stderr}`);
  // Refused because the other holds the lock, or (had it been slower by a whole run) because the
  // other has completed it: never both at once.
  assertOneLineError(
    a.code === 2 ? a : b,
    /is being written by process \d+ \(resuming since|has already completed; nothing to resume/,
  );
  const rec = await readRunRecord(dir);
  assert.equal(rec.status, "completed");
  assert.equal(rec.resumes.length, 1);
  const epochs = (await readMetrics(dir)).map((l) => l.epoch);
  assert.deepEqual(epochs, Array.from({ length: 600 }, (_, i) => i + 1));
  await assertNoLeftovers(dir);

  // SIGKILL leaves run.lock behind, but nobody holds it: the next writer takes it.
  await using out2 = await tempDir();
  const killed = spawnTask("experiment", ch05(corpusDir.path, out2.path, 3000));
  const kdir = await waitForLines(out2.path, "ch05_simple_rnnlm", 3);
  Deno.kill(-killed.pid, "SIGKILL");
  await killed.output();
  await Deno.stat(`${kdir}/run.lock`);
  // The training process is the group's second: on a busy machine it may take a moment after the
  // first has gone before the kernel has ended it too.
  let status = effectiveStatus(await readRunRecord(kdir));
  for (let i = 0; i < 100 && status === "running"; i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = effectiveStatus(await readRunRecord(kdir));
  }
  assert.equal(status, "crashed");
  const child2 = spawnTask("experiment", ["--resume", kdir]);
  // Stop it once it has taken the run over (its resume is in the record), however slow its start.
  for (let i = 0; i < 600 && (await readRunRecord(kdir)).resumes.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  Deno.kill(-child2.pid, "SIGINT");
  const st = await child2.output();
  assert.equal(st.code, 130, decoder.decode(st.stderr));
  assert.equal((await readRunRecord(kdir)).resumes.length, 1);
});
