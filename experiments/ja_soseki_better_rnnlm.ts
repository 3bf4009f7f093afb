/**
 * Japanese: BetterRnnlm (two LSTM layers of 650, dropout 0.5, output tied to the embedding; 40
 * epochs, valid after each, lr divided by 4 when it does not improve) on the Soseki corpus of
 * `ja_soseki_rnnlm` (門 valid, こころ test, vocabulary 10,000). About 1.6 times PTB's training
 * text: many hours on two cores, so run it in pieces with `--resume`.
 *
 * @module
 */

import { defineExperiment } from "./define.ts";
import { betterRnnlmModel, betterRnnlmSpecs } from "./_common.ts";

export default defineExperiment({
  name: "ja_soseki_better_rnnlm",
  title: "BetterRnnlm (2 x LSTM 650, dropout 0.5, weight tying) on 14 Soseki novels, 40 epochs",
  seed: 1,
  hyperparameters: betterRnnlmSpecs(),
  reference: null,
  data: () => ({ corpus: "soseki", vocabSize: 10000 }),
  ...betterRnnlmModel,
});
