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
import { sgemm, sgemv, sger, somatcopy } from "../kernels/blas.ts";
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
 * An `(H, V)` affine weight `randn(H, V) / sqrt(H)` and a zero `(V)` bias (docs/model.md#initialisation).
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
  // W and b share one ((H + 1), V) buffer, b its last row (and so do their gradients), so that
  // TimeAffine can fold the bias into its products (see fusedBias).
  const value = new Float32Array((H + 1) * V), grad = new Float32Array((H + 1) * V);
  const W = new Param(`${name}.W`, [H, V], value.subarray(0, H * V), grad.subarray(0, H * V));
  rng.fillGaussian(W.value, 1 / Math.sqrt(H));
  const b = new Param(`${name}.b`, [V], value.subarray(H * V), grad.subarray(H * V));
  return { W, b };
}

/**
 * `[W; b]` as one `((H + 1), V)` matrix, values and gradients, when `b` is stored right after
 * `W (H, V)` in the same buffer (as {@linkcode initAffine} makes them); else null. With it, the
 * bias is one more row of the product: `out = [x | 1] @ [W; b]`, and the backward product
 * `[x | 1]^T @ dout` gives `db` (the column sums of `dout`) as its last row. That saves a pass
 * over the `(rows, V)` scores for the broadcast and another for the column sums.
 */
function fusedBias(W: Param, b: Param): { value: Float32Array; grad: Float32Array } | null {
  const follows = (a: Float32Array, c: Float32Array) =>
    a.buffer === c.buffer && c.byteOffset === a.byteOffset + a.byteLength;
  if (W.shape.length !== 2 || !follows(W.value, b.value) || !follows(W.grad, b.grad)) return null;
  const n = W.size + b.size;
  return {
    value: new Float32Array(W.value.buffer, W.value.byteOffset, n),
    grad: new Float32Array(W.grad.buffer, W.grad.byteOffset, n),
  };
}

/** Options of {@linkcode TimeAffine}. */
export interface TimeAffineOptions {
  /** `W` is stored `(V, H)` and used transposed (weight tying with an embedding). */
  transposed?: boolean;
}

/**
 * `out = x @ W + b` over `rows = T * N` rows. When `W` and `b` come from {@linkcode initAffine},
 * the bias is folded into the products (`[x | 1] @ [W; b]`, and `db` with `dW`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initAffine, Rng, TimeAffine } from "@rnnlab/rnnlab";
 * const { W, b } = initAffine("affine", 4, 10, new Rng(0));
 * const affine = new TimeAffine("affine", W, b);
 * b.value.fill(0.5);
 * const scores = affine.forward(new Float32Array(3 * 4).fill(1), 3); // (3, 10)
 * const sum = (j: number) => W.value[j] + W.value[10 + j] + W.value[20 + j] + W.value[30 + j];
 * assert.ok(Math.abs(scores[7] - (sum(7) + 0.5)) < 1e-6); // row 0, column 7
 * const dx = affine.backward(new Float32Array(3 * 10).fill(1)); // (3, 4)
 * assert.deepEqual(Array.from(b.grad), new Array(10).fill(3)); // column sums of dout
 * assert.equal(dx.length, 12);
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
      // With the bias folded in, [x | 1] (rows, H + 1) takes the place of the ones.
      activations: f32(rows * V + rows * H + (tied ? rows : rows * (H + 1))),
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
  #ones = new Float32Array(0); // (rows), for an unfused bias
  #x1 = new Float32Array(0); // (rows, H + 1): [x | 1], for a fused bias
  #x: Float32Array = new Float32Array(0); // (rows, H), the caller's input of the last forward
  #rows = 0;
  #fused: { value: Float32Array; grad: Float32Array } | null; // [W; b], see fusedBias

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
    this.#fused = this.transposed ? null : fusedBias(W, b);
  }

  #ensure(rows: number): void {
    if (this.#rows === rows && this.#out.length > 0) return;
    const H = this.H;
    this.#out = sharedFloat32(rows * this.V); // the loss layer splits its rows across threads
    this.#dx = new Float32Array(rows * H);
    if (this.#fused) {
      this.#x1 = new Float32Array(rows * (H + 1));
      for (let r = 0; r < rows; r++) this.#x1[r * (H + 1) + H] = 1; // the ones column
    } else this.#ones = new Float32Array(rows).fill(1);
    this.#rows = rows;
  }

  /**
   * Returns the scores `(rows, V)` in a reused buffer. `x` (rows, H) is kept by reference for
   * backward, so it must not change in between.
   */
  forward(x: Float32Array, rows: number): Float32Array {
    this.#ensure(rows);
    this.#x = x;
    const H = this.H, V = this.V, fused = this.#fused;
    if (fused) {
      somatcopy(false, rows, H, 1, x, H, this.#x1, H + 1); // [x | 1]
      sgemm(false, false, rows, V, H + 1, 1, this.#x1, H + 1, fused.value, V, 0, this.#out, V);
      return this.#out;
    }
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
    const H = this.H, V = this.V, rows = this.#rows, fused = this.#fused;
    if (fused) {
      sgemm(false, true, rows, H, V, 1, dout, V, this.W.value, V, 0, this.#dx, H); // dout @ W^T
      // [dW; db] = [x | 1]^T @ dout: db is the last row, the column sums of dout.
      sgemm(true, false, H + 1, V, rows, 1, this.#x1, H + 1, dout, V, 0, fused.grad, V);
      return this.#dx;
    }
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
