/**
 * `bench:train` in-process: what it reports for chapter 5's configuration, and that it times the
 * trainer a run would train (the same plan, OpenBLAS threads included).
 */
import assert from "node:assert/strict";
import { Rng } from "../core/random.ts";
import { blasThreads, setBlasThreads } from "../kernels/blas.ts";
import { SimpleRnnlm } from "../models/simple_rnnlm.ts";
import { benchTrain, matmulFlopsPerIter } from "../cli/bench_train.ts";
import { HAVE_PTB, ptbDir } from "./fixtures.ts";

Deno.test("matmulFlopsPerIter: 0.019 GFLOP for chapter 5 (docs/references.md#matmul-flops-per-iteration), three products per weight", () => {
  const model = new SimpleRnnlm(418, 100, 100, new Rng(1));
  const R = 50; // N = 10, T = 5
  assert.equal(matmulFlopsPerIter(model, R), 6 * R * (100 * 100 + 100 * 100 + 100 * 418));
});

Deno.test({
  name:
    "benchTrain ch05: flops match the sgemm calls, every phase is reported, the plan's single thread is used",
  ignore: !HAVE_PTB,
  fn: async () => {
    const threads = blasThreads();
    try {
      const r = await benchTrain("ch05_simple_rnnlm", {
        iters: 20,
        warmup: 2,
        dataDir: ptbDir()!,
      });
      assert.equal(r.experiment, "ch05_simple_rnnlm");
      assert.equal(r.iters, 20);
      // 0.0185 GFLOP per iteration, all of it in main-thread sgemm calls (no split loop here).
      assert.equal(r.gflop_per_iter, 0.0185);
      assert.ok(Math.abs(r.gflop_per_iter_counted - r.gflop_per_iter) < 1e-3);
      // The figures derived from the measured time agree with it. How long anything takes, and
      // how the times relate (achieved below peak, phases adding up), is for `deno task bench`:
      // it depends on the machine and its load, so no test asserts it.
      assert.ok(r.ms_per_iter > 0 && r.ms_per_iter_min <= r.ms_per_iter);
      const tokens = 50 / (r.ms_per_iter / 1000); // N * T rows per iteration
      assert.ok(Math.abs(r.tokens_per_sec - tokens) / tokens < 1e-3, `${r.tokens_per_sec}`);
      const gflops = r.gflop_per_iter / (r.ms_per_iter / 1000); // from rounded figures: 1 %
      assert.ok(Math.abs(r.achieved_gflops - gflops) / gflops < 0.01, `${r.achieved_gflops}`);
      assert.ok(r.sgemm_peak_gflops > 0);
      const named = Object.entries(r.phases).filter(([k]) => k !== "total");
      assert.deepEqual(named.map(([k]) => k).sort(), [
        "clip_sgd",
        "dropout",
        "embedding",
        "matmul",
        "other",
        "recurrent",
        "softmax_loss",
      ]);
      assert.ok(r.phases.matmul > 0 && r.phases.softmax_loss > 0);
      assert.equal(r.phases.dropout, 0);
      // ch05 declares blas_threads 1: the benchmark trains as the run would.
      assert.match(r.blas, /training on 1 thread\(s\), peak on \d+/);
      assert.ok(r.peak_rss_mb > 10);
    } finally {
      setBlasThreads(threads);
    }
  },
});
