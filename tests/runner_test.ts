/**
 * The runner in-process: the chapter 5 reference behaviour on PTB, determinism, run records,
 * resume to the same curve, divergence and every bad override.
 */
import assert from "node:assert/strict";
import { UserError } from "../core/errors.ts";
import { loadExperiment } from "../experiments/mod.ts";
import { resumeRun, startRun } from "../run/run.ts";
import { type Experiment, resolveHyperparameters } from "../experiments/define.ts";
import {
  createRunDir,
  effectiveStatus,
  HEARTBEAT_TIMEOUT_S,
  type MetricLine,
  readMetrics,
  readRunRecord,
  type RunRecord,
} from "../run/record.ts";
import { loadCheckpoint, paramTensors, restoreParams, saveCheckpoint } from "../run/checkpoint.ts";
import { corpusFiles, HAVE_PTB, ptbDir, tempDir, writeSyntheticCorpus } from "./fixtures.ts";
import type { LanguageModel } from "../models/model.ts";
import { Param } from "../core/param.ts";
import { afterEpoch } from "../training/plan.ts";

const quiet = { quiet: true, print: () => {} };

function run(
  name: string,
  raw: Record<string, string>,
  opts: { out: string; corpus?: string; seed?: number; stopAfterIters?: number; resume?: string },
) {
  if (opts.resume) {
    return resumeRun(opts.resume, { ...quiet, stopAfterIters: opts.stopAfterIters });
  }
  const { experiment } = loadExperiment(name);
  return startRun({
    experiment,
    hyperparameters: resolveHyperparameters(experiment, raw),
    seed: opts.seed ?? experiment.seed,
    out: opts.out,
    ...quiet,
    data: {
      dataDir: ptbDir() ?? undefined,
      corpus: opts.corpus ? corpusFiles(opts.corpus) : undefined,
    },
    stopAfterIters: opts.stopAfterIters,
  });
}

const epochs = (lines: MetricLine[]) => lines.filter((l) => l.kind === "epoch");

Deno.test({
  name: "ch05 on PTB: the curve is inside the book-code band and the record is complete",
  ignore: !HAVE_PTB,
  async fn() {
    await using outDir = await tempDir();
    const out = outDir.path;
    const res = await run("ch05_simple_rnnlm", {}, { out });
    assert.equal(res.status, "completed");
    assert.equal(res.exitCode, 0);
    const rec = await readRunRecord(res.dir);
    const lines = epochs(await readMetrics(res.dir));
    assert.equal(lines.length, 100);
    assert.ok(lines[0].ppl > 350 && lines[0].ppl < 450, `epoch 1 perplexity ${lines[0].ppl}`);
    assert.ok(lines[99].ppl < 10, `epoch 100 perplexity ${lines[99].ppl}`);
    for (const l of lines) assert.ok(typeof l.elapsed_s === "number" && l.epoch >= 1);
    assert.equal(rec.schema_version, 1);
    assert.equal(rec.experiment, "ch05_simple_rnnlm");
    assert.equal(rec.status, "completed");
    assert.equal(rec.seed, 1);
    assert.equal(rec.hyperparameters.lr, 0.1);
    assert.equal(rec.data?.vocab_size, 418);
    assert.equal(rec.summary.epochs_completed, 100);
    assert.equal(rec.summary.iterations, 1900); // floor(999 / 50) = 19 per epoch
    assert.equal(rec.summary.final_train_ppl, lines[99].ppl);
    assert.equal(rec.reference.metric, "final_train_ppl");
    // Judged at the book's checkpoints against the range of its ten seeds there.
    assert.deepEqual(rec.reference.checkpoints?.map((c) => c.epoch), [1, 10, 50, 100]);
    const inside = rec.reference.checkpoints!.every((c) =>
      c.value >= c.range[0] && c.value <= c.range[1]
    );
    assert.equal(rec.reference.verdict, inside ? "inside_book_range" : "outside_book_range");
    assert.equal(rec.reference.value, lines[99].ppl);
    assert.deepEqual(rec.reference.band, [5.18, 7.65]);
    const env = rec.environment;
    for (const k of ["deno", "v8", "typescript", "os", "cpu_model", "code_sha256"] as const) {
      assert.ok(typeof env[k] === "string" && env[k] !== "", `environment.${k}`);
    }
    assert.ok(env.openblas.config.startsWith("OpenBLAS"));
    assert.ok(env.openblas.threads >= 1 && env.openblas.core !== "");
    assert.ok("commit" in env.git && "dirty" in env.git);
    // A dirty tree leaves its diff beside the record; a clean one leaves none.
    const patch = await Deno.readTextFile(`${res.dir}/diff.patch`).catch(() => null);
    if (env.git.dirty) assert.match(patch ?? "", /^diff --git /m);
    else assert.equal(patch, null);
    assert.ok(Date.parse(rec.finished_at!) >= Date.parse(rec.started_at));
  },
});

Deno.test({
  name: "the same seed twice gives a bit-identical curve; another seed does not",
  ignore: !HAVE_PTB,
  async fn() {
    await using outDir = await tempDir();
    const out = outDir.path;
    const a = await run("ch05_simple_rnnlm", { max_epoch: "15" }, { out });
    const b = await run("ch05_simple_rnnlm", { max_epoch: "15" }, { out });
    const c = await run("ch05_simple_rnnlm", { max_epoch: "15" }, { out, seed: 2 });
    assert.notEqual(a.dir, b.dir);
    const pa = (await readMetrics(a.dir)).map((l) => l.ppl);
    const pb = (await readMetrics(b.dir)).map((l) => l.ppl);
    const pc = (await readMetrics(c.dir)).map((l) => l.ppl);
    assert.equal(pa.length, 15);
    assert.deepEqual(pa, pb);
    assert.notDeepEqual(pa, pc);
  },
});

Deno.test("run directories are unique even when created at the same moment", async () => {
  await using outDir = await tempDir();
  const out = outDir.path;
  const made = await Promise.all(Array.from({ length: 50 }, () => createRunDir(out, "x")));
  assert.equal(new Set(made.map((m) => m.dir)).size, 50);
  for (const m of made) assert.match(m.runId, /^\d{8}-\d{6}-[a-z0-9]{6}$/);
});

Deno.test("interrupted mid-epoch and resumed, BetterRnnlm completes the same curve as an uninterrupted run", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 3000, valid: 800, test: 800 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  const hp = {
    wordvec_size: "12",
    hidden_size: "12",
    batch_size: "4",
    time_size: "5",
    max_epoch: "3",
    eval_interval: "20",
    lr: "5",
  };
  const whole = await run("ch06_better_rnnlm", hp, { out, corpus });
  assert.equal(whole.status, "completed");
  // 3000 tokens / (4 x 5) = 149 iterations per epoch: stop inside the second epoch.
  const first = await run("ch06_better_rnnlm", hp, { out, corpus, stopAfterIters: 201 });
  assert.equal(first.status, "interrupted");
  assert.equal(first.exitCode, 130);
  assert.equal((await readRunRecord(first.dir)).summary.iterations, 201);
  const ckpt = await loadCheckpoint(`${first.dir}/checkpoints/last.safetensors`);
  assert.ok(ckpt.tensors.has("embed.W"));
  const resumed = await run("ch06_better_rnnlm", hp, { out, corpus, resume: first.dir });
  assert.equal(resumed.status, "completed");
  const a = await readMetrics(whole.dir);
  const b = await readMetrics(first.dir);
  assert.equal(b.length, a.length);
  assert.deepEqual(
    b.map((l) => [l.kind, l.epoch, l.iter, l.ppl, l.valid_ppl, l.lr]),
    a.map((l) => [l.kind, l.epoch, l.iter, l.ppl, l.valid_ppl, l.lr]),
  );
  const ra = await readRunRecord(whole.dir), rb = await readRunRecord(first.dir);
  assert.equal(rb.summary.test_ppl, ra.summary.test_ppl);
  assert.equal(rb.summary.test_ppl_best, ra.summary.test_ppl_best);
  assert.ok(Number.isFinite(ra.summary.test_ppl_best), `test_ppl_best ${ra.summary.test_ppl_best}`);
  assert.equal(rb.resumes.length, 1);
  assert.equal(rb.resumes[0].from_iteration, 201);
  assert.equal(rb.resumes[0].environment?.code_sha256, rb.environment.code_sha256);
  assert.ok(ra.summary.best_valid_ppl !== null && ra.summary.test_ppl !== null);
});

/**
 * A stand-in model whose validation losses follow a script: at the first evaluation after some
 * training, its one parameter takes the next scripted value, and every evaluation window's loss
 * is that parameter. Valid perplexity after epoch `e` is therefore `exp(script[e - 1])`, and the
 * test perplexity of any saved parameters is `exp` of the value they hold.
 */
function scriptedModel(script: number[]): LanguageModel {
  const w = new Param("w", [1]);
  let trained = false, next = 0;
  return {
    params: [w],
    forward(_xs, _ts, _n, _t, train) {
      if (train) {
        trained = true;
        return 1;
      }
      if (trained) w.value[0] = script[next++];
      trained = false;
      return w.value[0];
    },
    backward() {},
    resetState() {},
    getState: () => [],
    setState() {},
    predict: () => new Float32Array(0),
  };
}

Deno.test("BetterRnnlm's schedule on scripted valid scores: lr / 4 after no improvement (a tie included), best.ckpt and test_ppl_best from the best epoch", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 1000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const { experiment } = loadExperiment("ch06_better_rnnlm");
  // Valid losses per epoch (exact in float32): improves at 1, 2 and 4; ties at 6.
  const script = [5, 4.5, 4.75, 4.25, 4.5, 4.25, 4.5];
  const exp: Experiment = { ...experiment, model: () => scriptedModel(script) };
  const hp = resolveHyperparameters(exp, {
    batch_size: "4",
    time_size: "5",
    max_epoch: "7",
    eval_interval: "0",
    lr: "100",
  });
  const res = await startRun({
    experiment: exp,
    hyperparameters: hp,
    seed: 1,
    out: outDir.path,
    ...quiet,
    data: { corpus: corpusFiles(corpus) },
  });
  assert.equal(res.status, "completed");
  const lines = epochs(await readMetrics(res.dir));
  // An epoch line's lr is the rate that epoch trained with; a decay applies to the next epoch.
  assert.deepEqual(lines.map((l) => l.lr), [100, 100, 100, 25, 25, 6.25, 1.5625]);
  assert.deepEqual(lines.map((l) => l.valid_ppl), script.map(Math.exp));
  const best = await loadCheckpoint(`${res.dir}/checkpoints/best.safetensors`);
  assert.deepEqual(best.meta, { epoch: 4, valid_ppl: Math.exp(4.25) });
  assert.deepEqual(Array.from(best.tensors.get("w")!.data), [4.25]);
  const last = await loadCheckpoint(`${res.dir}/checkpoints/last.safetensors`);
  assert.deepEqual(Array.from(last.tensors.get("w")!.data), [4.5]);
  const rec = await readRunRecord(res.dir);
  assert.equal(rec.summary.best_valid_ppl, Math.exp(4.25));
  assert.equal(rec.summary.final_valid_ppl, Math.exp(4.5));
  assert.equal(rec.summary.test_ppl, Math.exp(4.5));
  assert.equal(rec.summary.test_ppl_best, Math.exp(4.25));
});

Deno.test("afterEpoch: keep lr on an improvement, divide it on none or a tie, never without lrDecay", () => {
  assert.deepEqual(afterEpoch(4, { bestValid: null, lr: 20 }, 300), {
    improved: true,
    bestValid: 300,
    lr: 20,
  });
  assert.deepEqual(afterEpoch(4, { bestValid: 300, lr: 20 }, 299.5), {
    improved: true,
    bestValid: 299.5,
    lr: 20,
  });
  assert.deepEqual(afterEpoch(4, { bestValid: 300, lr: 20 }, 300), {
    improved: false,
    bestValid: 300,
    lr: 5,
  });
  assert.deepEqual(afterEpoch(null, { bestValid: 300, lr: 20 }, 301), {
    improved: false,
    bestValid: 300,
    lr: 20,
  });
});

/**
 * Runs experiment `name` with its model replaced by one whose loss is 1 until the 7th forward
 * pass and NaN from then on; returns the outcome and what the runner printed.
 */
async function runToNaN(name: string, raw: Record<string, string>) {
  await using corpusDir = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  const { experiment } = loadExperiment(name);
  let calls = 0;
  const p = new Param("w", [1]);
  const nanModel: LanguageModel = {
    params: [p],
    forward: () => (++calls >= 7 ? NaN : 1),
    backward() {},
    resetState() {},
    getState: () => [],
    setState() {},
    predict: () => new Float32Array(0),
  };
  const exp: Experiment = { ...experiment, model: () => nanModel };
  const hp = resolveHyperparameters(exp, raw);
  const printed: string[] = [];
  const res = await startRun({
    experiment: exp,
    hyperparameters: hp,
    seed: 1,
    out,
    quiet: true,
    print: (l: string) => printed.push(l),
    data: { corpus: corpusFiles(corpus) },
  });
  return { res, rec: await readRunRecord(res.dir), printed };
}

Deno.test("a NaN loss ends the run as diverged with exit code 3, naming the iteration and suggesting a fix", async () => {
  const { res, rec, printed } = await runToNaN("ch05_simple_rnnlm", {});
  assert.equal(res.status, "diverged");
  assert.equal(res.exitCode, 3);
  assert.equal(rec.status, "diverged");
  assert.match(rec.exit_reason!, /^loss became NaN at iteration 7; lower --lr/);
  assert.equal(effectiveStatus(rec), "diverged");
  assert.equal(rec.summary.iterations, 6);
  // Printed even with --quiet: the one line that says why the run stopped.
  assert.deepEqual(printed, [`diverged: ${rec.exit_reason}`]);
});

Deno.test("divergence advice: lower --lr or --max-grad when clipping, turn clipping on when it is off", async () => {
  const clipped = await runToNaN("ch06_rnnlm", {});
  assert.equal(clipped.res.exitCode, 3);
  assert.equal(clipped.rec.exit_reason, "loss became NaN at iteration 7; lower --lr or --max-grad");
  assert.deepEqual(clipped.printed, [`diverged: ${clipped.rec.exit_reason}`]);
  // No test perplexity is scored after a divergence.
  assert.equal(clipped.rec.summary.test_ppl, null);

  const unclipped = await runToNaN("ch06_rnnlm", { max_grad: "0" });
  assert.equal(unclipped.res.exitCode, 3);
  assert.equal(
    unclipped.rec.exit_reason,
    "loss became NaN at iteration 7; lower --lr or clip gradients (--max-grad)",
  );
});

Deno.test("divergence advice names only options the experiment accepts", async () => {
  // ch05_simple_rnnlm has no max_grad hyperparameter, so the advice must not send the user to it.
  const { experiment } = loadExperiment("ch05_simple_rnnlm");
  assert.ok(!("max_grad" in experiment.hyperparameters));
  const { res, rec } = await runToNaN("ch05_simple_rnnlm", {});
  assert.equal(res.exitCode, 3);
  assert.match(rec.exit_reason!, /^loss became NaN at iteration \d+; lower --lr$/);
});

Deno.test("bad overrides name the key and the allowed range", () => {
  const { experiment } = loadExperiment("ch05_simple_rnnlm");
  const bad = (raw: Record<string, string>, re: RegExp) =>
    assert.throws(
      () => resolveHyperparameters(experiment, raw),
      (e: unknown) => e instanceof UserError && re.test(e.message),
    );
  bad(
    { learning_rate: "1" },
    /unknown option --learning-rate .* valid keys: --seed, --batch-size, .*--lr/,
  );
  bad({ lr: "-0.1" }, /--lr -0.1: must be a number in \(0, 100\]/);
  bad({ lr: "0" }, /--lr 0: must be a number in \(0, 100\]/);
  bad({ lr: "fast" }, /--lr fast: must be a number/);
  bad({ batch_size: "0" }, /--batch-size 0: must be an integer in \[1, 1000\]/);
  bad({ batch_size: "2.5" }, /--batch-size 2.5: must be an integer/);
  bad({ hidden_size: "" }, /--hidden-size : must be an integer/);
  const ok = resolveHyperparameters(experiment, { lr: "0.05", hidden_size: "200", max_epoch: "3" });
  assert.deepEqual([ok.lr, ok.hidden_size, ok.max_epoch, ok.batch_size], [0.05, 200, 3, 10]);
});

Deno.test("checkpoints round-trip and a damaged one is refused", async () => {
  await using dirDir = await tempDir();
  const dir = dirDir.path;
  const data = Float32Array.from([1.5, -2, 3.25, 0]);
  await saveCheckpoint(`${dir}/a.ckpt`, [{ name: "w", shape: [2, 2], data }], { epoch: 3 });
  const back = await loadCheckpoint(`${dir}/a.ckpt`);
  assert.deepEqual(Array.from(back.tensors.get("w")!.data), Array.from(data));
  assert.deepEqual(back.tensors.get("w")!.shape, [2, 2]);
  assert.deepEqual(back.meta, { epoch: 3 });
  const bytes = await Deno.readFile(`${dir}/a.ckpt`);
  bytes[bytes.length - 1] ^= 0xff;
  await Deno.writeFile(`${dir}/b.ckpt`, bytes);
  await assert.rejects(loadCheckpoint(`${dir}/b.ckpt`), /checksum mismatch/);
  await Deno.writeFile(`${dir}/c.ckpt`, bytes.subarray(0, 20));
  await assert.rejects(loadCheckpoint(`${dir}/c.ckpt`), /damaged/);
});

Deno.test("restoring a missing checkpoint, or one made by another model, is a clear error", async () => {
  await using dirDir = await tempDir();
  const dir = dirDir.path;
  await assert.rejects(
    loadCheckpoint(`${dir}/missing.ckpt`),
    (e: unknown) =>
      e instanceof UserError && e.message ===
        `checkpoint ${dir}/missing.ckpt not found; checkpoints are not committed, so resume or sample a run on the machine that made it, or start a new run`,
  );
  const embed = new Param("embed.W", [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6]));
  const wh = new Param("rnn.Wh", [2, 2], Float32Array.from([7, 8, 9, 10]));
  await saveCheckpoint(`${dir}/m.ckpt`, paramTensors([embed, wh]), {});
  const ckpt = await loadCheckpoint(`${dir}/m.ckpt`);

  // The same layout restores every value.
  const same = [new Param("embed.W", [3, 2]), new Param("rnn.Wh", [2, 2])];
  restoreParams(same, ckpt, "m.ckpt");
  assert.deepEqual(Array.from(same[0].value), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(same[1].value), [7, 8, 9, 10]);

  // A model with a parameter the file lacks (an LSTM where the file has an RNN).
  assert.throws(
    () =>
      restoreParams([new Param("embed.W", [3, 2]), new Param("lstm.Wh", [2, 8])], ckpt, "m.ckpt"),
    (e: unknown) =>
      e instanceof UserError &&
      e.message ===
        "m.ckpt has a tensor rnn.Wh that the model does not have; was it made by another model?",
  );
  // A model of another size (vocabulary 4 instead of 3).
  const wrong = new Param("embed.W", [4, 2]);
  assert.throws(
    () => restoreParams([wrong, new Param("rnn.Wh", [2, 2])], ckpt, "m.ckpt"),
    (e: unknown) =>
      e instanceof UserError &&
      e.message ===
        "m.ckpt: embed.W has shape [3,2] but the model needs [4,2]; the checkpoint comes from a model of other sizes",
  );
  assert.deepEqual(Array.from(wrong.value), new Array(8).fill(0));
});

Deno.test("a running record from another host reads as crashed once its heartbeat is older than the timeout", async () => {
  const beat = Date.parse("2026-11-28T01:00:00.000Z");
  const rec = (fields: Partial<RunRecord>) =>
    ({
      status: "running",
      pid: 4242,
      hostname: `not-${Deno.hostname()}`,
      heartbeat_at: new Date(beat).toISOString(),
      ...fields,
    }) as RunRecord;
  const after = (s: number) => beat + s * 1000;
  assert.equal(HEARTBEAT_TIMEOUT_S, 300);
  assert.equal(effectiveStatus(rec({}), after(10)), "running");
  assert.equal(effectiveStatus(rec({}), after(HEARTBEAT_TIMEOUT_S)), "running");
  assert.equal(effectiveStatus(rec({}), after(HEARTBEAT_TIMEOUT_S + 1)), "crashed");
  // A stored final status is shown as it is, however old.
  assert.equal(effectiveStatus(rec({ status: "interrupted" }), after(10_000)), "interrupted");
  // On this host the process decides, not the heartbeat: this test's own process is alive...
  const here = Deno.hostname();
  assert.equal(effectiveStatus(rec({ hostname: here, pid: Deno.pid }), after(10_000)), "running");
  // ...and a process that has exited is not, however fresh its heartbeat.
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  assert.equal(effectiveStatus(rec({ hostname: here, pid: gone.pid }), after(1)), "crashed");
});

Deno.test("RNNLAB_CHECKPOINT_DIR keeps checkpoints outside the run directory, and resume finds them", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 3000, valid: 400, test: 400 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  await using outsideDir = await tempDir();
  const outside = outsideDir.path;
  Deno.env.set("RNNLAB_CHECKPOINT_DIR", outside);
  try {
    const hp = { corpus_size: "3000", max_epoch: "3" };
    const first = await run("ch05_simple_rnnlm", hp, { out, corpus, stopAfterIters: 70 });
    const rec = await readRunRecord(first.dir);
    assert.equal(rec.checkpoint_dir, `${outside}/ch05_simple_rnnlm/${rec.run_id}`);
    await Deno.stat(`${rec.checkpoint_dir}/last.safetensors`);
    await assert.rejects(Deno.stat(`${first.dir}/checkpoints`));
    const resumed = await run("ch05_simple_rnnlm", hp, { out, corpus, resume: first.dir });
    assert.equal(resumed.status, "completed");
    assert.equal(resumed.record.summary.epochs_completed, 3);
  } finally {
    Deno.env.delete("RNNLAB_CHECKPOINT_DIR");
  }
});
