/**
 * Japanese: BetterRnnlm (two LSTM layers of 650, dropout 0.5, output tied to the embedding; 40
 * epochs, valid after each, lr divided by 4 when it does not improve) on the Soseki corpus of
 * `ja_soseki_rnnlm` (門 valid, こころ test, vocabulary 10,000). About 1.6 times PTB's training
 * text: many hours on two cores, so run it in pieces with `--resume`.
 *
 * @module
 */

import { defineExperiment } from "./define.ts";
import { BetterRnnlm } from "../models/better_rnnlm.ts";
import { ch06Plan, ch06Specs, num } from "./_common.ts";

export default defineExperiment({
  name: "ja_soseki_better_rnnlm",
  title: "BetterRnnlm (2 x LSTM 650, dropout 0.5, weight tying) on 14 Soseki novels, 40 epochs",
  seed: 1,
  hyperparameters: {
    ...ch06Specs({ wordvec_size: 650, hidden_size: 650, max_epoch: 40 }),
    dropout: num(0.5, 0, 0.95, "dropout ratio"),
  },
  reference: null,
  data: () => ({ corpus: "soseki", vocabSize: 10000 }),
  model: (hp, vocabSize, rng) =>
    new BetterRnnlm({
      vocabSize,
      wordvecSize: hp.wordvec_size,
      hiddenSize: hp.hidden_size,
      dropout: hp.dropout,
    }, rng),
  memory: (hp, vocabSize, N, T, train) =>
    BetterRnnlm.memory(
      { vocabSize, wordvecSize: hp.wordvec_size, hiddenSize: hp.hidden_size, dropout: hp.dropout },
      N,
      T,
      train,
    ),
  plan: (hp) => ch06Plan(hp, { validEachEpoch: true, lrDecay: 4, restartEachEpoch: true }),
});
