/**
 * TimeGRU: a gated recurrent unit unrolled over `T` time steps, with truncated BPTT.
 *
 * Formulation (the book's appendix, Cho et al. 2014 with the reset gate applied before the
 * recurrent product). Weights and bias are sliced into three `H`-wide column blocks in the order
 * **z, r, h~**:
 *
 * ```
 * z  = sigmoid(x @ Wx_z + h_prev @ Wh_z + b_z)
 * r  = sigmoid(x @ Wx_r + h_prev @ Wh_r + b_r)
 * h~ = tanh(x @ Wx_h + (r * h_prev) @ Wh_h + b_h)
 * h  = (1 - z) * h_prev + z * h~
 * ```
 *
 * Layout: time-major rows; the input projection of the whole sequence is one `sgemm`, each step
 * adds `h_prev @ Wh[:, z|r]` and then `(r * h_prev) @ Wh_h`. Hidden states are stored with the
 * initial state as block 0, so the weight gradients are one `sgemm` each after the time loop.
 *
 * @module
 */

import { f32, type Memory } from "../core/memory.ts";
import { Param } from "../core/param.ts";
import type { Rng } from "../core/random.ts";
import { sgemm, sgemv } from "../kernels/blas.ts";
import { sigmoidRange, tanhRange } from "../kernels/activations.ts";

/**
 * Activates the z and r gates of one GRU step in place and writes `rh = r * h_prev`.
 *
 * @param a (N, 3H) pre-activations; the z and r blocks are activated in place.
 * @param hPrev (N, H) previous hidden state.
 * @param rh (N, H) out: `r * h_prev`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gruGatesForward } from "@rnnlab/rnnlab";
 * const a = new Float32Array(3), rh = new Float32Array(1);
 * gruGatesForward(a, new Float32Array([4]), rh, 1, 1);
 * assert.equal(a[0], 0.5);
 * assert.equal(rh[0], 2);
 * ```
 */
export function gruGatesForward(
  a: Float32Array,
  hPrev: Float32Array,
  rh: Float32Array,
  N: number,
  H: number,
): void {
  const G = 3 * H;
  for (let n = 0; n < N; n++) {
    const ar = n * G;
    sigmoidRange(a, ar, ar + 2 * H); // z and r
    mulRow(rh, n * H, a, ar + H, hPrev, n * H, H);
  }
}

// The row loops below are functions of their own, called once per row: a nested loop would be
// optimized by on-stack replacement of its inner loop and deoptimize at the end of every row.

/** `out[o + j] = x[xo + j] * y[yo + j]` for `j` in `[0, n)`. */
function mulRow(
  out: Float32Array,
  o: number,
  x: Float32Array,
  xo: number,
  y: Float32Array,
  yo: number,
  n: number,
): void {
  for (let j = 0; j < n; j++) out[o + j] = x[xo + j] * y[yo + j];
}

/**
 * Activates the candidate block of one GRU step in place (`h~ = tanh(.)`) and writes
 * `h = (1 - z) * h_prev + z * h~`.
 *
 * @param a (N, 3H) activated z, r and the candidate's pre-activation; candidate activated in place.
 * @param hPrev (N, H) previous hidden state.
 * @param h (N, H) out: next hidden state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gruCandidateForward } from "@rnnlab/rnnlab";
 * const a = new Float32Array([0.5, 0.5, 0]), h = new Float32Array(1);
 * gruCandidateForward(a, new Float32Array([4]), h, 1, 1);
 * assert.equal(h[0], 2); // h~ = tanh(0) = 0
 * ```
 */
export function gruCandidateForward(
  a: Float32Array,
  hPrev: Float32Array,
  h: Float32Array,
  N: number,
  H: number,
): void {
  const G = 3 * H;
  for (let n = 0; n < N; n++) {
    const ar = n * G, c0 = ar + 2 * H;
    tanhRange(a, c0, a, c0, H);
    gruMixRow(a, ar, hPrev, h, n * H, H);
  }
}

/** `h = (1 - z) * hPrev + z * h~` for one row (gates at `ar`, states at `hr`). */
function gruMixRow(
  a: Float32Array,
  ar: number,
  hPrev: Float32Array,
  h: Float32Array,
  hr: number,
  H: number,
): void {
  const c0 = ar + 2 * H;
  for (let j = 0; j < H; j++) {
    const z = a[ar + j];
    h[hr + j] = (1 - z) * hPrev[hr + j] + z * a[c0 + j];
  }
}

/**
 * First half of one GRU step's backward pass: from `dh` (gradient into `h`), writes the z and
 * candidate blocks of `da` and the direct part of the gradient into `h_prev`, `dhPrev = dh*(1-z)`.
 *
 * @param a (N, 3H) activated gates `[z, r, h~]`.
 * @param dh (N, H) gradient into `h`.
 * @param da (N, 3H) out: the z and h~ blocks (the r block is written by
 *   {@linkcode gruResetBackward}).
 * @param dhPrev (N, H) out: `dh * (1 - z)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gruUpdateBackward } from "@rnnlab/rnnlab";
 * const a = new Float32Array([0.5, 0.5, 0]), da = new Float32Array(3), dhp = new Float32Array(1);
 * gruUpdateBackward(a, new Float32Array([4]), new Float32Array([1]), da, dhp, 1, 1);
 * assert.equal(dhp[0], 0.5);
 * assert.equal(da[2], 0.5);
 * assert.equal(da[0], -1); // dz = (0 - 4) * 0.25
 * ```
 */
export function gruUpdateBackward(
  a: Float32Array,
  hPrev: Float32Array,
  dh: Float32Array,
  da: Float32Array,
  dhPrev: Float32Array,
  N: number,
  H: number,
): void {
  const G = 3 * H;
  for (let n = 0; n < N; n++) gruUpdateRow(a, hPrev, dh, da, dhPrev, n * G, n * H, H);
}

/** {@linkcode gruUpdateBackward} for one row. */
function gruUpdateRow(
  a: Float32Array,
  hPrev: Float32Array,
  dh: Float32Array,
  da: Float32Array,
  dhPrev: Float32Array,
  ar: number,
  hr: number,
  H: number,
): void {
  for (let j = 0; j < H; j++) {
    const z = a[ar + j];
    const hh = a[ar + 2 * H + j];
    const d = dh[hr + j];
    da[ar + j] = d * (hh - hPrev[hr + j]) * z * (1 - z);
    da[ar + 2 * H + j] = d * z * (1 - hh * hh);
    dhPrev[hr + j] = d * (1 - z);
  }
}

/**
 * Second half of one GRU step's backward pass: from `drh` (gradient into `r * h_prev`), writes the
 * r block of `da` and adds `drh * r` to `dhPrev`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gruResetBackward } from "@rnnlab/rnnlab";
 * const a = new Float32Array([0.5, 0.5, 0]), da = new Float32Array(3), dhp = new Float32Array(1);
 * gruResetBackward(a, new Float32Array([4]), new Float32Array([1]), da, dhp, 1, 1);
 * assert.equal(da[1], 1);
 * assert.equal(dhp[0], 0.5); // dr = 1 * 4 * 0.25
 * ```
 */
export function gruResetBackward(
  a: Float32Array,
  hPrev: Float32Array,
  drh: Float32Array,
  da: Float32Array,
  dhPrev: Float32Array,
  N: number,
  H: number,
): void {
  const G = 3 * H;
  for (let n = 0; n < N; n++) gruResetRow(a, hPrev, drh, da, dhPrev, n * G, n * H, H);
}

/** {@linkcode gruResetBackward} for one row. */
function gruResetRow(
  a: Float32Array,
  hPrev: Float32Array,
  drh: Float32Array,
  da: Float32Array,
  dhPrev: Float32Array,
  ar: number,
  hr: number,
  H: number,
): void {
  for (let j = 0; j < H; j++) {
    const r = a[ar + H + j];
    const d = drh[hr + j];
    da[ar + H + j] = d * hPrev[hr + j] * r * (1 - r);
    dhPrev[hr + j] += d * r;
  }
}

/** Options of {@linkcode TimeGRU}. */
export interface TimeGRUOptions {
  /** Carry `h` from one `forward` call to the next (truncated BPTT). Default false. */
  stateful?: boolean;
}

/**
 * A GRU over `T` time steps sharing `Wx (D, 3H)`, `Wh (H, 3H)` and `b (3H)`, initialised like the
 * LSTM (`randn / sqrt(fan_in)`, zero bias).
 *
 * `forward(x, N, T)` keeps a reference to `x` for the backward pass and returns a view of an
 * internal buffer that the next `forward` overwrites. When stateful, the last `h` is carried to
 * the next call; a call with a different batch size `N` starts from zeros.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@rnnlab/rnnlab";
 * import { TimeGRU } from "@rnnlab/rnnlab";
 * const gru = new TimeGRU("gru", 3, 4, new Rng(1), { stateful: true });
 * const hs = gru.forward(new Float32Array(5 * 2 * 3).fill(0.1), 2, 5); // (T*N, H)
 * const dxs = gru.backward(new Float32Array(5 * 2 * 4).fill(1)); // (T*N, D)
 * assert.equal(hs.length, 40);
 * assert.equal(dxs.length, 30);
 * assert.equal(gru.getState().length, 1);
 * ```
 */
export class TimeGRU {
  /**
   * What a GRU `D → H` holds: `Wx (D, 3H)`, `Wh (H, 3H)`, `b (3H)` and their gradients; for `N`
   * streams of `T` steps `hs`, `r * h`, the gates and their gradients, `dxs`, the ones, the three
   * `(N, H)` step gradients and the carried `h`.
   */
  static memory(D: number, H: number, N: number, T: number): Memory {
    const G = 3 * H, TN = T * N;
    return {
      params: f32(2 * (D * G + H * G + G)),
      activations: f32((T + 1) * N * H + TN * H + 2 * TN * G + TN * D + TN + 4 * N * H),
    };
  }

  /** `[Wx, Wh, b]`. */
  readonly params: Param[];
  /** Input weights `(D, 3H)`, columns `[z, r, h~]`. */
  readonly Wx: Param;
  /** Recurrent weights `(H, 3H)`. */
  readonly Wh: Param;
  /** Bias `(3H)`. */
  readonly b: Param;
  /** Input width `D`. */
  readonly inputSize: number;
  /** Hidden width `H`. */
  readonly hiddenSize: number;
  /** Whether `h` is carried across `forward` calls. */
  stateful: boolean;

  #N = 0;
  #T = 0;
  #x: Float32Array = new Float32Array(0); // (T*N, D) reference to the last input
  #hs = new Float32Array(0); // ((T+1)*N, H), block 0 = initial h
  #rh = new Float32Array(0); // (T*N, H) r * h_prev
  #a = new Float32Array(0); // (T*N, 3H) activated [z, r, h~]
  #da = new Float32Array(0); // (T*N, 3H)
  #dxs = new Float32Array(0); // (T*N, D)
  #ones = new Float32Array(0); // (T*N)
  #dh = new Float32Array(0); // (N, H)
  #dhPrev = new Float32Array(0); // (N, H)
  #drh = new Float32Array(0); // (N, H)
  #dhInit = new Float32Array(0); // (N, H) d(initial h), one of #dh / #dhPrev
  #out = new Float32Array(0);
  #daCand = new Float32Array(0); // view of da from column 2H of row 0 (row stride 3H)
  #whCand: Float32Array; // view Wh[:, 2H:] (row stride 3H)
  #whCandGrad: Float32Array; // view dWh[:, 2H:]
  #hSteps: Float32Array[] = []; // T+1 views (N, H)
  #rhSteps: Float32Array[] = []; // T views (N, H)
  #aSteps: Float32Array[] = []; // T views (N, 3H)
  #aCandSteps: Float32Array[] = []; // T views starting at column 2H of step t
  #daSteps: Float32Array[] = [];
  #daCandSteps: Float32Array[] = [];
  #dhsSteps: Float32Array[] = [];
  #dhsRef: Float32Array | null = null;
  #h: Float32Array | null = null; // (N, H) carried state

  /**
   * Creates `<name>.Wx (D, 3H)` and `<name>.Wh (H, 3H)`, drawn from `rng` as `randn / sqrt(fan_in)`,
   * and a zero bias `<name>.b (3H)`. Not stateful unless `options.stateful` is true.
   */
  constructor(name: string, D: number, H: number, rng: Rng, options: TimeGRUOptions = {}) {
    this.inputSize = D;
    this.hiddenSize = H;
    this.stateful = options.stateful ?? false;
    this.Wx = new Param(`${name}.Wx`, [D, 3 * H]);
    this.Wh = new Param(`${name}.Wh`, [H, 3 * H]);
    this.b = new Param(`${name}.b`, [3 * H]);
    rng.fillGaussian(this.Wx.value, 1 / Math.sqrt(D));
    rng.fillGaussian(this.Wh.value, 1 / Math.sqrt(H));
    this.params = [this.Wx, this.Wh, this.b];
    this.#whCand = this.Wh.value.subarray(2 * H);
    this.#whCandGrad = this.Wh.grad.subarray(2 * H);
  }

  #ensure(N: number, T: number): void {
    if (N === this.#N && T === this.#T) return;
    const D = this.inputSize, H = this.hiddenSize, G = 3 * H, TN = T * N, NH = N * H, NG = N * G;
    this.#N = N;
    this.#T = T;
    this.#hs = new Float32Array((T + 1) * NH);
    this.#rh = new Float32Array(TN * H);
    this.#a = new Float32Array(TN * G);
    this.#da = new Float32Array(TN * G);
    this.#dxs = new Float32Array(TN * D);
    this.#ones = new Float32Array(TN).fill(1);
    this.#dh = new Float32Array(NH);
    this.#dhPrev = new Float32Array(NH);
    this.#drh = new Float32Array(NH);
    this.#out = this.#hs.subarray(NH);
    this.#daCand = this.#da.subarray(2 * H);
    this.#hSteps = [];
    this.#rhSteps = [];
    this.#aSteps = [];
    this.#aCandSteps = [];
    this.#daSteps = [];
    this.#daCandSteps = [];
    for (let t = 0; t <= T; t++) this.#hSteps.push(this.#hs.subarray(t * NH, (t + 1) * NH));
    for (let t = 0; t < T; t++) {
      this.#rhSteps.push(this.#rh.subarray(t * NH, (t + 1) * NH));
      this.#aSteps.push(this.#a.subarray(t * NG, (t + 1) * NG));
      this.#aCandSteps.push(this.#a.subarray(t * NG + 2 * H, (t + 1) * NG));
      this.#daSteps.push(this.#da.subarray(t * NG, (t + 1) * NG));
      this.#daCandSteps.push(this.#da.subarray(t * NG + 2 * H, (t + 1) * NG));
    }
    this.#dhsRef = null;
  }

  /** Runs the sequence `x (T*N, D)` and returns `hs (T*N, H)` (a view of an internal buffer). */
  forward(x: Float32Array, N: number, T: number): Float32Array {
    const D = this.inputSize, H = this.hiddenSize, G = 3 * H, TN = T * N, NH = N * H;
    if (x.length !== TN * D) {
      throw new Error(`TimeGRU: input has ${x.length} values, expected T*N*D = ${TN * D}`);
    }
    this.#ensure(N, T);
    this.#x = x;
    const hs = this.#hs, a = this.#a;
    if (this.stateful && this.#h !== null && this.#h.length === NH) hs.set(this.#h, 0);
    else hs.fill(0, 0, NH);
    const bias = this.b.value;
    for (let r = 0; r < TN; r++) a.set(bias, r * G);
    sgemm(false, false, TN, G, D, 1, x, D, this.Wx.value, G, 1, a, G); // (T*N, 3H)
    const Wh = this.Wh.value;
    for (let t = 0; t < T; t++) {
      const at = this.#aSteps[t], hPrev = this.#hSteps[t], rh = this.#rhSteps[t];
      sgemm(false, false, N, 2 * H, H, 1, hPrev, H, Wh, G, 1, at, G); // z|r block (N, 2H)
      gruGatesForward(at, hPrev, rh, N, H);
      sgemm(false, false, N, H, H, 1, rh, H, this.#whCand, G, 1, this.#aCandSteps[t], G); // (N, H)
      gruCandidateForward(at, hPrev, this.#hSteps[t + 1], N, H);
    }
    if (this.stateful) {
      if (this.#h === null || this.#h.length !== NH) this.#h = new Float32Array(NH);
      this.#h.set(this.#hSteps[T]);
    }
    return this.#out;
  }

  /**
   * Back-propagates `dhs (T*N, H)` through the last forward pass (truncated at its first step),
   * overwrites `Wx.grad`, `Wh.grad`, `b.grad` and returns `dxs (T*N, D)` (an internal buffer).
   */
  backward(dhs: Float32Array): Float32Array {
    const N = this.#N, T = this.#T, D = this.inputSize, H = this.hiddenSize;
    const G = 3 * H, TN = T * N, NH = N * H;
    if (dhs.length !== TN * H) {
      throw new Error(`TimeGRU: dhs has ${dhs.length} values, expected T*N*H = ${TN * H}`);
    }
    if (this.#dhsRef !== dhs) {
      this.#dhsSteps = [];
      for (let t = 0; t < T; t++) this.#dhsSteps.push(dhs.subarray(t * NH, (t + 1) * NH));
      this.#dhsRef = dhs;
    }
    let dh = this.#dh, dhPrev = this.#dhPrev;
    const drh = this.#drh, Wh = this.Wh.value;
    dh.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const dhsT = this.#dhsSteps[t];
      for (let k = 0; k < NH; k++) dh[k] += dhsT[k];
      const at = this.#aSteps[t], dat = this.#daSteps[t], hPrev = this.#hSteps[t];
      gruUpdateBackward(at, hPrev, dh, dat, dhPrev, N, H);
      sgemm(false, true, N, H, H, 1, this.#daCandSteps[t], G, this.#whCand, G, 0, drh, H); // (N, H)
      gruResetBackward(at, hPrev, drh, dat, dhPrev, N, H);
      sgemm(false, true, N, H, 2 * H, 1, dat, G, Wh, G, 1, dhPrev, H); // (N, H)
      const swap = dh;
      dh = dhPrev;
      dhPrev = swap;
    }
    this.#dhInit = dh;
    const da = this.#da;
    sgemm(true, false, D, G, TN, 1, this.#x, D, da, G, 0, this.Wx.grad, G); // (D, 3H)
    sgemm(true, false, H, 2 * H, TN, 1, this.#hs, H, da, G, 0, this.Wh.grad, G); // z|r (H, 2H)
    sgemm(true, false, H, H, TN, 1, this.#rh, H, this.#daCand, G, 0, this.#whCandGrad, G); // (H, H)
    sgemv(true, TN, G, 1, da, G, this.#ones, 1, 0, this.b.grad, 1); // (3H)
    sgemm(false, true, TN, D, G, 1, da, G, this.Wx.value, G, 0, this.#dxs, D); // (T*N, D)
    return this.#dxs;
  }

  /** Gradient with respect to the initial `h` after the last backward, `(N, H)` (a view). */
  get dh(): Float32Array {
    return this.#dhInit;
  }

  /** Forgets the carried `h`. */
  resetState(): void {
    this.#h = null;
  }

  /** A copy of the carried `[h]` `(N, H)`; empty before the first stateful forward. */
  getState(): Float32Array[] {
    return this.#h === null ? [] : [this.#h.slice()];
  }

  /** Restores `[h]` as returned by {@linkcode TimeGRU.getState} (empty resets). */
  setState(state: Float32Array[]): void {
    if (state.length === 0) return this.resetState();
    if (state.length !== 1 || state[0].length % this.hiddenSize !== 0) {
      throw new Error(`TimeGRU.setState: expected [h] of size (N, ${this.hiddenSize})`);
    }
    this.#h = state[0].slice();
  }
}
