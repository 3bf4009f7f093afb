/**
 * rnnlab: the recurrent language models of *Deep Learning from Scratch 2* (chapters 5 and 6) in
 * TypeScript, with OpenBLAS for the matrix products, and a runner that keeps reproducible records.
 *
 * The public API, by folder:
 * - `core/`: {@linkcode Param}, the seeded {@linkcode Rng}, {@linkcode UserError}, atomic writes;
 * - `kernels/`: OpenBLAS through FFI ({@linkcode sgemm} and friends) and the fused softmax loss;
 * - `layers/`: Time layers with `params` and `forward`/`backward`;
 * - `models/`: {@linkcode SimpleRnnlm}, {@linkcode Rnnlm}, {@linkcode BetterRnnlm},
 *   {@linkcode GruRnnlm}, text generation, the book's published Rnnlm weights
 *   ({@linkcode loadBookRnnlm}) and the Kneser-Ney n-gram baseline ({@linkcode trainKneserNey});
 * - `optim/`: {@linkcode SGD} and global-norm clipping;
 * - `data/`: the PTB loader, any whitespace-tokenised corpus, Aozora Bunko and MeCab, NumPy pickles;
 * - `training/`: the {@linkcode TrainPlan}, truncated-BPTT batching, the trainer, evaluation;
 * - `experiments/`: how an experiment is declared, and the experiments;
 * - `run/`: starting and resuming runs, their records, checkpoints, locks and stop signals;
 * - `views/`: listing, comparing and drawing runs;
 * - `sweep/`: many runs handed to Slurm as one job array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { basicPlan, evalPerplexity, Rng, SimpleRnnlm, Trainer } from "@rnnlab/rnnlab";
 * // A corpus that repeats a 12-word sentence: an RNN learns to predict it almost surely.
 * const corpus = Int32Array.from({ length: 1201 }, (_, i) => (i * 5) % 12);
 * const model = new SimpleRnnlm(12, 16, 16, new Rng(1));
 * const plan = basicPlan({ batchSize: 10, timeSize: 5, lr: 0.5, maxEpoch: 20 });
 * const trainer = new Trainer(model, plan, corpus.subarray(0, 1200), corpus.subarray(1));
 * for (let e = 0; e < plan.maxEpoch; e++) trainer.runEpoch({});
 * model.resetState();
 * assert.ok(evalPerplexity(model, corpus) < 1.5);
 * ```
 *
 * @module
 */

export { Param, uniqueParams } from "./core/param.ts";
export { Rng, type RngState } from "./core/random.ts";
export { UserError } from "./core/errors.ts";
export {
  writeError,
  writeFileAtomic,
  writeFileAtomicSync,
  type WriteProblem,
  writeProblem,
} from "./core/files.ts";
export * from "./kernels/blas.ts";
export {
  countTargets,
  softmaxCrossEntropy,
  softmaxLossRange,
  softmaxRows,
  softmaxShare,
} from "./kernels/softmax.ts";
export { EXP16, expNonPositive } from "./kernels/fast_exp.ts";
export {
  pow2Over16Clamped,
  sigmoid,
  sigmoidRange,
  tanh,
  tanhRange,
} from "./kernels/activations.ts";
export { lstmCellBackward, lstmCellForward } from "./kernels/lstm_cell.ts";
export {
  columnChunks,
  type LstmLoopBuffers,
  type LstmLoopShape,
  LstmSplitLoop,
  lstmSplitShare,
} from "./kernels/lstm_split.ts";
export {
  newPlan,
  parallelEnabled,
  type Plan,
  replacePayload,
  runShared,
  setParallel,
  sharedBytesAllocated,
  type SharedCall,
  sharedFloat32,
  shutdownWorker,
  takeChunk,
  workerFailed,
  type WorkerKernel,
} from "./kernels/pool.ts";
export { addMemory, type Memory } from "./core/memory.ts";
export * from "./layers/mod.ts";
export * from "./models/mod.ts";
export { type GenerateOptions, generateWords, wordsToText } from "./models/generate.ts";
export { SGD } from "./optim/sgd.ts";
export { clipGrads, gradNorm } from "./optim/clip.ts";
export * from "./data/mod.ts";
export {
  afterEpoch,
  basicPlan,
  type EpochDecision,
  type ScheduleState,
  type TrainPlan,
} from "./training/plan.ts";
export { Batcher, type BatcherState, type BatchPlan } from "./training/batcher.ts";
export {
  type EpochOutcome,
  Trainer,
  type TrainerState,
  type TrainReport,
} from "./training/trainer.ts";
export {
  type EvalLayout,
  evalLayout,
  type EvalOptions,
  evalPerplexity,
} from "./training/evaluate.ts";
export {
  type AnyExperiment,
  type BookDistribution,
  type BooleanSpec,
  type DataSpec,
  defineExperiment,
  defineNgramExperiment,
  describeRange,
  type Experiment,
  type ExperimentBase,
  flagName,
  givenHyperparameters,
  hyperparameterOptions,
  type Hyperparameters,
  type HyperSpec,
  type HyperSpecs,
  type HyperValue,
  type NgramExperiment,
  type NumberSpec,
  parseValue,
  type ReferenceFigure,
  type Resolved,
  resolveHyperparameters,
} from "./experiments/define.ts";
export {
  DEFAULT_EXPERIMENT,
  findExperiment,
  listExperiments,
  loadExperiment,
} from "./experiments/mod.ts";
export { EXECUTION_KEYS, referenceMismatch, referenceVerdict } from "./run/reference.ts";
export {
  resumeRun,
  type ResumeRunOptions,
  type RunIo,
  type RunOutcome,
  type StartOptions,
  startRun,
  type StartRunOptions,
} from "./run/run.ts";
export { resumeNgramRun, startNgramRun, type StartNgramRunOptions } from "./run/ngram_run.ts";
export {
  assertSameData,
  type DataSource,
  loadRunData,
  recordedDataSource,
  type RunData,
  type SegmentedBuild,
} from "./run/data.ts";
export type { RunPosition } from "./run/session.ts";
export { type LockHolder, RunLock } from "./run/lock.ts";
export {
  type Judgement,
  judgeReproduction,
  type RecordedRun,
  recordedValues,
  type ReproductionInput,
  SPREAD_RULE,
  summaryContradictions,
  type VerdictName,
} from "./run/reproduce.ts";
export { applyPin, type Pin, pinRecordedEnvironment } from "./run/pin.ts";
export {
  checkRunMemory,
  estimateRunMemory,
  formatBytes,
  machineMemory,
  type MemoryEstimate,
} from "./run/memory.ts";
export {
  DIVERGED_EXIT_CODE,
  refuseIfStopped,
  runEndOfExitCode,
  stopExitCode,
  type StopSignal,
  StopSignals,
} from "./run/stop.ts";
export {
  checkpointDir,
  checkpointPath,
  configurationKey,
  createRunDir,
  effectiveStatus,
  emptySummary,
  HEARTBEAT_TIMEOUT_S,
  type MetricLine,
  MetricsWriter,
  type NewRunFields,
  newRunId,
  newRunRecord,
  parseMetrics,
  readMetrics,
  readRunRecord,
  type ReferenceVerdict,
  type RunRecord,
  type RunStatus,
  type RunSummary,
  type StoredStatus,
} from "./run/record.ts";
export { codeHash, collectEnvironment, type Environment } from "./run/environment.ts";
export { formatDuration, Progress, safePrint } from "./run/progress.ts";
export { type CpuInfo, cpuInfo } from "./core/cpuinfo.ts";
export {
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  paramTensors,
  restoreParams,
  saveCheckpoint,
  type Tensor,
} from "./run/checkpoint.ts";
export * from "./sweep/mod.ts";
export * from "./kernels/phase_timer.ts";
export * from "./views/runs_index.ts";
export * from "./views/compare.ts";
export * from "./views/plot_svg.ts";
export * from "./views/terminal_chart.ts";
export * from "./views/report.ts";
export * from "./views/text_table.ts";
export {
  type MannWhitney,
  mannWhitneyU,
  mean,
  median,
  predictionInterval,
  sampleSd,
  studentTCdf,
  studentTQuantile,
} from "./core/stats.ts";
export { checkRunId } from "./run/record.ts";
