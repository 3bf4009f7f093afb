/**
 * The language models, re-exported with the {@linkcode LanguageModel} interface, and the
 * count-based interpolated Kneser-Ney n-gram baseline ({@linkcode trainKneserNey}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@rnnlab/rnnlab";
 * import { type LanguageModel, Rnnlm } from "@rnnlab/rnnlab";
 * const config = { vocabSize: 10, wordvecSize: 4, hiddenSize: 4 };
 * const model: LanguageModel = new Rnnlm(config, new Rng(0));
 * assert.equal(model.params.length, 6);
 * ```
 *
 * @module
 */

export type * from "./model.ts";
export * from "./single_layer_lm.ts";
export * from "./simple_rnnlm.ts";
export * from "./rnnlm.ts";
export * from "./gru_rnnlm.ts";
export * from "./better_rnnlm.ts";
export * from "./book_weights.ts";
export * from "./kneser_ney.ts";
