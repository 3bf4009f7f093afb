/**
 * A seeded pseudo-random generator: xoshiro128** (Blackman and Vigna), its 128-bit state filled
 * from the seed by SplitMix32, with a Box–Muller Gaussian sampler.
 *
 * One seed fixes every random choice a run makes (initial weights, dropout masks, sampling). The
 * whole state, including the spare Gaussian, can be saved and restored so that a resumed run
 * continues the same sequence.
 *
 * @module
 */

/** The complete state of a {@linkcode Rng}, as plain JSON-safe numbers. */
export interface RngState {
  /** The four 32-bit words of the xoshiro128** state. */
  s: [number, number, number, number];
  /** The second Box–Muller value kept for the next `gaussian()` call, or null. */
  spare: number | null;
}

/**
 * xoshiro128** generator with uniform, integer and Gaussian samplers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@rnnlab/rnnlab";
 * const a = new Rng(42), b = new Rng(42);
 * assert.equal(a.uniform(), b.uniform());
 * const w = new Float32Array(6);
 * a.fillGaussian(w, 0.01); // randn(6) / 100
 * ```
 */
export class Rng {
  #s = new Uint32Array(4);
  #spare: number | null = null;

  /** Seeds the generator; any integer (taken modulo 2^32) is a valid seed. */
  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // SplitMix32 step.
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
  }

  /** The next raw 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform float64 in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A standard normal sample (Box–Muller; the second value of each pair is kept for later). */
  gaussian(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with `scale * N(0, 1)` samples, like NumPy's `randn(...) * scale`. */
  fillGaussian(out: Float32Array, scale = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.gaussian() * scale;
    return out;
  }

  /** The complete generator state, for checkpoints. */
  getState(): RngState {
    return { s: [this.#s[0], this.#s[1], this.#s[2], this.#s[3]], spare: this.#spare };
  }

  /** Restores a state returned by {@linkcode Rng.getState}. */
  setState(state: RngState): void {
    this.#s.set(state.s);
    this.#spare = state.spare;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
