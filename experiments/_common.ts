/**
 * The hyperparameters and plans the experiments share. Chapter 5's hand-written loop and chapter
 * 6's `RnnlmTrainer` (batch 20, 35 steps, lr 20, gradients clipped to 0.25, a report every 20
 * iterations) are both built here, so every experiment spells a setting the same way. Files
 * starting with `_` are helpers, not experiments.
 *
 * @module
 */

import type { BooleanSpec, NumberSpec, Resolved } from "./define.ts";
import { basicPlan, type TrainPlan } from "../training/plan.ts";
import type { Rng } from "../core/random.ts";
import { Rnnlm } from "../models/rnnlm.ts";
import { BetterRnnlm } from "../models/better_rnnlm.ts";

/** An integer hyperparameter in `[min, max]`. */
export function int(def: number, min: number, max: number, help: string): NumberSpec {
  return { type: "int", default: def, min, max, help };
}

/** A number hyperparameter in `[min, max]`, or `(min, max]` with `minExclusive`. */
export function num(
  def: number,
  min: number,
  max: number,
  help: string,
  minExclusive = false,
): NumberSpec {
  return {
    type: "number",
    default: def,
    min,
    max,
    help,
    ...(minExclusive ? { minExclusive } : {}),
  };
}

/** A boolean hyperparameter. */
export function bool(def: boolean, help: string): BooleanSpec {
  return { type: "boolean", default: def, help };
}

/** The defaults that differ between the experiments built from {@linkcode lmSpecs}. */
export interface LmDefaults {
  batch_size: number;
  time_size: number;
  wordvec_size: number;
  hidden_size: number;
  lr: number;
  max_lr: number;
  max_epoch: number;
  max_epoch_limit: number;
  blas_threads: number;
}

/** The hyperparameters of every language-model experiment: batching, sizes, rate, epochs, threads. */
export function lmSpecs(d: LmDefaults) {
  return {
    batch_size: int(d.batch_size, 1, 1000, "streams per batch (N)"),
    time_size: int(d.time_size, 1, 1000, "BPTT steps per batch (T)"),
    wordvec_size: int(d.wordvec_size, 1, 4096, "word vector size (D)"),
    hidden_size: int(d.hidden_size, 1, 4096, "hidden size (H)"),
    lr: num(d.lr, 0, d.max_lr, "SGD learning rate", true),
    max_epoch: int(d.max_epoch, 1, d.max_epoch_limit, "epochs to train"),
    blas_threads: int(
      d.blas_threads,
      0,
      256,
      d.blas_threads === 1
        ? "OpenBLAS threads (0: the library's default); one is fastest for these tiny products"
        : "OpenBLAS threads (0: the library's default, all cores)",
    ),
  };
}

/** Chapter 5's hyperparameters: N 10, T 5, D = H = 100, lr 0.1, 100 epochs, one BLAS thread. */
export function ch05Specs() {
  return {
    ...lmSpecs({
      batch_size: 10,
      time_size: 5,
      wordvec_size: 100,
      hidden_size: 100,
      lr: 0.1,
      max_lr: 100,
      max_epoch: 100,
      max_epoch_limit: 100000,
      blas_threads: 1,
    }),
    corpus_size: int(1000, 2, 929589, "train on the first this many PTB training tokens"),
  };
}

/** Chapter 5's plan: the hand-written loop of `train_custom_loop.py`. */
export function ch05Plan(hp: Resolved<ReturnType<typeof ch05Specs>>): TrainPlan {
  return basicPlan({
    batchSize: hp.batch_size,
    timeSize: hp.time_size,
    lr: hp.lr,
    maxEpoch: hp.max_epoch,
    blasThreads: hp.blas_threads,
  });
}

/** Chapter 6's defaults that an experiment may change (sizes and epochs). */
export type Ch06Defaults = Partial<Pick<LmDefaults, "wordvec_size" | "hidden_size" | "max_epoch">>;

/** Chapter 6's hyperparameters (the book's `RnnlmTrainer` on the full PTB), with `defaults`. */
export function ch06Specs(defaults: Ch06Defaults = {}) {
  return {
    ...lmSpecs({
      batch_size: 20,
      time_size: 35,
      wordvec_size: defaults.wordvec_size ?? 100,
      hidden_size: defaults.hidden_size ?? 100,
      lr: 20,
      max_lr: 1000,
      max_epoch: defaults.max_epoch ?? 4,
      max_epoch_limit: 1000,
      blas_threads: 0,
    }),
    max_grad: num(0.25, 0, 1e6, "clip the global gradient norm to this (0: no clipping)"),
    eval_interval: int(
      20,
      0,
      1e6,
      "report training perplexity every this many iterations (0: per epoch only)",
    ),
    wrap: bool(
      true,
      "book batching (true) or padded streams that never run past the corpus end (false)",
    ),
  };
}

/** Chapter 6's resolved hyperparameters. */
export type Ch06Hyperparameters = Resolved<ReturnType<typeof ch06Specs>>;

/**
 * The chapter 6 plan: test perplexity at the end; with `validEachEpoch`, the BetterRnnlm schedule
 * (valid after each epoch, lr divided by `lrDecay` when it does not improve).
 */
export function ch06Plan(
  hp: Ch06Hyperparameters,
  options: { validEachEpoch?: boolean; lrDecay?: number | null; restartEachEpoch?: boolean } = {},
): TrainPlan {
  return basicPlan({
    batchSize: hp.batch_size,
    timeSize: hp.time_size,
    lr: hp.lr,
    maxEpoch: hp.max_epoch,
    maxGrad: hp.max_grad > 0 ? hp.max_grad : null,
    evalInterval: hp.eval_interval > 0 ? hp.eval_interval : null,
    validEachEpoch: options.validEachEpoch ?? false,
    lrDecay: options.lrDecay ?? null,
    testAtEnd: true,
    wrap: hp.wrap,
    restartEachEpoch: options.restartEachEpoch ?? false,
    blasThreads: hp.blas_threads,
  });
}

/** Chapter 6's Rnnlm, built and sized from the hyperparameters (`ch06_rnnlm`, `ja_soseki_rnnlm`). */
export const rnnlmModel = {
  model: (hp: Ch06Hyperparameters, vocabSize: number, rng: Rng): Rnnlm =>
    new Rnnlm({ vocabSize, wordvecSize: hp.wordvec_size, hiddenSize: hp.hidden_size }, rng),
  memory: (hp: Ch06Hyperparameters, vocabSize: number, N: number, T: number) =>
    Rnnlm.memory({ vocabSize, wordvecSize: hp.wordvec_size, hiddenSize: hp.hidden_size }, N, T),
};

/** BetterRnnlm's hyperparameters: chapter 6's, 650 wide, 40 epochs, and the dropout ratio. */
export function betterRnnlmSpecs() {
  return {
    ...ch06Specs({ wordvec_size: 650, hidden_size: 650, max_epoch: 40 }),
    dropout: num(0.5, 0, 0.95, "dropout ratio"),
  };
}

type BetterHyperparameters = Resolved<ReturnType<typeof betterRnnlmSpecs>>;

/**
 * BetterRnnlm, built and sized from the hyperparameters, with its schedule: valid after every
 * epoch, lr divided by 4 when it does not improve, streams restarted every epoch
 * (`ch06_better_rnnlm`, `ja_soseki_better_rnnlm`).
 */
export const betterRnnlmModel = {
  model: (hp: BetterHyperparameters, vocabSize: number, rng: Rng): BetterRnnlm =>
    new BetterRnnlm(betterOptions(hp, vocabSize), rng),
  memory: (hp: BetterHyperparameters, vocabSize: number, N: number, T: number, train: boolean) =>
    BetterRnnlm.memory(betterOptions(hp, vocabSize), N, T, train),
  plan: (hp: BetterHyperparameters): TrainPlan =>
    ch06Plan(hp, { validEachEpoch: true, lrDecay: 4, restartEachEpoch: true }),
};

function betterOptions(hp: BetterHyperparameters, vocabSize: number) {
  return {
    vocabSize,
    wordvecSize: hp.wordvec_size,
    hiddenSize: hp.hidden_size,
    dropout: hp.dropout,
  };
}
