/**
 * The layers, re-exported.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeEmbedding, TimeRNN } from "@rnnlab/rnnlab";
 * assert.equal(typeof TimeEmbedding, "function");
 * assert.equal(typeof TimeRNN, "function");
 * ```
 *
 * @module
 */

export * from "./embedding.ts";
export * from "./rnn.ts";
export * from "./affine.ts";
export * from "./softmax_loss.ts";
export * from "./lstm.ts";
export * from "./gru.ts";
export * from "./dropout.ts";
