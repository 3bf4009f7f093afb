/**
 * Chapter 5: SimpleRnnlm (Embedding → TimeRNN → TimeAffine → softmax loss) trained on the first
 * 1000 tokens of PTB's training set, reporting training perplexity after every epoch
 * (the book's `ch05/train_custom_loop.py`).
 *
 * @module
 */

import { defineExperiment } from "./define.ts";
import { SimpleRnnlm } from "../models/simple_rnnlm.ts";

export default defineExperiment({
  name: "ch05_simple_rnnlm",
  title: "SimpleRnnlm on the first 1000 PTB training tokens (chapter 5)",
  seed: 1,
  hyperparameters: {
    batch_size: { type: "int", default: 10, min: 1, max: 1000, help: "streams per batch (N)" },
    time_size: { type: "int", default: 5, min: 1, max: 1000, help: "BPTT steps per batch (T)" },
    wordvec_size: { type: "int", default: 100, min: 1, max: 4096, help: "word vector size (D)" },
    hidden_size: { type: "int", default: 100, min: 1, max: 4096, help: "hidden size (H)" },
    lr: {
      type: "number",
      default: 0.1,
      min: 0,
      minExclusive: true,
      max: 100,
      help: "SGD learning rate",
    },
    max_epoch: { type: "int", default: 100, min: 1, max: 100000, help: "epochs to train" },
    blas_threads: {
      type: "int",
      default: 1,
      min: 0,
      max: 256,
      help: "OpenBLAS threads (0: the library's default); one is fastest for these tiny products",
    },
    corpus_size: {
      type: "int",
      default: 1000,
      min: 2,
      max: 929589,
      help: "train on the first this many PTB training tokens",
    },
  },
  reference: {
    metric: "final_train_ppl",
    band: [5.0, 7.0],
    source: "book code, 5 seeds: epoch 100 perplexity 5.25-6.36 (SPEC §7)",
  },
  data: (hp) => ({ corpus: "ptb", trainTokens: hp.corpus_size as number }),
  model: (hp, vocabSize, rng) =>
    new SimpleRnnlm(vocabSize, hp.wordvec_size as number, hp.hidden_size as number, rng),
  plan: (hp) => ({
    batchSize: hp.batch_size as number,
    timeSize: hp.time_size as number,
    lr: hp.lr as number,
    maxEpoch: hp.max_epoch as number,
    maxGrad: null,
    evalInterval: null,
    validEachEpoch: false,
    lrDecay: null,
    testAtEnd: false,
    wrap: true,
    restartEachEpoch: false,
    blasThreads: hp.blas_threads as number,
  }),
});
