/**
 * rnnlab: the recurrent language models of *Deep Learning from Scratch 2* (chapters 5 and 6) in
 * TypeScript, with OpenBLAS for the matrix products, and a runner that keeps reproducible records.
 *
 * The public API, by folder:
 * - `core/`: {@linkcode Param}, the seeded {@linkcode Rng}, {@linkcode UserError};
 * - `kernels/`: OpenBLAS through FFI ({@linkcode sgemm} and friends) and the fused softmax loss;
 * - `layers/`: Time layers with `params` and `forward`/`backward`;
 * - `models/`: {@linkcode SimpleRnnlm}, {@linkcode Rnnlm}, {@linkcode BetterRnnlm}, {@linkcode GruRnnlm};
 * - `optim/`: {@linkcode SGD} and global-norm clipping;
 * - `data/`: the PTB loader and any whitespace-tokenised corpus;
 * - `training/`: truncated-BPTT batching, the trainer and evaluation perplexity;
 * - `runner/`: experiment declarations, run records, checkpoints;
 * - `sweep/`: many runs handed to Slurm as one job array.
 *
 * @example
 * ```ts ignore
 * import { loadPtb, Rng, SGD, SimpleRnnlm, Trainer } from "./mod.ts";
 * const ptb = await loadPtb();
 * const train = ptb.train.subarray(0, 1000);
 * const model = new SimpleRnnlm(418, 100, 100, new Rng(1));
 * const trainer = new Trainer(model, new SGD(0.1), train.subarray(0, 999), train.subarray(1), {
 *   batchSize: 10, timeSize: 5, maxGrad: null, evalInterval: null, wrap: true, restartEachEpoch: false,
 * });
 * const out = trainer.runEpoch({});
 * if (out.kind === "completed") console.log(out.report.ppl);
 * ```
 *
 * @module
 */

export { Param, uniqueParams } from "./core/param.ts";
export { Rng, type RngState } from "./core/random.ts";
export { UserError } from "./core/errors.ts";
export * from "./kernels/blas.ts";
export {
  softmaxCrossEntropy,
  softmaxCrossEntropyReference,
  softmaxRows,
} from "./kernels/softmax.ts";
export * from "./layers/mod.ts";
export * from "./models/mod.ts";
export { SGD } from "./optim/sgd.ts";
export { clipGrads, gradNorm } from "./optim/clip.ts";
export * from "./data/mod.ts";
export { Batcher, type BatcherState } from "./training/batcher.ts";
export {
  type EpochOutcome,
  type Optimizer,
  Trainer,
  type TrainerOptions,
  type TrainerState,
  type TrainReport,
} from "./training/trainer.ts";
export { type EvalLayout, evalLayout, evalPerplexity } from "./training/evaluate.ts";
export {
  type DataSpec,
  defineExperiment,
  type Experiment,
  type Hyperparameters,
  type HyperSpec,
  type ReferenceFigure,
  resolveHyperparameters,
  type TrainPlan,
} from "./runner/experiment.ts";
export { runExperiment, type RunOptions, type RunOutcome } from "./runner/run.ts";
export {
  effectiveStatus,
  type MetricLine,
  readMetrics,
  readRunRecord,
  type ReferenceVerdict,
  type RunRecord,
  type RunStatus,
  type RunSummary,
  type StoredStatus,
} from "./runner/record.ts";
export type { Environment } from "./runner/environment.ts";
export {
  type Checkpoint,
  loadCheckpoint,
  restoreParams,
  saveCheckpoint,
  type Tensor,
} from "./runner/checkpoint.ts";
export * from "./sweep/mod.ts";
