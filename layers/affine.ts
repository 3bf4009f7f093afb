/**
 * Affine over time: `out = x @ W + b` for all `rows = T * N` rows at once (one sgemm).
 *
 * The weight is stored `(H, V)`, or `(V, H)` and used transposed (`out = x @ W^T + b`) when the
 * output layer shares the embedding matrix (weight tying). Backward writes `dW` and `db = column
 * sums of dout` in place and returns `dx = dout @ W^T` (or `dout @ W`).
 *
 * @module
 */

import { f32, type Memory } from "../core/memory.ts";
import { Param } from "../core/param.ts";
import type { Rng } from "../core/random.ts";
import { sgemm, sgemv, sger } from "../kernels/blas.ts";
import { sharedFloat32 } from "../kernels/pool.ts";

/**
 * `out = x @ op(W) + b` where `op(W)` is `(H, V)`: `W` stored `(H, V)`, or `(V, H)` with
 * `transposed`. `ones` holds at least `rows` ones (for the bias broadcast).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { affineForward } from "@rnnlab/rnnlab";
 * const out = new Float32Array(2); // (1, 2)
 * const x = new Float32Array([1, 2]); // (1, 2)
 * const W = new Float32Array([1, 0, 0, 1]); // identity (2, 2)
 * affineForward(out, x, W, new Float32Array([10, 20]), 1, 2, 2, false, new Float32Array([1]));
 * assert.equal(out[0], 11);
 * assert.equal(out[1], 22);
 * ```
 */
export function affineForward(
  out: Float32Array, // (rows, V)
  x: Float32Array, // (rows, H)
  W: Float32Array, // (H, V), or (V, H) when transposed
  b: Float32Array, // (V)
  rows: number,
  H: number,
  V: number,
  transposed: boolean,
  ones: Float32Array, // (>= rows)
): void {
  sgemm(false, transposed, rows, V, H, 1, x, H, W, transposed ? H : V, 0, out, V);
  sger(rows, V, 1, ones, 1, b, 1, out, V);
}

/**
 * Affine backward: `dx = dout @ op(W)^T`, `dW = x^T @ dout` (or `dout^T @ x` when transposed),
 * `db = column sums of dout`; all three overwritten.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { affineBackward } from "@rnnlab/rnnlab";
 * const dx = new Float32Array(2), dW = new Float32Array(4), db = new Float32Array(2);
 * const x = new Float32Array([1, 2]), W = new Float32Array([1, 0, 0, 1]);
 * const dout = new Float32Array([3, 4]);
 * affineBackward(dx, dW, db, dout, x, W, 1, 2, 2, false, new Float32Array([1]));
 * assert.equal(dW[1], 4);
 * assert.equal(dW[2], 6);
 * assert.equal(db[1], 4);
 * assert.equal(dx[0], 3);
 * ```
 */
export function affineBackward(
  dx: Float32Array, // (rows, H)
  dW: Float32Array, // (H, V), or (V, H) when transposed
  db: Float32Array, // (V)
  dout: Float32Array, // (rows, V)
  x: Float32Array, // (rows, H)
  W: Float32Array, // (H, V), or (V, H) when transposed
  rows: number,
  H: number,
  V: number,
  transposed: boolean,
  ones: Float32Array, // (>= rows)
): void {
  if (transposed) {
    sgemm(false, false, rows, H, V, 1, dout, V, W, H, 0, dx, H); // dout @ W
    sgemm(true, false, V, H, rows, 1, dout, V, x, H, 0, dW, H); // dout^T @ x
  } else {
    sgemm(false, true, rows, H, V, 1, dout, V, W, V, 0, dx, H); // dout @ W^T
    sgemm(true, false, H, V, rows, 1, x, H, dout, V, 0, dW, V); // x^T @ dout
  }
  sgemv(true, rows, V, 1, dout, V, ones, 1, 0, db, 1);
}

/**
 * An `(H, V)` affine weight `randn(H, V) / sqrt(H)` and a zero `(V)` bias (SPEC §4).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@rnnlab/rnnlab";
 * import { initAffine } from "@rnnlab/rnnlab";
 * const { W, b } = initAffine("affine", 8, 20, new Rng(0));
 * assert.equal(W.name, "affine.W");
 * assert.equal(b.size, 20);
 * ```
 */
export function initAffine(name: string, H: number, V: number, rng: Rng): { W: Param; b: Param } {
  const W = new Param(`${name}.W`, [H, V]);
  rng.fillGaussian(W.value, 1 / Math.sqrt(H));
  return { W, b: new Param(`${name}.b`, [V]) };
}

/** Options of {@linkcode TimeAffine}. */
export interface TimeAffineOptions {
  /** `W` is stored `(V, H)` and used transposed (weight tying with an embedding). */
  transposed?: boolean;
}

/**
 * `out = x @ W + b` over `rows = T * N` rows.
 *
 * @example
 * ```ts
 * import { Rng } from "@rnnlab/rnnlab";
 * import { initAffine, TimeAffine } from "@rnnlab/rnnlab";
 * const { W, b } = initAffine("affine", 4, 10, new Rng(0));
 * const affine = new TimeAffine("affine", W, b);
 * const scores = affine.forward(new Float32Array(3 * 4).fill(1), 3); // (3, 10)
 * const dx = affine.backward(new Float32Array(3 * 10).fill(1)); // (3, 4); b.grad is all 3
 * ```
 */
export class TimeAffine {
  /**
   * What an affine `H → V` holds: `W`, `b` and their gradients (only `b` when `W` is an
   * embedding's, counted there), and for `rows` rows the scores `(rows, V)`, `dx (rows, H)` and
   * the ones.
   */
  static memory(H: number, V: number, rows: number, tied = false): Memory {
    return {
      params: f32(2 * ((tied ? 0 : H * V) + V)),
      activations: f32(rows * V + rows * H + rows),
    };
  }

  /** A name for messages. */
  readonly name: string;
  /** `[W, b]`. */
  readonly params: Param[];
  /** The weight, `(H, V)` or `(V, H)` when transposed. */
  readonly W: Param;
  /** The bias, `(V)`. */
  readonly b: Param;
  /** Input width. */
  readonly H: number;
  /** Output width. */
  readonly V: number;
  /** Whether `W` is stored `(V, H)`. */
  readonly transposed: boolean;
  #out: Float32Array = new Float32Array(0); // (rows, V), shared memory
  #dx = new Float32Array(0); // (rows, H)
  #ones = new Float32Array(0); // (rows)
  #x: Float32Array = new Float32Array(0); // (rows, H), the caller's input of the last forward
  #rows = 0;

  /**
   * Uses `W (H, V)` (or `(V, H)` with `options.transposed`) and `b (V)` as they are, not copied;
   * `name` appears in error messages. Throws when the shapes do not fit.
   */
  constructor(name: string, W: Param, b: Param, options: TimeAffineOptions = {}) {
    this.name = name;
    this.transposed = options.transposed ?? false;
    if (W.shape.length !== 2) throw new Error(`${name}: weight must be a matrix`);
    this.H = this.transposed ? W.shape[1] : W.shape[0];
    this.V = this.transposed ? W.shape[0] : W.shape[1];
    if (b.size !== this.V) throw new Error(`${name}: bias has ${b.size} elements, needs ${this.V}`);
    this.W = W;
    this.b = b;
    this.params = [W, b];
  }

  #ensure(rows: number): void {
    if (this.#rows === rows && this.#out.length > 0) return;
    this.#out = sharedFloat32(rows * this.V); // the loss layer splits its rows across threads
    this.#dx = new Float32Array(rows * this.H);
    this.#ones = new Float32Array(rows).fill(1);
    this.#rows = rows;
  }

  /**
   * Returns the scores `(rows, V)` in a reused buffer. `x` (rows, H) is kept by reference for
   * backward, so it must not change in between.
   */
  forward(x: Float32Array, rows: number): Float32Array {
    this.#ensure(rows);
    this.#x = x;
    affineForward(
      this.#out,
      x,
      this.W.value,
      this.b.value,
      rows,
      this.H,
      this.V,
      this.transposed,
      this.#ones,
    );
    return this.#out;
  }

  /** Overwrites `W.grad` and `b.grad`; returns `dx` (rows, H), reused. */
  backward(dout: Float32Array): Float32Array {
    affineBackward(
      this.#dx,
      this.W.grad,
      this.b.grad,
      dout,
      this.#x,
      this.W.value,
      this.#rows,
      this.H,
      this.V,
      this.transposed,
      this.#ones,
    );
    return this.#dx;
  }
}
