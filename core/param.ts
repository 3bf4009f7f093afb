/**
 * A trainable parameter: its value and its gradient, side by side.
 *
 * Layers own their parameters and write gradients into `grad` in place, so the optimizer and the
 * clipping step can hold the same references for the whole run. A parameter shared by two layers
 * (weight tying) is one `Param` object; {@linkcode uniqueParams} lists each one once.
 *
 * @module
 */

/**
 * A named float32 tensor and its gradient, both flat row-major buffers of `shape`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Param } from "@rnnlab/rnnlab";
 * const w = new Param("rnn.Wx", [100, 100]);
 * assert.equal(w.value.length, 10000);
 * assert.equal(w.grad.length, 10000);
 * // Two parameters whose gradients are adjacent parts of one buffer (one sgemm fills both):
 * const both = new Float32Array(2 * 6);
 * const a = new Param("a", [2, 3], undefined, both.subarray(0, 6));
 * const b = new Param("b", [2, 3], undefined, both.subarray(6));
 * assert.equal(a.grad.buffer, b.grad.buffer);
 * ```
 */
export class Param {
  /** Row-major value buffer. */
  readonly value: Float32Array;
  /** Gradient buffer of the same size, overwritten by every backward pass. */
  readonly grad: Float32Array;
  /** A stable name such as `"lstm0.Wx"`, used in checkpoints. */
  readonly name: string;
  /** The tensor's shape, e.g. `[D, 4 * H]`. */
  readonly shape: readonly number[];

  /**
   * `value` and `grad` default to new zeroed buffers; when given they are used as they are (not
   * copied) and must have the shape's size.
   */
  constructor(name: string, shape: readonly number[], value?: Float32Array, grad?: Float32Array) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (value && value.length !== size) {
      throw new Error(`${name}: value has ${value.length} elements, shape needs ${size}`);
    }
    if (grad && grad.length !== size) {
      throw new Error(`${name}: grad has ${grad.length} elements, shape needs ${size}`);
    }
    this.name = name;
    this.shape = [...shape];
    this.value = value ?? new Float32Array(size);
    this.grad = grad ?? new Float32Array(size);
  }

  /** Number of elements. */
  get size(): number {
    return this.value.length;
  }
}

/**
 * The distinct parameters among `params`, in first-seen order (a tied parameter appears once).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Param, uniqueParams } from "@rnnlab/rnnlab";
 * const e = new Param("embed.W", [10, 4]);
 * assert.equal(uniqueParams([e, e]).length, 1);
 * ```
 */
export function uniqueParams(params: Iterable<Param>): Param[] {
  const seen = new Set<Param>();
  const out: Param[] = [];
  for (const p of params) {
    if (!seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  }
  return out;
}
