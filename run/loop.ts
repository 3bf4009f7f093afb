/**
 * The life of a run between its start and its end: train epoch after epoch, score valid after each
 * epoch when the plan asks (then the plan's schedule decides the rate and whether this is the new
 * best), score test at the end, and keep the record, the metrics and the checkpoints up to date.
 *
 * It stops early, at the next iteration or evaluation window, when a stop signal arrives; a loss
 * or a perplexity that is not finite ends it as diverged. Every stop leaves a checkpoint from which
 * {@linkcode runLoop} continues the same curve: in the middle of an epoch, between an epoch and its
 * valid score (`pending_epoch`), or before the test score.
 *
 * @module
 */

import type { Rng } from "../core/random.ts";
import { loadCheckpoint, restoreParams } from "./checkpoint.ts";
import type { LanguageModel } from "../models/model.ts";
import { evalPerplexity } from "../training/evaluate.ts";
import type { TrainPlan } from "../training/plan.ts";
import type { Trainer, TrainReport } from "../training/trainer.ts";
import type { Progress } from "./progress.ts";
import type { MetricLine, RunSummary } from "./record.ts";
import type { RunPosition, RunSession } from "./session.ts";
import type { StopSignal, StopSignals } from "./stop.ts";

/**
 * Seconds between heartbeats in `run.json` (30, or `RNNLAB_HEARTBEAT_S`), and between checkpoints
 * of a long epoch (300).
 */
export const HEARTBEAT_S: number = envSeconds("RNNLAB_HEARTBEAT_S") ?? 30;
const CHECKPOINT_S = 300;

function envSeconds(name: string): number | null {
  try {
    const v = Number(Deno.env.get(name));
    return Number.isFinite(v) && v > 0 ? v : null;
  } catch {
    return null;
  }
}

/** Everything the loop works with; built by `startRun` or `resumeRun`. */
export interface LoopContext {
  /** The plan the run follows. */
  plan: TrainPlan;
  /** The model, trained in place. */
  model: LanguageModel;
  /** The trainer, at the position the run starts (or resumes) from. */
  trainer: Trainer;
  /** The run's random generator, saved with every checkpoint. */
  rng: Rng;
  /** Validation and test ids. */
  valid: Int32Array;
  /** Test ids. */
  test: Int32Array;
  /** The open run directory. */
  session: RunSession;
  /** The stop flag, polled before every iteration and evaluation window. */
  stop: StopSignals;
  /** Progress output. */
  progress: Progress;
  /** The summary so far (updated in place). */
  summary: RunSummary;
  /** An epoch trained but not yet scored on valid (a run stopped while it scored), or null. */
  pending: MetricLine | null;
  /** Seconds of training before this process. */
  priorTrainSeconds: number;
  /** Stop after this many iterations in this process (tests simulate an interruption with it). */
  stopAfterIters?: number;
  /** What to suggest after a divergence, naming only options the experiment has. */
  divergenceAdvice: string;
}

/** How the loop ended. */
export type LoopEnd =
  | { kind: "completed" }
  | { kind: "interrupted"; signal: StopSignal }
  | { kind: "diverged"; reason: string };

/** Runs (the rest of) a run; writes its metrics and checkpoints, not its final record. */
export async function runLoop(ctx: LoopContext): Promise<LoopEnd> {
  const { plan, model, trainer, session, stop, progress, summary } = ctx;
  const t0 = performance.now();
  const trainSeconds = () => ctx.priorTrainSeconds + (performance.now() - t0) / 1000;
  const tokensPerIter = plan.batchSize * plan.timeSize;
  let pending = ctx.pending;
  let iters = 0;
  let lastBeat = performance.now(), lastCkpt = performance.now();
  const due = () =>
    performance.now() - lastBeat > HEARTBEAT_S * 1000 ||
    performance.now() - lastCkpt > CHECKPOINT_S * 1000;

  const position = (): RunPosition => ({
    trainer: trainer.getState(),
    rng: ctx.rng.getState(),
    metrics_lines: session.lines.length,
    train_time_s: trainSeconds(),
    summary: { ...summary },
    pending_epoch: pending,
  });
  const heartbeat = () => {
    lastBeat = performance.now();
    const r = session.record;
    r.heartbeat_at = new Date().toISOString();
    r.summary = timedSummary(summary, trainSeconds(), trainer.getState().totalIters, {
      startedAt: r.started_at,
      tokensPerIter,
    });
    session.writeRecordSync();
  };
  const checkpoint = async () => {
    lastCkpt = performance.now();
    await session.saveLast(model, position());
    heartbeat();
  };
  const interrupted = async (signal: StopSignal): Promise<LoopEnd> => {
    await session.saveLast(model, position());
    return { kind: "interrupted", signal };
  };
  /** Scores `ids` from a fresh state; null when a stop signal came first. */
  const score = (split: string, ids: Int32Array): number | null => {
    model.resetState();
    const ppl = evalPerplexity(model, ids, {
      shouldStop: () => stop.requested !== null,
      onWindow: (k, windows) => {
        progress.scoring(split, k + 1, windows);
        if (performance.now() - lastBeat > HEARTBEAT_S * 1000) heartbeat();
      },
    });
    model.resetState();
    return ppl;
  };
  const diverged = (what: string): LoopEnd => ({
    kind: "diverged",
    reason: `${what}; ${ctx.divergenceAdvice}`,
  });

  for (;;) {
    if (stop.requested) return await interrupted(stop.requested);
    if (pending !== null) {
      const line = pending;
      const valid = score("valid", ctx.valid);
      if (valid === null) return await interrupted(stop.requested!);
      if (!Number.isFinite(valid)) {
        return diverged(`valid perplexity became ${valid} after epoch ${line.epoch}`);
      }
      const decision = trainer.endEpoch(valid);
      line.valid_ppl = valid;
      summary.final_valid_ppl = valid;
      if (decision.improved) {
        summary.best_valid_ppl = valid;
        await session.saveBest(model, line.epoch, valid);
      }
      pending = null;
      session.append(line);
      progress.epoch(line);
      await checkpoint();
      continue;
    }
    if (trainer.epoch >= plan.maxEpoch) break;
    const outcome = trainer.runEpoch({
      shouldStop: () => stop.requested !== null || due(),
      onIteration: (iter) => {
        progress.iteration(trainer.epoch + 1, iter, trainSeconds());
        if (++iters === ctx.stopAfterIters) stop.request("SIGINT");
      },
      onInterval: (r) => {
        session.append(metricLine("interval", r, trainSeconds(), tokensPerIter));
        progress.interval(r, trainSeconds());
      },
    });
    if (outcome.kind === "stopped") {
      if (stop.requested) return await interrupted(stop.requested);
      if (performance.now() - lastCkpt > CHECKPOINT_S * 1000) await checkpoint();
      else heartbeat();
      continue;
    }
    if (outcome.kind === "diverged") {
      return diverged(`loss became ${outcome.loss} at iteration ${outcome.iteration}`);
    }
    const report = outcome.report;
    const line = metricLine("epoch", report, trainSeconds(), tokensPerIter);
    summary.epochs_completed = report.epoch;
    summary.iterations = report.totalIters;
    summary.final_train_ppl = report.ppl;
    summary.best_train_ppl = Math.min(summary.best_train_ppl ?? Infinity, report.ppl);
    if (plan.validEachEpoch) {
      pending = line;
      continue;
    }
    session.append(line);
    progress.epoch(line);
    if (performance.now() - lastCkpt > CHECKPOINT_S * 1000) await checkpoint();
  }

  if (plan.testAtEnd && summary.test_ppl === null) {
    const ppl = score("test", ctx.test);
    if (ppl === null) return await interrupted(stop.requested!);
    if (!Number.isFinite(ppl)) return diverged(`test perplexity became ${ppl}`);
    summary.test_ppl = ppl;
    progress.say(`test perplexity (final parameters): ${ppl.toFixed(2)}`);
  }
  if (plan.testAtEnd && plan.validEachEpoch && summary.test_ppl_best === null) {
    const ppl = await scoreWithBest(ctx, () => score("test", ctx.test));
    if (ppl === null) return await interrupted(stop.requested!);
    if (!Number.isFinite(ppl)) {
      return diverged(`test perplexity of the best-by-valid parameters became ${ppl}`);
    }
    summary.test_ppl_best = ppl;
    progress.say(`test perplexity (best-by-valid parameters): ${ppl.toFixed(2)}`);
  }
  return { kind: "completed" };
}

/** Runs `fn` with the best-by-valid parameters loaded, and puts the final ones back, whatever happens. */
async function scoreWithBest(
  ctx: LoopContext,
  fn: () => number | null,
): Promise<number | null> {
  const path = `${ctx.session.checkpoints}/best.safetensors`;
  const best = await loadCheckpoint(path);
  const finals = ctx.model.params.map((p) => p.value.slice());
  restoreParams(ctx.model.params, best, path);
  try {
    return fn();
  } finally {
    ctx.model.params.forEach((p, i) => p.value.set(finals[i]));
  }
}

/**
 * `summary` with the times, iterations and throughput as of now: `trainSeconds` of training,
 * `iterations` in all, since the run started at `startedAt`.
 */
export function timedSummary(
  summary: RunSummary,
  trainSeconds: number,
  iterations: number,
  o: { startedAt: string; tokensPerIter: number },
): RunSummary {
  const train_time_s = round(trainSeconds, 3);
  return {
    ...summary,
    iterations,
    train_time_s,
    tokens_per_sec: train_time_s > 0
      ? Math.round((iterations * o.tokensPerIter) / train_time_s)
      : null,
    wall_time_s: round((Date.now() - Date.parse(o.startedAt)) / 1000, 3),
  };
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
