/**
 * The training loop for stateful truncated BPTT (the book's `RnnlmTrainer`): batch, forward,
 * backward, optional global-norm clipping, SGD; perplexity reported as `exp(mean loss)` over the
 * batches since the last report.
 *
 * The trainer's position (epoch, iteration, batcher, loss sums, learning rate) is plain data
 * ({@linkcode TrainerState}), so a run stopped mid-epoch can be resumed to the same curve.
 *
 * @module
 */

import type { LanguageModel } from "../models/model.ts";
import { SGD } from "../optim/sgd.ts";
import { clipGrads } from "../optim/clip.ts";
import { Batcher, type BatcherState } from "./batcher.ts";
import { afterEpoch, type EpochDecision, type TrainPlan } from "./plan.ts";
import { enterPhase, exitPhase, Phase } from "../kernels/phase_timer.ts";

/** Everything needed to continue training from where it stopped. */
export interface TrainerState {
  /** Epochs completed. */
  epoch: number;
  /** Iterations completed within the current epoch. */
  iter: number;
  /** Iterations completed since training started. */
  totalIters: number;
  /** The batcher's position in the corpus. */
  batcher: BatcherState;
  /** Loss sum and count since the last interval report. */
  intervalLoss: number;
  /** Batches summed in `intervalLoss`. */
  intervalCount: number;
  /** Loss sum and count since the start of the current epoch. */
  epochLoss: number;
  /** Batches summed in `epochLoss`. */
  epochCount: number;
  /** The optimizer's learning rate. */
  lr: number;
  /** The lowest validation perplexity so far (the schedule's memory), or null before any. */
  bestValid: number | null;
}

/** One training-perplexity report. */
export interface TrainReport {
  /** 1-based epoch the report belongs to. */
  epoch: number;
  /** Iterations completed within that epoch. */
  iter: number;
  /** Iterations that make one epoch. */
  itersPerEpoch: number;
  /** Iterations completed since training started. */
  totalIters: number;
  /** `exp(mean loss)` over the batches the report covers. */
  ppl: number;
  /** The learning rate at the time of the report. */
  lr: number;
}

/** How an epoch ended. */
export type EpochOutcome =
  | { kind: "completed"; report: TrainReport }
  | { kind: "stopped" }
  | { kind: "diverged"; iteration: number; loss: number };

/**
 * Trains a {@linkcode LanguageModel} on one corpus as a {@linkcode TrainPlan} says, an epoch at a
 * time: SGD at the plan's rate, clipping when it has `maxGrad`, and after a scored epoch the
 * plan's schedule ({@linkcode Trainer.endEpoch}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { basicPlan, Rng, SimpleRnnlm, Trainer } from "@rnnlab/rnnlab";
 * const corpus = Int32Array.from({ length: 201 }, (_, i) => (i * 7) % 10); // a cycle of 10 words
 * const model = new SimpleRnnlm(10, 8, 8, new Rng(1));
 * const plan = basicPlan({ batchSize: 4, timeSize: 5, lr: 0.5, maxEpoch: 30 });
 * const trainer = new Trainer(model, plan, corpus.subarray(0, 200), corpus.subarray(1));
 * let ppl = Infinity;
 * for (let e = 0; e < plan.maxEpoch; e++) {
 *   const out = trainer.runEpoch({});
 *   if (out.kind === "completed") ppl = out.report.ppl;
 * }
 * assert.ok(ppl < 2, `a deterministic cycle is learnt: perplexity ${ppl}`);
 * ```
 */
export class Trainer {
  /** Cuts the training corpus into the batches the trainer feeds. */
  readonly batcher: Batcher;
  /** The model being trained. */
  readonly model: LanguageModel;
  /** The plan it trains by. */
  readonly plan: TrainPlan;
  readonly #sgd: SGD;
  #state: Omit<TrainerState, "batcher" | "lr">;

  /**
   * Trains `model` by `plan` on inputs `xs` and targets `ts` (the same corpus shifted by one
   * token, of equal length), starting at epoch 0 with the plan's learning rate.
   */
  constructor(model: LanguageModel, plan: TrainPlan, xs: Int32Array, ts: Int32Array) {
    this.model = model;
    this.plan = plan;
    this.#sgd = new SGD(plan.lr);
    this.batcher = new Batcher(xs, ts, plan);
    this.#state = {
      epoch: 0,
      iter: 0,
      totalIters: 0,
      intervalLoss: 0,
      intervalCount: 0,
      epochLoss: 0,
      epochCount: 0,
      bestValid: null,
    };
  }

  /** The learning rate the next update uses. */
  get lr(): number {
    return this.#sgd.lr;
  }

  /** The lowest validation perplexity passed to {@linkcode Trainer.endEpoch}, or null. */
  get bestValid(): number | null {
    return this.#state.bestValid;
  }

  /**
   * Applies the plan's schedule ({@linkcode afterEpoch}) after an epoch whose validation
   * perplexity was `valid`: remembers the best, and divides the rate by `plan.lrDecay` when the
   * epoch did not improve on it. The caller saves the parameters when `improved` is true.
   */
  endEpoch(valid: number): EpochDecision {
    const s = this.#state;
    const decision = afterEpoch(
      this.plan.lrDecay,
      { bestValid: s.bestValid, lr: this.#sgd.lr },
      valid,
    );
    s.bestValid = decision.bestValid;
    this.#sgd.lr = decision.lr;
    return decision;
  }

  /** Iterations in one epoch. */
  get itersPerEpoch(): number {
    return this.batcher.itersPerEpoch;
  }

  /** Epochs completed so far. */
  get epoch(): number {
    return this.#state.epoch;
  }

  /** The position to save in a checkpoint. */
  getState(): TrainerState {
    return { ...this.#state, batcher: this.batcher.getState(), lr: this.#sgd.lr };
  }

  /** Restores a position from {@linkcode Trainer.getState}. */
  setState(state: TrainerState): void {
    const { batcher, lr, ...rest } = state;
    this.#state = { ...rest, bestValid: rest.bestValid ?? null };
    this.batcher.setState(batcher);
    this.#sgd.lr = lr;
  }

  /** One iteration: next batch, forward, backward, clip, update. Returns the batch's mean loss. */
  step(): number {
    const { batchSize, timeSize, maxGrad } = this.plan;
    this.batcher.next();
    const loss = this.model.forward(this.batcher.x, this.batcher.t, batchSize, timeSize, true);
    this.model.backward();
    const params = this.model.params;
    const phase = enterPhase(Phase.clipSgd);
    if (maxGrad !== null) clipGrads(params, maxGrad);
    this.#sgd.update(params);
    exitPhase(phase);
    return loss;
  }

  /**
   * Runs (the rest of) one epoch. `shouldStop` is polled before every iteration; when it returns
   * true the epoch is left where it is and can be continued by calling `runEpoch` again (after a
   * checkpoint restore, in a new process). A non-finite loss ends the epoch as `diverged`.
   */
  runEpoch(hooks: {
    shouldStop?: () => boolean;
    onInterval?: (report: TrainReport) => void;
    onIteration?: (iter: number, loss: number) => void;
  }): EpochOutcome {
    const s = this.#state;
    const iters = this.itersPerEpoch;
    const interval = this.plan.evalInterval;
    if (s.iter === 0) {
      this.batcher.startEpoch();
      if (this.plan.restartEachEpoch) {
        s.intervalLoss = 0;
        s.intervalCount = 0;
      }
    }
    while (s.iter < iters) {
      if (hooks.shouldStop?.()) return { kind: "stopped" };
      const loss = this.step();
      if (!Number.isFinite(loss)) {
        return { kind: "diverged", iteration: s.totalIters + 1, loss };
      }
      s.iter++;
      s.totalIters++;
      s.intervalLoss += loss;
      s.intervalCount++;
      s.epochLoss += loss;
      s.epochCount++;
      hooks.onIteration?.(s.iter, loss);
      if (interval !== null && (s.iter - 1) % interval === 0) {
        hooks.onInterval?.(this.#report(Math.exp(s.intervalLoss / s.intervalCount)));
        s.intervalLoss = 0;
        s.intervalCount = 0;
      }
    }
    const report = this.#report(Math.exp(s.epochLoss / s.epochCount));
    s.epoch++;
    s.iter = 0;
    s.epochLoss = 0;
    s.epochCount = 0;
    return { kind: "completed", report };
  }

  #report(ppl: number): TrainReport {
    const s = this.#state;
    return {
      epoch: s.epoch + 1,
      iter: s.iter,
      itersPerEpoch: this.itersPerEpoch,
      totalIters: s.totalIters,
      ppl,
      lr: this.#sgd.lr,
    };
  }
}
