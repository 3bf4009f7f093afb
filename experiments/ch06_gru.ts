/**
 * Rnnlm with a GRU cell in place of the LSTM, trained exactly like `ch06_rnnlm`. The book
 * describes the GRU but gives no PTB figure for it, so there is no reference band.
 *
 * @module
 */

import { defineExperiment } from "./define.ts";
import { GruRnnlm } from "../models/gru_rnnlm.ts";
import { ch06Plan, ch06Specs } from "./_common.ts";

export default defineExperiment({
  name: "ch06_gru",
  title: "Rnnlm with a GRU cell (D = H = 100) on PTB, 4 epochs (no book figure)",
  seed: 1,
  hyperparameters: ch06Specs(),
  reference: null,
  data: () => ({ corpus: "ptb" }),
  model: (hp, vocabSize, rng) =>
    new GruRnnlm({
      vocabSize,
      wordvecSize: hp.wordvec_size,
      hiddenSize: hp.hidden_size,
    }, rng),
  memory: (hp, vocabSize, N, T) =>
    GruRnnlm.memory(
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
