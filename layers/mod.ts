/**
 * The layers, re-exported.
 *
 * @example
 * ```ts
 * import { TimeEmbedding, TimeRNN } from "./mod.ts";
 * console.assert(typeof TimeEmbedding === "function" && typeof TimeRNN === "function");
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
