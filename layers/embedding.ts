/**
 * Embedding over time: each word id selects one row of the matrix `W` (V, D).
 *
 * Forward gathers rows, backward scatters: `dW` is zeroed and `dout[r]` is added into row
 * `xs[r]` for every row `r`, so a word that occurs several times in the batch accumulates the
 * gradient of each occurrence.
 *
 * @module
 */

import { f32, type Memory } from "../core/memory.ts";
import { Param } from "../core/param.ts";
import type { Rng } from "../core/random.ts";
import { enterPhase, exitPhase, Phase } from "../kernels/phase_timer.ts";

/**
 * `out[r] = W[xs[r]]` for `rows` ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { embeddingForward } from "@rnnlab/rnnlab";
 * const out = new Float32Array(4);
 * embeddingForward(out, new Int32Array([1, 0]), 2, new Float32Array([1, 2, 3, 4]), 2);
 * assert.equal(out[0], 3);
 * assert.equal(out[3], 2);
 * ```
 */
export function embeddingForward(
  out: Float32Array, // (rows, D)
  xs: Int32Array, // (rows)
  rows: number,
  W: Float32Array, // (V, D)
  D: number,
): void {
  for (let r = 0; r < rows; r++) {
    const id = xs[r];
    out.set(W.subarray(id * D, id * D + D), r * D);
  }
}

/**
 * `dW = 0; dW[xs[r]] += dout[r]` for `rows` ids (repeated ids add). With `accumulate` the
 * zeroing is skipped, so the scatter adds onto what `dW` already holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { embeddingBackward } from "@rnnlab/rnnlab";
 * const dW = new Float32Array(4); // (V=2, D=2)
 * embeddingBackward(dW, new Float32Array([1, 1, 2, 2]), new Int32Array([1, 1]), 2, 2);
 * assert.equal(dW[2], 3);
 * assert.equal(dW[0], 0);
 * ```
 */
export function embeddingBackward(
  dW: Float32Array, // (V, D)
  dout: Float32Array, // (rows, D)
  xs: Int32Array, // (rows)
  rows: number,
  D: number,
  accumulate = false,
): void {
  if (!accumulate) dW.fill(0);
  for (let r = 0; r < rows; r++) {
    const w = xs[r] * D;
    const o = r * D;
    for (let j = 0; j < D; j++) dW[w + j] += dout[o + j];
  }
}

/**
 * A `(V, D)` embedding parameter initialised `randn(V, D) / 100` (docs/model.md#initialisation).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@rnnlab/rnnlab";
 * import { initEmbedding } from "@rnnlab/rnnlab";
 * const W = initEmbedding("embed.W", 10, 4, new Rng(0));
 * assert.equal(W.shape[0], 10);
 * assert.equal(W.shape[1], 4);
 * ```
 */
export function initEmbedding(name: string, V: number, D: number, rng: Rng): Param {
  const W = new Param(name, [V, D]);
  rng.fillGaussian(W.value, 1 / 100);
  return W;
}

/** Options of {@linkcode TimeEmbedding}. */
export interface TimeEmbeddingOptions {
  /**
   * Backward adds its scatter into `W.grad` instead of overwriting it: for a matrix shared with a
   * tied output layer whose backward has written its own part into `W.grad` first. Saves zeroing
   * the `(V, D)` gradient and a separate pass adding the two parts.
   */
  addToGrad?: boolean;
}

/**
 * Embedding lookup for a time-major batch of `rows = T * N` ids.
 *
 * @example
 * ```ts
 * import { Rng } from "@rnnlab/rnnlab";
 * import { initEmbedding, TimeEmbedding } from "@rnnlab/rnnlab";
 * const embed = new TimeEmbedding("embed", initEmbedding("embed.W", 10, 4, new Rng(0)));
 * const out = embed.forward(new Int32Array([3, 3]), 2); // (2, 4)
 * embed.backward(new Float32Array(8).fill(1)); // embed.W.grad row 3 is now all 2
 * ```
 */
export class TimeEmbedding {
  /**
   * What an embedding of `V` words of width `D` holds: `W` and its gradient, and for `rows` rows
   * the output `(rows, D)` and the ids.
   */
  static memory(V: number, D: number, rows: number): Memory {
    return { params: f32(2 * V * D), activations: f32(rows * D + rows) };
  }

  /** A name for messages. */
  readonly name: string;
  /** `[W]`. */
  readonly params: Param[];
  /** The `(V, D)` matrix (possibly shared with a tied output layer). */
  readonly W: Param;
  /** Vocabulary size. */
  readonly V: number;
  /** Word-vector size. */
  readonly D: number;
  /** Whether backward adds into `W.grad` rather than overwriting it. */
  readonly addToGrad: boolean;
  #out = new Float32Array(0); // (rows, D)
  #xs = new Int32Array(0); // (rows) ids of the last forward
  #rows = 0;

  /**
   * Looks up rows of `W (V, D)`, used as it is (not copied; it may be shared with a tied output
   * layer); `name` appears in error messages. Throws when `W` is not a matrix.
   */
  constructor(name: string, W: Param, options: TimeEmbeddingOptions = {}) {
    if (W.shape.length !== 2) throw new Error(`${name}: embedding matrix must be (V, D)`);
    this.name = name;
    this.W = W;
    this.V = W.shape[0];
    this.D = W.shape[1];
    this.addToGrad = options.addToGrad ?? false;
    this.params = [W];
  }

  /** Gathers `rows` embedding rows; returns a reused `(rows, D)` buffer. */
  forward(xs: Int32Array, rows: number): Float32Array {
    if (this.#out.length !== rows * this.D) {
      this.#out = new Float32Array(rows * this.D);
      this.#xs = new Int32Array(rows);
    }
    for (let r = 0; r < rows; r++) {
      const id = xs[r];
      if (!(id >= 0 && id < this.V)) {
        throw new RangeError(`${this.name}: word id ${id} at row ${r} is outside [0, ${this.V})`);
      }
    }
    this.#xs.set(xs.subarray(0, rows));
    this.#rows = rows;
    const phase = enterPhase(Phase.embedding);
    embeddingForward(this.#out, this.#xs, rows, this.W.value, this.D);
    exitPhase(phase);
    return this.#out;
  }

  /** Overwrites `W.grad` with the scatter-add of `dout` (rows, D) (adds to it with `addToGrad`). */
  backward(dout: Float32Array): void {
    const phase = enterPhase(Phase.embedding);
    embeddingBackward(this.W.grad, dout, this.#xs, this.#rows, this.D, this.addToGrad);
    exitPhase(phase);
  }
}
