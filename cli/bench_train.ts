/**
 * `deno task bench:train <experiment> [--iters N] [--warmup N] [--json]`: times training
 * iterations of an experiment's model with its default hyperparameters on PTB's training data.
 *
 * Prints the median milliseconds per iteration and tokens/s, the matmul GFLOP per iteration
 * (counted analytically from the model's shapes, and next to the flops the sgemm wrapper counts
 * on the main thread: the helper worker's chunks of a split LSTM loop are not among them), the
 * achieved GFLOP/s next to the sgemm peak measured in the same process (the median of 1024^3
 * products on all of OpenBLAS's threads, measured before and after training, whichever is
 * higher), the time split by phase ({@linkcode startPhaseTimer}) and the peak RSS.
 * With `--json` the last line is one JSON object with keys `ms_per_iter`, `tokens_per_sec`,
 * `gflop_per_iter`, `achieved_gflops`, `sgemm_peak_gflops`, `phases` (ms per iteration by phase)
 * and `peak_rss_mb`.
 *
 * ```
 * PTB_DIR=/work/shared/data/ptb deno task bench:train ch06_rnnlm --iters 50
 * deno task bench:train ch05_simple_rnnlm --json
 * ```
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import { blasInfo, blasThreads, setBlasThreads, sgemm } from "../kernels/blas.ts";
import {
  PHASE_NAMES,
  phaseFlops,
  phaseTotals,
  startPhaseTimer,
  stopPhaseTimer,
} from "../kernels/phase_timer.ts";
import { BetterRnnlm } from "../models/better_rnnlm.ts";
import { GruRnnlm } from "../models/gru_rnnlm.ts";
import type { LanguageModel } from "../models/model.ts";
import { Rnnlm } from "../models/rnnlm.ts";
import { SimpleRnnlm } from "../models/simple_rnnlm.ts";
import { resolveHyperparameters } from "../experiments/define.ts";
import { loadExperiment } from "../experiments/mod.ts";
import { loadRunData } from "../run/data.ts";
import { Trainer } from "../training/trainer.ts";
import { parseCliArgs, runCli } from "./main.ts";

const USAGE =
  "deno task bench:train <experiment> [--iters N] [--warmup N] [--seed N] [--data-dir DIR] [--json]";

/** Everything `bench:train` measures. */
export interface TrainBenchResult {
  experiment: string;
  iters: number;
  ms_per_iter: number;
  ms_per_iter_min: number;
  tokens_per_sec: number;
  gflop_per_iter: number;
  gflop_per_iter_counted: number;
  achieved_gflops: number;
  sgemm_peak_gflops: number;
  /** Milliseconds per iteration spent in each phase (mean over a timed pass). */
  phases: Record<string, number>;
  peak_rss_mb: number;
  blas: string;
  loadavg: number[] | null;
}

/**
 * Matmul flops of one training iteration (forward, backward) of `model` for `R = N * T` rows,
 * counted from its shapes: every product appears three times (forward, input gradient, weight
 * gradient), `2 m n k` flops each.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@rnnlab/rnnlab";
 * import { SimpleRnnlm } from "@rnnlab/rnnlab";
 * import { matmulFlopsPerIter } from "./bench_train.ts";
 * const flops = matmulFlopsPerIter(new SimpleRnnlm(418, 100, 100, new Rng(1)), 50);
 * assert.ok(Math.abs(flops / 1e9 - 0.019) < 0.001); // docs/references.md#matmul-flops-per-iteration
 * ```
 */
export function matmulFlopsPerIter(model: LanguageModel, R: number): number {
  const six = (d: number, w: number) => 6 * R * d * w;
  if (model instanceof SimpleRnnlm) {
    const D = model.rnn.inputSize, H = model.rnn.hiddenSize;
    return six(D, H) + six(H, H) + six(H, model.V);
  }
  if (model instanceof Rnnlm) {
    const D = model.lstm.inputSize, H = model.lstm.hiddenSize;
    return six(D, 4 * H) + six(H, 4 * H) + six(H, model.V);
  }
  if (model instanceof BetterRnnlm) {
    let f = six(model.affine.H, model.V);
    for (const l of model.lstms) {
      f += six(l.inputSize, 4 * l.hiddenSize) + six(l.hiddenSize, 4 * l.hiddenSize);
    }
    return f;
  }
  if (model instanceof GruRnnlm) {
    const D = model.gru.inputSize, H = model.gru.hiddenSize;
    return six(D, 3 * H) + six(H, 3 * H) + six(H, model.V);
  }
  return NaN;
}

/**
 * Median GFLOP/s of `reps` single-precision `size^3` products (after two warm-up calls).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sgemmPeakGflops } from "./bench_train.ts";
 * const gflops = sgemmPeakGflops(256, 3); // the benchmark's own: sgemmPeakGflops(1024, 11)
 * assert.ok(Number.isFinite(gflops) && gflops > 0);
 * ```
 */
export function sgemmPeakGflops(size = 1024, reps = 11): number {
  const a = new Float32Array(size * size).fill(0.5);
  const b = new Float32Array(size * size).fill(0.25);
  const c = new Float32Array(size * size);
  const times: number[] = [];
  for (let r = 0; r < reps + 2; r++) {
    const t0 = performance.now();
    sgemm(false, false, size, size, size, 1, a, size, b, size, 0, c, size);
    if (r >= 2) times.push(performance.now() - t0);
  }
  return (2 * size ** 3) / (median(times) / 1000) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Peak resident set size in MB: VmHWM of this process (via `cat`), else the sampled maximum. */
function peakRssMb(sampledMax: number): number {
  try {
    const out = new Deno.Command("cat", {
      args: [`/proc/${Deno.pid}/status`],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const m = /VmHWM:\s+(\d+) kB/.exec(new TextDecoder().decode(out.stdout));
    if (m) return Number(m[1]) / 1024;
  } catch { /* fall back to the samples */ }
  return sampledMax / 2 ** 20;
}

function loadAvg(): number[] | null {
  try {
    return Deno.loadavg();
  } catch {
    return null;
  }
}

/** Runs the benchmark for experiment `name`. */
export async function benchTrain(
  name: string,
  options: {
    iters?: number;
    warmup?: number;
    seed?: number;
    dataDir?: string;
    log?: (s: string) => void;
  },
): Promise<TrainBenchResult> {
  const log = options.log ?? (() => {});
  const { experiment } = loadExperiment(name);
  const hp = resolveHyperparameters(experiment, {});
  const plan = experiment.plan(hp);
  // The data a run of this experiment trains on, loaded as the run loads it.
  const data = await loadRunData(experiment.data(hp), plan, { dataDir: options.dataDir });
  const vocabSize = data.vocabSize;
  const model = experiment.model(hp, vocabSize, new Rng(options.seed ?? experiment.seed));
  // The peak is the machine's: measured on all the threads OpenBLAS starts with, before the plan
  // may lower them, and again after training; the higher of the two is the reference.
  const machineThreads = blasThreads();
  const peakBefore = sgemmPeakGflops();
  if (plan.blasThreads > 0) setBlasThreads(plan.blasThreads);
  const trainer = new Trainer(model, plan, data.xs, data.ts);
  const R = plan.batchSize * plan.timeSize;
  let rssMax = 0;
  const sampleRss = () => {
    const r = Deno.memoryUsage().rss;
    if (r > rssMax) rssMax = r;
  };

  // Warm-up: at least `warmup` iterations and at least 0.5 s (JIT, BLAS threads, page faults).
  const t0 = performance.now();
  let warm = 0;
  const minWarm = options.warmup ?? 3;
  while (warm < minWarm || (performance.now() - t0 < 500 && warm < 10000)) {
    trainer.step();
    warm++;
  }
  sampleRss();
  const perIter = (performance.now() - t0) / warm;
  const iters = options.iters ?? Math.max(5, Math.min(5000, Math.round(4000 / perIter)));
  log(
    `${name}: N=${plan.batchSize} T=${plan.timeSize} V=${vocabSize}; ${warm} warm-up iterations, timing ${iters}`,
  );

  const times = new Float64Array(iters);
  for (let i = 0; i < iters; i++) {
    const s = performance.now();
    trainer.step();
    times[i] = performance.now() - s;
    if ((i & 15) === 0) sampleRss();
  }
  const ms = median([...times]);

  // A second pass with the phase timer on, for the split (a few performance.now() calls more).
  const phaseIters = Math.max(3, Math.min(iters, Math.round(iters / 2)));
  startPhaseTimer();
  const p0 = performance.now();
  for (let i = 0; i < phaseIters; i++) trainer.step();
  const phaseWall = performance.now() - p0;
  stopPhaseTimer();
  sampleRss();
  const totals = phaseTotals();
  const phases: Record<string, number> = {};
  for (const k of PHASE_NAMES) phases[k] = round(totals[k] / phaseIters, 4);
  phases.total = round(phaseWall / phaseIters, 4);
  const counted = phaseFlops() / phaseIters;
  const flops = matmulFlopsPerIter(model, R);

  const trainThreads = blasThreads();
  setBlasThreads(machineThreads);
  const peak = Math.max(peakBefore, sgemmPeakGflops());
  setBlasThreads(trainThreads);
  const info = blasInfo();
  return {
    experiment: name,
    iters,
    ms_per_iter: round(ms, 4),
    ms_per_iter_min: round(Math.min(...times), 4),
    tokens_per_sec: Math.round(R / (ms / 1000)),
    gflop_per_iter: round(flops / 1e9, 4),
    gflop_per_iter_counted: round(counted / 1e9, 4),
    achieved_gflops: round(flops / 1e9 / (ms / 1000), 2),
    sgemm_peak_gflops: round(peak, 1),
    phases,
    peak_rss_mb: round(peakRssMb(rssMax), 1),
    blas: `${info.core}, training on ${trainThreads} thread(s), peak on ${machineThreads}`,
    loadavg: loadAvg(),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Entry point; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCliArgs({
    args,
    options: {
      iters: { type: "string" },
      warmup: { type: "string" },
      seed: { type: "string" },
      "data-dir": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  }, USAGE);
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(`usage: ${USAGE}`);
    return 0;
  }
  if (positionals.length !== 1) throw new UserError(`name one experiment; usage: ${USAGE}`);
  const int = (flag: string, raw: string | undefined, min: number) => {
    if (raw === undefined) return undefined;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min) {
      throw new UserError(`--${flag} ${raw}: must be an integer >= ${min}`);
    }
    return v;
  };
  const r = await benchTrain(positionals[0], {
    iters: int("iters", values.iters, 1),
    warmup: int("warmup", values.warmup, 0),
    seed: int("seed", values.seed, 0),
    dataDir: values["data-dir"],
    log: (s) => console.log(s),
  });
  const pct = (v: number) => `${((100 * v) / r.phases.total).toFixed(1)}%`;
  console.log(
    `ms/iter (median of ${r.iters}): ${r.ms_per_iter.toFixed(3)} (min ${
      r.ms_per_iter_min.toFixed(3)
    })`,
  );
  console.log(`tokens/s: ${r.tokens_per_sec}`);
  console.log(
    `matmul GFLOP/iter: ${r.gflop_per_iter} (main thread's sgemm calls: ${r.gflop_per_iter_counted})`,
  );
  console.log(
    `achieved GFLOP/s: ${r.achieved_gflops} of sgemm peak ${r.sgemm_peak_gflops} ` +
      `(${((100 * r.achieved_gflops) / r.sgemm_peak_gflops).toFixed(1)}%; ${r.blas})`,
  );
  console.log("phases (ms/iter, timed pass):");
  for (const k of [...PHASE_NAMES, "total"]) {
    console.log(`  ${k.padEnd(13)} ${r.phases[k].toFixed(3).padStart(10)}  ${pct(r.phases[k])}`);
  }
  const named = PHASE_NAMES.reduce((s, k) => s + r.phases[k], 0);
  console.log(`  the named phases cover ${pct(named)} of the timed pass`);
  console.log(
    `peak RSS: ${r.peak_rss_mb} MB; load average: ${
      r.loadavg?.map((x) => x.toFixed(2)).join(" ") ?? "n/a"
    }`,
  );
  if (values.json) console.log(JSON.stringify(r));
  return 0;
}

if (import.meta.main) await runCli(() => main(Deno.args));
