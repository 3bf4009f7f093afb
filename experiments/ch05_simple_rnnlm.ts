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
    band: [5.18, 7.65],
    source: "the book's ch05/train_custom_loop.py, 10 seeds (docs/references.md#ch05-simplernnlm)",
    distribution: {
      metric: "train_ppl",
      // Seeds 1..10 of the book's code, in order.
      epochs: {
        1: [400.71, 385.68, 399.44, 390.04, 383.25, 406.94, 367.48, 377.83, 392.22, 338.19],
        10: [192.05, 191.5, 193.77, 193.83, 193.72, 192.95, 193.49, 192.78, 192.56, 192.2],
        50: [71.52, 72.19, 84.15, 75.56, 80.1, 84.93, 86.17, 78.58, 73.26, 84.54],
        100: [5.35, 5.62, 6.3, 5.5, 5.4, 7.65, 7.22, 5.32, 5.18, 6.86],
      },
      source: "docs/references.md#ten-seeds-of-the-book-code",
    },
  },
  checkpoints: [1, 10, 50, 100],
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
