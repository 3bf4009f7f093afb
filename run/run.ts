/**
 * Starting and resuming runs: the two ways a run record comes to life.
 *
 * {@linkcode startRun} loads the data, builds the model and the trainer, creates a fresh run
 * directory (`<out>/<experiment>/<run-id>`) and takes its lock, checks that the run and checkpoint
 * folders can be written, then trains ({@linkcode runLoop}) and writes the final record.
 * {@linkcode resumeRun} takes the lock of a stopped run, checks that its data is the data it was
 * made with, restores its last checkpoint and carries on to the same curve.
 *
 * Every check that can fail on bad input happens before the run directory exists, so a refused
 * run leaves nothing behind. A stop signal, a divergence or a failure ends the run with a record
 * that says so; only a completed run says `completed`.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import { setBlasThreads } from "../kernels/blas.ts";
import type { LanguageModel } from "../models/model.ts";
import { Trainer } from "../training/trainer.ts";
import type { TrainPlan } from "../training/plan.ts";
import type { Experiment, Hyperparameters } from "../experiments/define.ts";
import { loadExperiment } from "../experiments/mod.ts";
import { loadCheckpoint, restoreParams } from "./checkpoint.ts";
import {
  assertSameData,
  type DataSource,
  loadRunData,
  recordedDataSource,
  type RunData,
} from "./data.ts";
import { collectEnvironment } from "./environment.ts";
import { RunLock } from "./lock.ts";
import { checkRunMemory, estimateRunMemory } from "./memory.ts";
import { applyPin, type Pin, pinRecordedEnvironment } from "./pin.ts";
import { referenceVerdict } from "./reference.ts";
import { type LoopEnd, runLoop, timedSummary } from "./loop.ts";
import { Progress, safePrint } from "./progress.ts";
import {
  checkpointPath,
  emptySummary,
  type MetricLine,
  parseMetrics,
  readRunRecord,
  type RunRecord,
  type RunSummary,
  type StoredStatus,
} from "./record.ts";
import { type RunPosition, RunSession } from "./session.ts";
import { DIVERGED_EXIT_CODE, refuseIfStopped, stopExitCode, StopSignals } from "./stop.ts";
import { writeError, writeFileAtomic } from "../core/files.ts";

/** How a run talks to the person who started it. */
export interface RunIo {
  /** Where progress lines go; default standard output. */
  print?: (line: string) => void;
  /** Print only what must be said (a divergence), not the progress. */
  quiet?: boolean;
  /** Draw a live progress line (default: when standard output is a terminal). */
  live?: boolean;
  /** Stop after this many training iterations in this process (tests simulate an interruption). */
  stopAfterIters?: number;
}

/**
 * What starting a run needs, whatever computes it (`E`: a neural {@linkcode Experiment} here, an
 * n-gram one for `startNgramRun`): the experiment, its resolved settings, where to write.
 */
export interface StartOptions<E> {
  /** The experiment to run. */
  experiment: E;
  /** Its resolved hyperparameters ({@linkcode resolveHyperparameters}). */
  hyperparameters: Hyperparameters;
  /** The hyperparameters given on the command line (recorded as such). */
  overrides?: Record<string, number | boolean>;
  /** The seed of every random choice (recorded even where nothing is drawn). */
  seed: number;
  /** Root of the results tree, e.g. `results`. */
  out: string;
  /** The run directory's name, chosen beforehand (a sweep's); default a fresh time-stamped id. */
  runId?: string;
  /** Where the data comes from (PTB folder, a built-in corpus, or the user's files). */
  data?: DataSource;
  /** Where progress lines go; default standard output. */
  print?: (line: string) => void;
  /** Print only what must be said (a divergence), not the progress. */
  quiet?: boolean;
  /**
   * The record this run reproduces (`reproduce`): its data must be the same files, and a neural
   * run computes with the record's kernels, threads and worker count where this machine can.
   */
  reproduces?: { record: RunRecord; dir: string };
}

/** What {@linkcode startRun} needs. */
export interface StartRunOptions extends StartOptions<Experiment>, RunIo {}

/** What {@linkcode resumeRun} needs besides the run directory. */
export interface ResumeRunOptions extends RunIo {
  /** The PTB folder, when it is not where it was found before. */
  dataDir?: string;
}

/** What a run ended as. */
export interface RunOutcome {
  /** The run directory, `<out>/<experiment>/<run-id>`. */
  dir: string;
  /** The status the run ended with. */
  status: StoredStatus;
  /** The process exit code the command line should use. */
  exitCode: number;
  /** The final contents of the run's `run.json`. */
  record: RunRecord;
  /** For a resumed or reproducing run: whether the recorded environment was pinned, and why not. */
  pin: Pin | null;
}

/**
 * Runs an experiment from the start and writes its record under `out/<experiment>/<run-id>/`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment, readMetrics, resolveHyperparameters, startRun } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/train.txt`, "the cat sat on the mat\n".repeat(100));
 * const { experiment } = loadExperiment("ch05_simple_rnnlm");
 * const hyperparameters = resolveHyperparameters(experiment, {
 *   corpus_size: "700",
 *   wordvec_size: "16",
 *   hidden_size: "16",
 *   lr: "1",
 *   max_epoch: "10",
 * });
 * const out = await startRun({
 *   experiment,
 *   hyperparameters,
 *   seed: 1,
 *   out: `${dir}/results`,
 *   data: { corpus: { train: `${dir}/train.txt` } }, // without it: PTB
 *   quiet: true,
 * });
 * assert.equal(out.status, "completed");
 * assert.equal(out.exitCode, 0);
 * assert.ok(out.dir.startsWith(`${dir}/results/ch05_simple_rnnlm/`));
 * assert.equal(out.record.summary.epochs_completed, 10);
 * assert.ok(out.record.summary.final_train_ppl! < 1.1); // it has learnt the sentence
 * assert.equal((await readMetrics(out.dir)).length, 10); // one line per epoch
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function startRun(o: StartRunOptions): Promise<RunOutcome> {
  using stop = await StopSignals.listen();
  const startedAt = new Date();
  const exp = o.experiment, hp = o.hyperparameters;
  const plan = exp.plan(hp);
  const from = o.reproduces;
  let pin = from ? pinRecordedEnvironment(from.record.environment, from.dir) : null;
  applyThreads(plan);
  if (pin && from) pin = applyPin(pin, from.record.environment);
  const data = await loadRunData(exp.data(hp), plan, o.data ?? {});
  if (from) assertSameData(from.record, data, from.dir);
  const memory = estimateRunMemory(exp, hp, plan, data.vocabSize);
  checkRunMemory(exp.name, memory);
  refuseIfStopped(stop.requested);
  const rng = new Rng(o.seed);
  const model = exp.model(hp, data.vocabSize, rng);
  const trainer = new Trainer(model, plan, data.xs, data.ts);
  const { url } = loadExperiment(exp.name);
  const environment = await collectEnvironment(url);
  refuseIfStopped(stop.requested);

  // The folders must take a record and a whole checkpoint before any training: a read-only or
  // full disk fails here, and the half-made run directory goes.
  const fields = {
    experiment: exp,
    seed: o.seed,
    hyperparameters: hp,
    overrides: o.overrides,
    data: data.info,
    environment,
    memoryBytes: memory.total,
    startedAt,
  };
  const session = await RunSession.start(o.out, fields, {
    runId: o.runId,
    purpose: "training",
    checkpointRoot: envOr("RNNLAB_CHECKPOINT_DIR"),
    prepare: async (s) => {
      await s.prepareCheckpoints();
      await s.saveLast(model, {
        trainer: trainer.getState(),
        rng: rng.getState(),
        metrics_lines: 0,
        train_time_s: 0,
        summary: emptySummary(),
        pending_epoch: null,
      });
    },
  });
  return await execute(exp, plan, model, trainer, rng, data, session, stop, o, {
    summary: emptySummary(),
    pending: null,
    priorTrainSeconds: 0,
  }, pin);
}

/**
 * Continues a stopped (interrupted, crashed or failed) run from its last checkpoint, with the
 * settings it was started with, to the curve an uninterrupted run draws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment, resolveHyperparameters, resumeRun, startRun } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/train.txt`, "the cat sat on the mat\n".repeat(100));
 * const { experiment } = loadExperiment("ch05_simple_rnnlm");
 * const hyperparameters = resolveHyperparameters(experiment, {
 *   corpus_size: "700",
 *   hidden_size: "16",
 *   max_epoch: "5",
 * });
 * const data = { corpus: { train: `${dir}/train.txt` } };
 * const run = { experiment, hyperparameters, seed: 1, out: `${dir}/results`, data, quiet: true };
 * const stopped = await startRun({ ...run, stopAfterIters: 30 }); // as if stopped by Ctrl-C
 * assert.equal(stopped.status, "interrupted");
 * const resumed = await resumeRun(stopped.dir, { quiet: true });
 * assert.equal(resumed.status, "completed");
 * assert.equal(resumed.record.resumes.length, 1);
 * const whole = await startRun(run); // never stopped: the very same curve
 * assert.equal(resumed.record.summary.final_train_ppl, whole.record.summary.final_train_ppl);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function resumeRun(dir: string, o: ResumeRunOptions = {}): Promise<RunOutcome> {
  using stop = await StopSignals.listen();
  let record = await readRunRecord(dir);
  if (record.status === "completed") {
    throw new UserError(`${dir} has already completed; nothing to resume`);
  }
  const lock = RunLock.acquire(dir, "resuming");
  try {
    // Read again under the lock: the process that held it may have just finished the run.
    record = await readRunRecord(dir);
    if (record.status === "completed") {
      throw new UserError(`${dir} has already completed; nothing to resume`);
    }
    const { experiment: exp, url } = loadExperiment(record.experiment);
    const hp = recordedHyperparameters(exp, record, dir);
    const plan = exp.plan(hp);
    // The process that wrote the checkpoint computed with these: continue with the same.
    const last = record.resumes?.at(-1)?.environment ?? record.environment;
    let pin = pinRecordedEnvironment(last, dir);
    applyThreads(plan);
    pin = applyPin(pin, last);
    if (pin.why && !o.quiet) {
      safePrint(o.print ?? ((l: string) => console.log(l)))(
        `not pinned: ${pin.why}; the rest of this run computes with other kernels and may differ in the last bits from an uninterrupted run`,
      );
    }
    const data = await loadRunData(exp.data(hp), plan, recordedDataSource(record, o.dataDir));
    assertSameData(record, data, dir);
    checkRunMemory(exp.name, estimateRunMemory(exp, hp, plan, data.vocabSize));
    refuseIfStopped(stop.requested);
    const rng = new Rng(record.seed);
    const model = exp.model(hp, data.vocabSize, rng);
    const trainer = new Trainer(model, plan, data.xs, data.ts);
    const ckptPath = checkpointPath(dir, record, "last");
    const ckpt = await loadCheckpoint(ckptPath);
    restoreParams(model.params, ckpt, ckptPath);
    const state = [...ckpt.tensors.values()].filter((t) => t.name.startsWith("state."));
    if (state.length > 0) model.setState(state.map((t) => t.data.slice()));
    const position = readPosition(ckpt.meta, ckptPath);
    trainer.setState(position.trainer);
    rng.setState(position.rng);
    const environment = await collectEnvironment(url);
    refuseIfStopped(stop.requested);

    // Metric lines written after the checkpoint (a crash between the two) are dropped.
    const text = await Deno.readTextFile(`${dir}/metrics.jsonl`).catch(() => "");
    const lines = parseMetrics(text).lines.slice(0, position.metrics_lines);
    try {
      await writeFileAtomic(
        `${dir}/metrics.jsonl`,
        lines.map((l) => JSON.stringify(l) + "\n").join(""),
      );
    } catch (e) {
      throw writeError(`${dir}/metrics.jsonl`, e, "free space on that disk");
    }
    const session = await RunSession.resume(dir, record, lines, lock, {
      environment,
      from: position.trainer.totalIters,
    });
    return await execute(exp, plan, model, trainer, rng, data, session, stop, o, {
      summary: { ...position.summary },
      pending: position.pending_epoch ?? null,
      priorTrainSeconds: position.train_time_s,
    }, pin);
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** Trains and scores, then writes the final record, whatever the end. */
async function execute(
  exp: Experiment,
  plan: TrainPlan,
  model: LanguageModel,
  trainer: Trainer,
  rng: Rng,
  data: RunData,
  session: RunSession,
  stop: StopSignals,
  io: RunIo,
  from: { summary: RunSummary; pending: RunPosition["pending_epoch"]; priorTrainSeconds: number },
  pin: Pin | null,
): Promise<RunOutcome> {
  const print = safePrint(io.print ?? ((l: string) => console.log(l)));
  const say = io.quiet ? () => {} : print;
  const progress = new Progress({
    print: say,
    live: !io.quiet && (io.live ?? isTerminal()),
    itersPerEpoch: trainer.itersPerEpoch,
    maxEpoch: plan.maxEpoch,
    tokensPerIter: plan.batchSize * plan.timeSize,
  });
  const record = session.record;
  const summary = from.summary;
  const t0 = performance.now();
  let end: LoopEnd | { kind: "failed"; reason: string };
  try {
    end = await runLoop({
      plan,
      model,
      trainer,
      rng,
      valid: data.valid,
      test: data.test,
      session,
      stop,
      progress,
      summary,
      pending: from.pending,
      priorTrainSeconds: from.priorTrainSeconds,
      stopAfterIters: io.stopAfterIters,
      divergenceAdvice: divergenceAdvice(exp, plan),
    });
  } catch (e) {
    end = { kind: "failed", reason: e instanceof Error ? e.message : String(e) };
    session.releaseReserve(); // the room kept for this record
    progress.done();
    const seconds = from.priorTrainSeconds + (performance.now() - t0) / 1000;
    finish(record, summary, end, seconds, trainer, exp, session.lines);
    try {
      await session.writeRecord();
    } catch { /* the disk that failed may not take the record either; it reads as crashed */ }
    session.close();
    throw e;
  }
  progress.done();
  const trainSeconds = from.priorTrainSeconds + (performance.now() - t0) / 1000;
  finish(record, summary, end, trainSeconds, trainer, exp, session.lines);
  try {
    if (end.kind === "completed" || end.kind === "diverged") {
      await session.saveLast(model, {
        trainer: trainer.getState(),
        rng: rng.getState(),
        metrics_lines: session.lines.length,
        train_time_s: trainSeconds,
        summary: { ...summary },
        pending_epoch: null,
      });
    }
    await session.writeRecord();
  } catch (e) {
    record.status = "failed";
    record.exit_reason = e instanceof Error ? e.message : String(e);
    session.releaseReserve();
    try {
      await session.writeRecord();
    } catch { /* as above */ }
    session.close();
    throw e;
  }
  session.close();
  if (end.kind === "diverged") print(`diverged: ${record.exit_reason}`);
  if (end.kind === "interrupted") {
    say(`interrupted; resume with: deno task experiment --resume ${session.dir}`);
  }
  const exitCode = end.kind === "completed"
    ? 0
    : end.kind === "interrupted"
    ? stopExitCode(end.signal)
    : DIVERGED_EXIT_CODE;
  return { dir: session.dir, status: record.status, exitCode, record: { ...record }, pin };
}

/** Fills the record's final fields from how the loop ended. */
function finish(
  record: RunRecord,
  summary: RunSummary,
  end: LoopEnd | { kind: "failed"; reason: string },
  trainSeconds: number,
  trainer: Trainer,
  exp: Experiment,
  lines: readonly MetricLine[],
): void {
  const now = new Date().toISOString();
  record.finished_at = now;
  record.heartbeat_at = now;
  const plan = trainer.plan;
  record.summary = timedSummary(summary, trainSeconds, trainer.getState().totalIters, {
    startedAt: record.started_at,
    tokensPerIter: plan.batchSize * plan.timeSize,
  });
  Object.assign(summary, record.summary);
  if (end.kind === "completed") {
    record.status = "completed";
    record.exit_reason = "completed";
  } else if (end.kind === "interrupted") {
    record.status = "interrupted";
    record.exit_reason =
      `interrupted by ${end.signal} at iteration ${trainer.getState().totalIters}`;
  } else if (end.kind === "diverged") {
    record.status = "diverged";
    record.exit_reason = end.reason;
  } else {
    record.status = "failed";
    record.exit_reason = end.reason;
  }
  record.reference = referenceVerdict(exp, record, lines);
}

/** Sets OpenBLAS's threads as the plan says (0 keeps the library's default). */
function applyThreads(plan: TrainPlan): void {
  if (plan.blasThreads > 0) setBlasThreads(plan.blasThreads);
}

/** The record's hyperparameters, checked against the experiment's declaration of today. */
function recordedHyperparameters(exp: Experiment, record: RunRecord, dir: string): Hyperparameters {
  const hp = record.hyperparameters;
  const declared = Object.keys(exp.hyperparameters).sort().join(",");
  const recorded = Object.keys(hp ?? {}).sort().join(",");
  if (declared !== recorded) {
    throw new UserError(
      `${dir} was made with the hyperparameters {${recorded}}, but ${exp.name} now declares {${declared}}; ` +
        `resume it at the commit that made it (${record.environment?.git?.commit ?? "unknown"})`,
    );
  }
  return hp;
}

/** The position in a checkpoint's metadata (older checkpoints kept `best_valid` beside it). */
function readPosition(meta: Record<string, unknown>, path: string): RunPosition {
  const p = meta as unknown as RunPosition & { best_valid?: number | null };
  if (typeof p?.trainer?.totalIters !== "number" || typeof p?.metrics_lines !== "number") {
    throw new UserError(`${path} holds no run position; it is not a run's last checkpoint`);
  }
  if (p.trainer.bestValid === undefined) p.trainer.bestValid = p.best_valid ?? null;
  return p;
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

function isTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

function envOr(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
