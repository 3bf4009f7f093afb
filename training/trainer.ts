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
import type { Param } from "../core/param.ts";
import { Batcher, type BatcherState } from "./batcher.ts";
import { enterPhase, exitPhase, Phase } from "../kernels/phase_timer.ts";

/** The update applied after every backward pass (SGD, possibly preceded by clipping). */
export interface Optimizer {
  /** Learning rate; the experiment may change it between epochs. */
  lr: number;
  /** Applies one update to every parameter from its `grad`. */
  update(params: Param[]): void;
}

/** How to batch and when to report. */
export interface TrainerOptions {
  /** Parallel streams `N` per batch. */
  batchSize: number;
  /** Time steps `T` per batch (the truncated-BPTT length). */
  timeSize: number;
  /** Clip the global gradient norm to this value; `null` disables clipping. */
  maxGrad: number | null;
  /** Report training perplexity every this many iterations within an epoch; `null`: per epoch only. */
  evalInterval: number | null;
  /** Book batching (true) or padded, non-wrapping streams (false). */
  wrap: boolean;
  /** Restart the streams at every epoch (the book's BetterRnnlm calls `fit` once per epoch). */
  restartEachEpoch: boolean;
  /** Global-norm clipping; injected so the trainer does not depend on chapter 6's module. */
  clip?: (params: Param[], maxNorm: number) => number;
}

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
 * Trains a {@linkcode LanguageModel} on one corpus, an epoch at a time.
 *
 * @example
 * ```ts ignore
 * const trainer = new Trainer(model, new SGD(0.1), xs, ts, options);
 * for (let e = 0; e < 100; e++) {
 *   const out = trainer.runEpoch({});
 *   if (out.kind === "completed") console.log(out.report.epoch, out.report.ppl);
 * }
 * ```
 */
export class Trainer {
  /** Cuts the training corpus into the batches the trainer feeds. */
  readonly batcher: Batcher;
  /** The model being trained. */
  readonly model: LanguageModel;
  /** The update applied after each backward pass; its `lr` may be changed between epochs. */
  readonly optimizer: Optimizer;
  /** The batching and reporting options it was built with. */
  readonly options: TrainerOptions;
  #state: Omit<TrainerState, "batcher" | "lr">;

  /**
   * Trains `model` with `optimizer` on inputs `xs` and targets `ts` (the same corpus shifted by
   * one token, of equal length), batched as `options` says, starting at epoch 0.
   */
  constructor(
    model: LanguageModel,
    optimizer: Optimizer,
    xs: Int32Array,
    ts: Int32Array,
    options: TrainerOptions,
  ) {
    this.model = model;
    this.optimizer = optimizer;
    this.options = options;
    this.batcher = new Batcher(xs, ts, options.batchSize, options.timeSize, {
      wrap: options.wrap,
      restartEachEpoch: options.restartEachEpoch,
    });
    this.#state = {
      epoch: 0,
      iter: 0,
      totalIters: 0,
      intervalLoss: 0,
      intervalCount: 0,
      epochLoss: 0,
      epochCount: 0,
    };
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
    return { ...this.#state, batcher: this.batcher.getState(), lr: this.optimizer.lr };
  }

  /** Restores a position from {@linkcode Trainer.getState}. */
  setState(state: TrainerState): void {
    const { batcher, lr, ...rest } = state;
    this.#state = { ...rest };
    this.batcher.setState(batcher);
    this.optimizer.lr = lr;
  }

  /** One iteration: next batch, forward, backward, clip, update. Returns the batch's mean loss. */
  step(): number {
    const { batchSize, timeSize, maxGrad, clip } = this.options;
    this.batcher.next();
    const loss = this.model.forward(this.batcher.x, this.batcher.t, batchSize, timeSize, true);
    this.model.backward();
    const params = this.model.params;
    const phase = enterPhase(Phase.clipSgd);
    if (maxGrad !== null) {
      if (!clip) throw new Error("maxGrad is set but no clip function was given");
      clip(params, maxGrad);
    }
    this.optimizer.update(params);
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
    const interval = this.options.evalInterval;
    if (s.iter === 0) this.batcher.startEpoch();
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
      lr: this.optimizer.lr,
    };
  }
}
