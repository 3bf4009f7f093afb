/**
 * The settings chapter 6's experiments share (the book's `RnnlmTrainer` on the full PTB:
 * batch 20, 35 steps, lr 20, gradients clipped to 0.25, a report every 20 iterations).
 * Files starting with `_` are helpers, not experiments.
 *
 * @module
 */

import type { Hyperparameters, HyperSpec, TrainPlan } from "./define.ts";

/** Hyperparameters of a chapter 6 experiment, with `overrides` for its own defaults. */
export function ch06Hyperparameters(
  overrides: Partial<Record<string, number | boolean>> = {},
  extra: Record<string, HyperSpec> = {},
): Record<string, HyperSpec> {
  const specs: Record<string, HyperSpec> = {
    batch_size: { type: "int", default: 20, min: 1, max: 1000, help: "streams per batch (N)" },
    time_size: { type: "int", default: 35, min: 1, max: 1000, help: "BPTT steps per batch (T)" },
    wordvec_size: { type: "int", default: 100, min: 1, max: 4096, help: "word vector size (D)" },
    hidden_size: { type: "int", default: 100, min: 1, max: 4096, help: "hidden size (H)" },
    lr: {
      type: "number",
      default: 20,
      min: 0,
      minExclusive: true,
      max: 1000,
      help: "SGD learning rate",
    },
    max_epoch: { type: "int", default: 4, min: 1, max: 1000, help: "epochs to train" },
    max_grad: {
      type: "number",
      default: 0.25,
      min: 0,
      max: 1e6,
      help: "clip the global gradient norm to this (0: no clipping)",
    },
    eval_interval: {
      type: "int",
      default: 20,
      min: 0,
      max: 1e6,
      help: "report training perplexity every this many iterations (0: per epoch only)",
    },
    blas_threads: {
      type: "int",
      default: 0,
      min: 0,
      max: 256,
      help: "OpenBLAS threads (0: the library's default, all cores)",
    },
    wrap: {
      type: "boolean",
      default: true,
      help: "book batching (true) or padded streams that never run past the corpus end (false)",
    },
    ...extra,
  };
  for (const [k, v] of Object.entries(overrides)) {
    const s = specs[k];
    if (s && v !== undefined) specs[k] = { ...s, default: v } as HyperSpec;
  }
  return specs;
}

/** The chapter 6 training plan for resolved hyperparameters. */
export function ch06Plan(
  hp: Hyperparameters,
  options: { validEachEpoch?: boolean; lrDecay?: number | null; restartEachEpoch?: boolean } = {},
): TrainPlan {
  const maxGrad = hp.max_grad as number;
  const interval = hp.eval_interval as number;
  return {
    batchSize: hp.batch_size as number,
    timeSize: hp.time_size as number,
    lr: hp.lr as number,
    maxEpoch: hp.max_epoch as number,
    maxGrad: maxGrad > 0 ? maxGrad : null,
    evalInterval: interval > 0 ? interval : null,
    validEachEpoch: options.validEachEpoch ?? false,
    lrDecay: options.lrDecay ?? null,
    testAtEnd: true,
    wrap: hp.wrap as boolean,
    restartEachEpoch: options.restartEachEpoch ?? false,
    blasThreads: hp.blas_threads as number,
  };
}
