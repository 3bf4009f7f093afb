/**
 * Chapter 6: BetterRnnlm (two LSTM layers of 650, dropout 0.5, output tied to the embedding) on
 * PTB for 40 epochs. After every epoch valid perplexity is scored: an improvement saves the
 * parameters (`checkpoints/best.ckpt`), otherwise lr is divided by 4. Test perplexity is reported
 * for the final parameters (`test_ppl`, what the book's script prints) and for the best-by-valid
 * ones (`test_ppl_best`). Many hours on two cores: run it, and resume it with `--resume`.
 *
 * @module
 */

import { defineExperiment } from "./define.ts";
import { betterRnnlmModel, betterRnnlmSpecs } from "./_common.ts";

export default defineExperiment({
  name: "ch06_better_rnnlm",
  title: "BetterRnnlm (2 x LSTM 650, dropout 0.5, weight tying) on PTB, 40 epochs (chapter 6)",
  seed: 1,
  hyperparameters: betterRnnlmSpecs(),
  reference: {
    metric: "test_ppl",
    band: [70, 80],
    source:
      "PyTorch word_language_model, the same sizes and schedule: test 75.96; Inan et al. 2016: 73.9 (docs/references.md#ch06-betterrnnlm)",
  },
  data: () => ({ corpus: "ptb" }),
  ...betterRnnlmModel,
});
