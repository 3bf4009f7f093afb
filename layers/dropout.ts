/**
 * TimeDropout: inverted dropout over any flat activation buffer.
 *
 * In training each element is kept with probability `1 - p` and scaled by `1 / (1 - p)`, so the
 * expected activation is unchanged and evaluation passes values through untouched (docs/model.md#dropout). The
 * mask holds the per-element factor (`0` or `1 / (1 - p)`) and is drawn from the seeded
 * {@linkcode Rng}: one 32-bit draw per element, kept when it is at least `p * 2^32` (decided
 * without a branch, and in the same pass that applies it). Setting
 * `frozen` reuses the last mask, which makes a gradient check with dropout on deterministic.
 *
 * @module
 */

import { f32, type Memory } from "../core/memory.ts";
import type { Param } from "../core/param.ts";
import type { Rng } from "../core/random.ts";
import { enterPhase, exitPhase, Phase } from "../kernels/phase_timer.ts";

/**
 * Draws an inverted-dropout mask: `mask[k] = 1 / (1 - ratio)` with probability `1 - ratio`,
 * else `0`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@rnnlab/rnnlab";
 * import { fillDropoutMask } from "@rnnlab/rnnlab";
 * const mask = fillDropoutMask(new Float32Array(1000), 0.5, new Rng(3));
 * assert.ok(mask.every((m) => m === 0 || m === 2));
 * ```
 */
export function fillDropoutMask(mask: Float32Array, ratio: number, rng: Rng): Float32Array {
  const threshold = ratio * 4294967296;
  const scale = 1 / (1 - ratio);
  for (let k = 0; k < mask.length; k++) mask[k] = scale * keep(rng.nextUint32(), threshold);
  return mask;
}

/**
 * `1` if `r >= threshold`, else `0`, without a branch (`r` a 32-bit draw, `threshold` in
 * `[0, 2^32)`): `(r - threshold) / 2^32 + 1` lies in `[1, 2)` exactly when `r >= threshold` and in
 * `(0, 1)` otherwise. A `? :` here would mispredict on half the elements at `p = 0.5`.
 */
function keep(r: number, threshold: number): number {
  return ((r - threshold) * 2.3283064365386963e-10 + 1) | 0;
}

/** Draws the mask and applies it in one pass: `mask[k] = keep * scale`, `out[k] = x[k] * mask[k]`. */
function dropoutForward(
  x: Float32Array,
  mask: Float32Array,
  out: Float32Array,
  ratio: number,
  rng: Rng,
): void {
  const threshold = ratio * 4294967296;
  const scale = 1 / (1 - ratio);
  for (let k = 0; k < out.length; k++) {
    const m = scale * keep(rng.nextUint32(), threshold);
    mask[k] = m;
    out[k] = x[k] * m;
  }
}

/**
 * Inverted dropout with ratio `p` in `[0, 1)`; no parameters.
 *
 * `forward(x, train)` returns `x` itself when not training (or when `p = 0`), else
 * `x * mask` in an internal buffer; `backward(dout)` returns `dout * mask` (or `dout` itself when
 * the forward pass was a passthrough).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@rnnlab/rnnlab";
 * import { TimeDropout } from "@rnnlab/rnnlab";
 * const drop = new TimeDropout(0.5, new Rng(7));
 * const x = new Float32Array(8).fill(1);
 * const y = drop.forward(x, true); // each value 0 or 2
 * const dx = drop.backward(new Float32Array(8).fill(1)); // the same mask
 * assert.ok(y.every((v, k) => v === dx[k]));
 * assert.equal(drop.forward(x, false), x); // evaluation: passthrough
 * ```
 */
export class TimeDropout {
  /** What a dropout over `size` values holds: the mask, the output and `dx`. */
  static memory(size: number): Memory {
    return { params: 0, activations: f32(3 * size) };
  }

  /** Dropout has no parameters. */
  readonly params: Param[] = [];
  /** Probability of dropping an element, in `[0, 1)`. */
  readonly ratio: number;
  /** When true, training forwards reuse the last mask instead of drawing a new one. */
  frozen = false;

  #rng: Rng;
  #mask = new Float32Array(0);
  #out = new Float32Array(0);
  #dx = new Float32Array(0);
  #passthrough = true;

  /** Drops each element with probability `ratio` in `[0, 1)` (throws otherwise); masks come from `rng`. */
  constructor(ratio: number, rng: Rng) {
    if (!(ratio >= 0 && ratio < 1)) throw new Error(`TimeDropout: ratio ${ratio} not in [0, 1)`);
    this.ratio = ratio;
    this.#rng = rng;
  }

  /** The current mask (factors `0` or `1 / (1 - p)`), a view of the internal buffer. */
  get mask(): Float32Array {
    return this.#mask;
  }

  /** Installs a mask (copied) of factors to use, and freezes it. */
  setMask(mask: Float32Array): void {
    if (this.#mask.length !== mask.length) this.#resize(mask.length);
    this.#mask.set(mask);
    this.frozen = true;
  }

  #resize(size: number): void {
    this.#mask = new Float32Array(size);
    this.#out = new Float32Array(size);
    this.#dx = new Float32Array(size);
  }

  /** `x` (any shape, flat) -> the same shape: masked and scaled in training, unchanged otherwise. */
  forward(x: Float32Array, train: boolean): Float32Array {
    this.#passthrough = !train || this.ratio === 0;
    if (this.#passthrough) return x;
    const size = x.length;
    if (this.#out.length !== size) {
      if (this.frozen) {
        throw new Error(`TimeDropout: frozen mask has ${this.#mask.length} values, input ${size}`);
      }
      this.#resize(size);
    }
    const phase = enterPhase(Phase.dropout);
    const mask = this.#mask, out = this.#out;
    if (this.frozen) {
      for (let k = 0; k < size; k++) out[k] = x[k] * mask[k];
    } else {
      dropoutForward(x, mask, out, this.ratio, this.#rng);
    }
    exitPhase(phase);
    return out;
  }

  /** `dout` -> `dout * mask` of the last training forward (`dout` itself after a passthrough). */
  backward(dout: Float32Array): Float32Array {
    if (this.#passthrough) return dout;
    const phase = enterPhase(Phase.dropout);
    const mask = this.#mask, dx = this.#dx;
    for (let k = 0; k < dx.length; k++) dx[k] = dout[k] * mask[k];
    exitPhase(phase);
    return dx;
  }
}
