/**
 * Chapter 6: Rnnlm (Embedding → TimeLSTM → TimeAffine) on the full PTB, 4 epochs with clipping,
 * test perplexity at the end (the book's `ch06/train_rnnlm.py`).
 *
 * @module
 */

import { defineExperiment } from "./define.ts";
import { ch06Plan, ch06Specs, rnnlmModel } from "./_common.ts";

export default defineExperiment({
  name: "ch06_rnnlm",
  title: "Rnnlm (one LSTM layer, D = H = 100) on PTB, 4 epochs (chapter 6)",
  seed: 1,
  hyperparameters: ch06Specs(),
  reference: {
    metric: "test_ppl",
    band: [134.63, 136.54],
    source:
      "the book's ch06/train_rnnlm.py, 5 seeds; its published weights score 136.08 (docs/references.md#ch06-rnnlm)",
    distribution: {
      metric: "test_ppl",
      values: [135.89, 135.28, 134.67, 134.63, 136.54],
      source: "docs/references.md#five-seeds-of-the-book-code",
    },
  },
  data: () => ({ corpus: "ptb" }),
  ...rnnlmModel,
  plan: (hp) => ch06Plan(hp),
});
