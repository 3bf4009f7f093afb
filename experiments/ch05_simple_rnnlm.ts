/**
 * Chapter 5: SimpleRnnlm (Embedding → TimeRNN → TimeAffine → softmax loss) trained on the first
 * 1000 tokens of PTB's training set, reporting training perplexity after every epoch
 * (the book's `ch05/train_custom_loop.py`).
 *
 * @module
 */

import { defineExperiment } from "./define.ts";
import { SimpleRnnlm } from "../models/simple_rnnlm.ts";
import { ch05Plan, ch05Specs } from "./_common.ts";

export default defineExperiment({
  name: "ch05_simple_rnnlm",
  title: "SimpleRnnlm on the first 1000 PTB training tokens (chapter 5)",
  seed: 1,
  hyperparameters: ch05Specs(),
  reference: {
    metric: "final_train_ppl",
    band: [5.0, 7.0],
    source: "book code, 5 seeds: epoch 100 perplexity 5.25-6.36",
  },
  data: (hp) => ({ corpus: "ptb", trainTokens: hp.corpus_size }),
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
  plan: ch05Plan,
});
