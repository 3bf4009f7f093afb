/**
 * SimpleRnnlm on the full PTB with chapter 6's batching, learning rate, clipping and 4 epochs:
 * the poor result that motivates the LSTM (the book states it without a figure).
 *
 * @module
 */

import { defineExperiment } from "./define.ts";
import { SimpleRnnlm } from "../models/simple_rnnlm.ts";
import { ch06Plan, ch06Specs } from "./_common.ts";

export default defineExperiment({
  name: "ch05_simple_rnnlm_full",
  title: "SimpleRnnlm (plain RNN, D = H = 100) on the full PTB with chapter 6's settings",
  seed: 1,
  hyperparameters: ch06Specs(),
  reference: null,
  data: () => ({ corpus: "ptb" }),
  model: (hp, vocabSize, rng) => new SimpleRnnlm(vocabSize, hp.wordvec_size, hp.hidden_size, rng),
  memory: (hp, vocabSize, N, T) =>
    SimpleRnnlm.memory(
      {
        vocabSize,
        wordvecSize: hp.wordvec_size,
        hiddenSize: hp.hidden_size,
      },
      N,
      T,
    ),
  plan: (hp) => ch06Plan(hp),
});
