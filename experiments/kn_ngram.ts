/**
 * A count-based baseline: an interpolated modified Kneser-Ney n-gram model (Chen & Goodman 1998),
 * counted from the training tokens and scored on valid and test with the very ids the neural
 * models read, so that a perplexity has a scale. On PTB the literature's 5-gram scores test
 * 141.2 (Mikolov et al. 2011, per-sentence histories; docs/references.md#kneser-ney). Any corpus
 * works: `--corpus soseki` (the Japanese novels, with `--vocab-size 10000` as `ja_soseki_rnnlm`
 * uses) or a folder of one's own.
 *
 * @module
 */

import { defineNgramExperiment } from "./define.ts";
import { bool, int } from "./_common.ts";

export default defineNgramExperiment({
  kind: "ngram",
  name: "kn_ngram",
  title: "interpolated modified Kneser-Ney n-gram model (a count-based baseline), order 5",
  seed: 1,
  hyperparameters: {
    order: int(5, 1, 10, "the n-gram order N: the longest n-gram counted"),
    sentence: bool(
      false,
      "per-sentence histories from <s>, as SRILM and the published PTB figures (false: one stream, as the neural models read)",
    ),
  },
  reference: {
    metric: "test_ppl",
    band: [138.4, 144.0],
    source:
      "Mikolov et al. 2011, KN5 on PTB: test 141.2; the band is 2 % either side (docs/references.md#kneser-ney)",
  },
  data: () => ({ corpus: "ptb" }),
  ngram: (hp) => ({ order: hp.order, history: hp.sentence ? "sentence" : "stream" }),
});
