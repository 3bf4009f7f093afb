/**
 * Japanese: chapter 6's Rnnlm (Embedding → TimeLSTM → TimeAffine, D = H = 100, 4 epochs, lr 20,
 * clipping 0.25) on fourteen novels of Natsume Soseki from Aozora Bunko, segmented into words by
 * MeCab with IPAdic. Whole works are split: 門 is valid, こころ is test, the other twelve train
 * (1.48 M tokens). The vocabulary is the 10,000 most frequent training words, the rest `<unk>`,
 * as PTB's. The corpus is cleaned and segmented at the start of every run, in a few seconds.
 *
 * @module
 */

import { defineExperiment } from "./define.ts";
import { ch06Plan, ch06Specs, rnnlmModel } from "./_common.ts";

export default defineExperiment({
  name: "ja_soseki_rnnlm",
  title: "Rnnlm (one LSTM layer, D = H = 100) on 14 Soseki novels, MeCab words, 4 epochs",
  seed: 1,
  hyperparameters: ch06Specs(),
  reference: null,
  data: () => ({ corpus: "soseki", vocabSize: 10000 }),
  ...rnnlmModel,
  plan: (hp) => ch06Plan(hp),
});
