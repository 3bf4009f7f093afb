/**
 * Runs an experiment and keeps its record: creates the run directory, writes `run.json` through
 * its status lifecycle, appends `metrics.jsonl`, saves checkpoints, handles SIGINT/SIGTERM and
 * divergence, and resumes a stopped run from its last checkpoint to the same curve.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { Rng, type RngState } from "../core/random.ts";
import { loadPtb } from "../data/ptb.ts";
import { firstTrainTokens, loadTextCorpus, type TextCorpusOptions } from "../data/corpus.ts";
import type { LanguageModel } from "../models/model.ts";
import { SGD } from "../optim/sgd.ts";
import { clipGrads } from "../optim/clip.ts";
import { setBlasThreads } from "../kernels/blas.ts";
import { evalPerplexity } from "../training/evaluate.ts";
import { afterEpoch } from "../training/schedule.ts";
import { Trainer, type TrainerState, type TrainReport } from "../training/trainer.ts";
import { loadCheckpoint, paramTensors, restoreParams, saveCheckpoint } from "./checkpoint.ts";
import { collectEnvironment, gitDiff } from "./environment.ts";
import type { Experiment, Hyperparameters, TrainPlan } from "../experiments/define.ts";
import { Progress } from "./progress.ts";
import {
  checkpointDir,
  createRunDir,
  emptySummary,
  type MetricLine,
  MetricsWriter,
  parseMetrics,
  readRunRecord,
  type ReferenceVerdict,
  type RunRecord,
  type RunSummary,
  SCHEMA_VERSION,
  type StoredStatus,
  writeFileAtomic,
  writeRunRecord,
} from "./record.ts";
import { writeCurveSvg } from "../views/plot_svg.ts";

/** Options of {@linkcode runExperiment}. */
export interface RunOptions {
  /** Root of the results tree (default `results`). */
  outDir: string;
  /** Print only the run directory. */
  quiet: boolean;
  /** PTB folder (the `--data-dir` option). */
  dataDir?: string;
  /** Train on this text corpus instead of PTB (the `--corpus` option). */
  corpus?: TextCorpusOptions;
  /** Where progress goes; default standard output. */
  print?: (line: string) => void;
  /** Draw a live progress line (default: when stdout is a terminal). */
  live?: boolean;
  /** Stop after this many training iterations in this process (tests use it to simulate interruption). */
  stopAfterIters?: number;
}

/** What a run ended as. */
export interface RunOutcome {
  /** The run directory, `<outDir>/<experiment>/<run-id>`. */
  dir: string;
  /** The status the run ended with. */
  status: StoredStatus;
  /** The process exit code the command line should use. */
  exitCode: number;
  /** The final contents of the run's `run.json`. */
  record: RunRecord;
}

/** Seconds between heartbeats in `run.json`, and between periodic checkpoints. */
const HEARTBEAT_S = 30;
const CHECKPOINT_S = 300;
/** The loop gives the event loop (signals, timers) a turn at least this often. */
const YIELD_MS = 50;

/** The data a run trains and scores on, with its vocabulary. */
export interface Prepared {
  xs: Int32Array;
  ts: Int32Array;
  valid: Int32Array;
  test: Int32Array;
  vocabSize: number;
  dataInfo: RunRecord["data"];
  idToWord: string[];
}

/**
 * Loads the corpus an experiment names (or the user's `--corpus`) and cuts it as the experiment
 * says: inputs/targets for training, valid and test ids, and the vocabulary.
 */
export async function prepareData(
  exp: Experiment,
  hp: Hyperparameters,
  opts: Pick<RunOptions, "dataDir" | "corpus">,
): Promise<Prepared> {
  const spec = exp.data(hp);
  const plan = exp.plan(hp);
  let train: Int32Array, vocabSize: number, corpus;
  if (opts.corpus) {
    corpus = await loadTextCorpus(opts.corpus);
    train = corpus.train;
    vocabSize = corpus.vocabSize;
    if (spec.trainTokens !== undefined) {
      ({ tokens: train, vocabSize } = firstTrainTokens(corpus, spec.trainTokens));
    }
  } else {
    // Tokenise only what the run uses (every file's checksum is still verified).
    corpus = await loadPtb({
      dataDir: opts.dataDir,
      splits: [
        "train",
        ...(plan.validEachEpoch ? ["valid" as const] : []),
        ...(plan.testAtEnd ? ["test" as const] : []),
      ],
      trainTokens: spec.trainTokens,
    });
    train = corpus.train;
    vocabSize = corpus.vocabSize;
  }
  return {
    xs: train.subarray(0, train.length - 1),
    ts: train.subarray(1),
    valid: corpus.valid,
    test: corpus.test,
    vocabSize,
    idToWord: corpus.idToWord.slice(0, vocabSize),
    dataInfo: {
      corpus: corpus.name,
      train_tokens: train.length,
      valid_tokens: corpus.valid.length,
      test_tokens: corpus.test.length,
      vocab_size: vocabSize,
      files: corpus.files.map((f) => ({ split: f.split, sha256: f.sha256 })),
      ...(opts.corpus ? { text_corpus: opts.corpus } : {}),
    },
  };
}

/**
 * The trainer a plan asks for: SGD at `plan.lr` with the plan's batching, clipping and evaluation
 * interval. Also sets OpenBLAS's thread count when the plan fixes one. The experiment runner and
 * `bench:train` both build their trainers here, so a benchmark times exactly what a run trains.
 *
 * @example
 * ```ts ignore
 * const trainer = planTrainer(model, experiment.plan(hp), xs, ts);
 * trainer.step(); // one iteration: loss, backward, clipping, update
 * ```
 */
export function planTrainer(
  model: LanguageModel,
  plan: TrainPlan,
  xs: Int32Array,
  ts: Int32Array,
): Trainer {
  if (plan.blasThreads !== undefined && plan.blasThreads > 0) setBlasThreads(plan.blasThreads);
  return new Trainer(model, new SGD(plan.lr), xs, ts, {
    batchSize: plan.batchSize,
    timeSize: plan.timeSize,
    maxGrad: plan.maxGrad,
    evalInterval: plan.evalInterval,
    wrap: plan.wrap,
    restartEachEpoch: plan.restartEachEpoch,
    clip: clipGrads,
  });
}

/** Compares the summary with the experiment's reference figure. */
export function referenceVerdict(exp: Experiment, summary: RunSummary): ReferenceVerdict {
  const ref = exp.reference;
  if (!ref) {
    return { verdict: "not_applicable", metric: null, value: null, band: null, source: null };
  }
  const value = summary[ref.metric];
  if (value === null) {
    return {
      verdict: "not_applicable",
      metric: ref.metric,
      value: null,
      band: ref.band,
      source: ref.source,
    };
  }
  const inside = value >= ref.band[0] && value <= ref.band[1];
  return {
    verdict: inside ? "within_band" : "outside_band",
    metric: ref.metric,
    value,
    band: ref.band,
    source: ref.source,
  };
}

/** The position of a run, stored in a checkpoint's metadata. */
interface RunPosition {
  trainer: TrainerState;
  rng: RngState;
  best_valid: number | null;
  metrics_lines: number;
  train_time_s: number;
  summary: RunSummary;
}

/** Scores `corpus` from a fresh state and leaves the state fresh, as the book does. */
function scoreCorpus(model: LanguageModel, corpus: Int32Array): number {
  model.resetState();
  const ppl = evalPerplexity(model, corpus);
  model.resetState();
  return ppl;
}

/**
 * Runs `exp` with resolved hyperparameters and seed, writing its record under
 * `opts.outDir/<experiment>/<run-id>/`; or, with `resumeDir`, continues that run.
 *
 * @example
 * ```ts ignore
 * const out = await runExperiment(experiment, expUrl, hp, {}, 1, { outDir: "results", quiet: false });
 * console.log(out.dir, out.record.summary.final_train_ppl);
 * ```
 */
export async function runExperiment(
  exp: Experiment,
  expUrl: URL,
  hp: Hyperparameters,
  overrides: Record<string, number | boolean>,
  seed: number,
  opts: RunOptions,
  resumeDir?: string,
): Promise<RunOutcome> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const say = opts.quiet ? () => {} : print;
  const plan: TrainPlan = exp.plan(hp);

  // Everything that can fail on bad input happens before the run directory exists.
  const data = await prepareData(exp, hp, opts);
  const rng = new Rng(seed);
  const model = exp.model(hp, data.vocabSize, rng);
  const trainer = planTrainer(model, plan, data.xs, data.ts);
  if (trainer.itersPerEpoch < 1) {
    throw new UserError(
      `the training corpus (${data.xs.length + 1} tokens) is shorter than one batch of ` +
        `${plan.batchSize} x ${plan.timeSize} + 1; lower --batch-size or --time-size`,
    );
  }
  const scored: [string, Int32Array, boolean][] = [
    ["valid", data.valid, plan.validEachEpoch],
    ["test", data.test, plan.testAtEnd],
  ];
  for (const [split, ids, needed] of scored) {
    if (needed && ids.length < 351) {
      throw new UserError(
        `the ${split} split has ${ids.length} tokens, fewer than one evaluation window ` +
          `(10 x 35 + 1 = 351); give the corpus a longer ${split} part`,
      );
    }
  }

  let dir: string;
  let record: RunRecord;
  let position: RunPosition | null = null;
  const environment = await collectEnvironment(expUrl);
  const nowIso = () => new Date().toISOString();

  if (resumeDir) {
    dir = resumeDir;
    record = await readRunRecord(dir);
    const ckptPath = `${checkpointDir(dir, record)}/last.ckpt`;
    const ckpt = await loadCheckpoint(ckptPath);
    restoreParams(model.params, ckpt, ckptPath);
    const state = [...ckpt.tensors.values()].filter((t) => t.name.startsWith("state."));
    if (state.length > 0) model.setState(state.map((t) => t.data.slice()));
    position = ckpt.meta as unknown as RunPosition;
    trainer.setState(position.trainer);
    rng.setState(position.rng);
    // Drop metric lines written after the checkpoint (a crash between checkpoint and exit).
    const text = await Deno.readTextFile(`${dir}/metrics.jsonl`).catch(() => "");
    const kept = parseMetrics(text).lines.slice(0, position.metrics_lines);
    await writeFileAtomic(
      `${dir}/metrics.jsonl`,
      kept.map((l) => JSON.stringify(l) + "\n").join(""),
    );
    record.status = "running";
    record.exit_reason = null;
    record.finished_at = null;
    record.pid = Deno.pid;
    record.hostname = Deno.hostname();
    // The record keeps the environment the run started in; each resume notes its own.
    record.resumes = [...(record.resumes ?? []), {
      at: nowIso(),
      from_iteration: position.trainer.totalIters,
      pid: Deno.pid,
      environment,
    }];
    record.heartbeat_at = nowIso();
  } else {
    const created = await createRunDir(opts.outDir, exp.name);
    dir = created.dir;
    const started = nowIso();
    record = {
      schema_version: SCHEMA_VERSION,
      experiment: exp.name,
      run_id: created.runId,
      status: "running",
      exit_reason: null,
      pid: Deno.pid,
      hostname: Deno.hostname(),
      heartbeat_at: started,
      seed,
      hyperparameters: hp,
      overrides,
      resumes: [],
      started_at: started,
      finished_at: null,
      data: data.dataInfo,
      environment,
      summary: emptySummary(),
      reference: referenceVerdict(exp, emptySummary()),
    };
    const outside = envOr("RNNLAB_CHECKPOINT_DIR");
    if (outside) record.checkpoint_dir = `${outside}/${exp.name}/${created.runId}`;
  }
  const ckptDir = checkpointDir(dir, record);
  if (environment.git.dirty) {
    const diff = await gitDiff();
    const name = resumeDir ? `diff.resume-${record.resumes.length}.patch` : "diff.patch";
    if (diff) await writeFileAtomic(`${dir}/${name}`, diff);
  }
  await writeRunRecord(dir, record);

  const metrics = await MetricsWriter.open(dir);
  const lines: MetricLine[] = resumeDir ? await readMetricLines(dir) : [];
  const summary: RunSummary = position ? { ...position.summary } : emptySummary();
  let bestValid: number | null = position?.best_valid ?? null;
  const priorTrainTime = position?.train_time_s ?? 0;
  const t0 = performance.now();
  const trainSeconds = () => priorTrainTime + (performance.now() - t0) / 1000;
  const tokensPerIter = plan.batchSize * plan.timeSize;

  const append = (line: MetricLine) => {
    metrics.append(line);
    lines.push(line);
  };
  const saveLast = async () => {
    await Deno.mkdir(ckptDir, { recursive: true });
    const pos: RunPosition = {
      trainer: trainer.getState(),
      rng: rng.getState(),
      best_valid: bestValid,
      metrics_lines: lines.length,
      train_time_s: trainSeconds(),
      summary,
    };
    const state = model.getState().map((data, i) => ({
      name: `state.${i}`,
      shape: [data.length],
      data,
    }));
    await saveCheckpoint(
      `${ckptDir}/last.ckpt`,
      [...paramTensors(model.params), ...state],
      pos as unknown as Record<string, unknown>,
    );
  };

  // Signals only set a flag; the loop notices it at its next turn and stops cleanly.
  let signal: string | null = null;
  const handlers: [Deno.Signal, () => void][] = [];
  for (const sig of ["SIGINT", "SIGTERM"] as Deno.Signal[]) {
    const h = () => (signal = sig);
    try {
      Deno.addSignalListener(sig, h);
      handlers.push([sig, h]);
    } catch { /* signals not supported on this platform */ }
  }

  const progress = new Progress({
    print: say,
    live: !opts.quiet && (opts.live ?? Deno.stdout.isTerminal()),
    itersPerEpoch: trainer.itersPerEpoch,
    maxEpoch: plan.maxEpoch,
    tokensPerIter,
  });

  let status: StoredStatus = "completed";
  let exitReason = "completed";
  let lastBeat = performance.now();
  let lastCkpt = performance.now();
  let itersThisProcess = 0;
  // Times, iterations and throughput so far, as of `at` (a running record shows them too).
  const timedSummary = (at: string): RunSummary => {
    const train_time_s = round(trainSeconds(), 3);
    const iterations = trainer.getState().totalIters;
    return {
      ...summary,
      iterations,
      train_time_s,
      tokens_per_sec: train_time_s > 0
        ? Math.round((iterations * tokensPerIter) / train_time_s)
        : null,
      wall_time_s: round((Date.parse(at) - Date.parse(record.started_at)) / 1000, 3),
    };
  };
  const heartbeat = async () => {
    record.heartbeat_at = nowIso();
    record.summary = timedSummary(record.heartbeat_at);
    await writeRunRecord(dir, record);
  };

  try {
    outer: while (trainer.epoch < plan.maxEpoch) {
      // Run the epoch in slices so that signals and the heartbeat get their turn.
      let outcome;
      for (;;) {
        const sliceEnd = performance.now() + YIELD_MS;
        outcome = trainer.runEpoch({
          shouldStop: () =>
            performance.now() > sliceEnd ||
            (opts.stopAfterIters !== undefined && itersThisProcess >= opts.stopAfterIters),
          onIteration: (iter) => {
            itersThisProcess++;
            progress.iteration(trainer.epoch + 1, iter, trainSeconds());
          },
          onInterval: (r) => {
            append(metricLine("interval", r, trainSeconds(), tokensPerIter));
            progress.interval(r, trainSeconds());
          },
        });
        if (outcome.kind !== "stopped") break;
        if (opts.stopAfterIters !== undefined && itersThisProcess >= opts.stopAfterIters) {
          signal = "SIGINT";
        }
        await new Promise((r) => setTimeout(r, 0));
        if (signal) {
          status = "interrupted";
          exitReason = `interrupted by ${signal} at iteration ${trainer.getState().totalIters}`;
          break outer;
        }
        if (performance.now() - lastBeat > HEARTBEAT_S * 1000) {
          lastBeat = performance.now();
          await heartbeat();
        }
      }
      if (outcome.kind === "diverged") {
        status = "diverged";
        exitReason = `loss became ${outcome.loss} at iteration ${outcome.iteration}; ` +
          divergenceAdvice(exp, plan);
        break;
      }
      const report = outcome.report;
      const line = metricLine("epoch", report, trainSeconds(), tokensPerIter);
      summary.epochs_completed = report.epoch;
      summary.iterations = report.totalIters;
      summary.final_train_ppl = report.ppl;
      summary.best_train_ppl = Math.min(
        summary.best_train_ppl ?? Infinity,
        summary.final_train_ppl,
      );
      if (plan.validEachEpoch) {
        const valid = scoreCorpus(model, data.valid);
        line.valid_ppl = valid;
        summary.final_valid_ppl = line.valid_ppl;
        const next = afterEpoch(plan.lrDecay, { bestValid, lr: trainer.optimizer.lr }, valid);
        bestValid = next.bestValid;
        trainer.optimizer.lr = next.lr;
        if (next.improved) {
          summary.best_valid_ppl = line.valid_ppl;
          await Deno.mkdir(ckptDir, { recursive: true });
          await saveCheckpoint(`${ckptDir}/best.ckpt`, paramTensors(model.params), {
            epoch: report.epoch,
            valid_ppl: valid,
          });
        }
      }
      append(line);
      progress.epoch(line);
      if (performance.now() - lastCkpt > CHECKPOINT_S * 1000 || plan.validEachEpoch) {
        lastCkpt = performance.now();
        await saveLast();
        await heartbeat();
      }
    }
    if (status === "completed" && plan.testAtEnd) {
      summary.test_ppl = scoreCorpus(model, data.test);
      say(`test perplexity (final parameters): ${summary.test_ppl.toFixed(2)}`);
      if (plan.validEachEpoch && bestValid !== null) {
        const finalValues = model.params.map((p) => p.value.slice());
        const best = await loadCheckpoint(`${ckptDir}/best.ckpt`);
        restoreParams(model.params, best);
        summary.test_ppl_best = scoreCorpus(model, data.test);
        model.params.forEach((p, i) => p.value.set(finalValues[i]));
        say(`test perplexity (best-by-valid parameters): ${summary.test_ppl_best.toFixed(2)}`);
      }
    }
  } catch (e) {
    status = "failed";
    exitReason = e instanceof Error ? e.message : String(e);
    throw e;
  } finally {
    progress.done();
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    metrics.close();
    record.finished_at = nowIso();
    Object.assign(summary, timedSummary(record.finished_at));
    record.status = status;
    record.exit_reason = exitReason;
    record.summary = summary;
    record.reference = referenceVerdict(exp, summary);
    record.heartbeat_at = record.finished_at;
    if (status !== "failed") await saveLast();
    await writeRunRecord(dir, record);
    await writeCurveSvg(`${dir}/curve.svg`, record, lines);
  }
  if (status === "diverged") print(`diverged: ${exitReason}`);
  if (status === "interrupted") {
    say(`interrupted; resume with: deno task experiment --resume ${dir}`);
  }
  const exitCode = status === "completed"
    ? 0
    : status === "interrupted"
    ? (signal === "SIGTERM" ? 143 : 130)
    : 3;
  return { dir, status, exitCode, record };
}

function envOr(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

async function readMetricLines(dir: string): Promise<MetricLine[]> {
  const text = await Deno.readTextFile(`${dir}/metrics.jsonl`).catch(() => "");
  return parseMetrics(text).lines;
}

function metricLine(
  kind: "epoch" | "interval",
  r: TrainReport,
  elapsed: number,
  tokensPerIter: number,
): MetricLine {
  return {
    kind,
    epoch: r.epoch,
    iter: r.iter,
    total_iters: r.totalIters,
    ppl: r.ppl,
    lr: r.lr,
    elapsed_s: round(elapsed, 3),
    tokens_per_sec: elapsed > 0 ? Math.round((r.totalIters * tokensPerIter) / elapsed) : undefined,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * What to change after a divergence, naming only options the experiment accepts: a lower
 * `--lr`, and `--max-grad` (lower, or turned on) where the experiment has it.
 */
function divergenceAdvice(exp: Experiment, plan: TrainPlan): string {
  const lr = "lr" in exp.hyperparameters ? "lower --lr" : "lower the learning rate";
  if (!("max_grad" in exp.hyperparameters)) return lr;
  return plan.maxGrad === null ? `${lr} or clip gradients (--max-grad)` : `${lr} or --max-grad`;
}
