/**
 * A vanilla RNN unrolled over `T` time steps: `h_t = tanh(h_{t-1} @ Wh + x_t @ Wx + b)`.
 *
 * The hidden states live in one `((T+1)*N, H)` buffer whose first `N` rows are the initial
 * state, so `h_{t-1}` for every step is the contiguous block of rows `[0, T*N)` and `h_t` the
 * block `[N, (T+1)*N)`. That makes the input projection `x @ Wx` one sgemm over all `T*N` rows
 * before the time loop, and the weight gradients `dWx = x^T @ dt`, `dWh = h_prev^T @ dt` one
 * sgemm each after the backward time loop; only `h_{t-1} @ Wh` and `dt_t @ Wh^T` are per step.
 *
 * Stateful (the default): the last hidden state of one forward call is the initial state of the
 * next (truncated BPTT); gradients stop at the call's edge.
 *
 * @module
 */

import { f32, type Memory } from "../core/memory.ts";
import { Param } from "../core/param.ts";
import type { Rng } from "../core/random.ts";
import { sgemm, sgemv, somatcopy } from "../kernels/blas.ts";
import { tanhRange } from "../kernels/activations.ts";
import { enterPhase, exitPhase, Phase } from "../kernels/phase_timer.ts";

/**
 * `hs[t] = tanh(hs[t] + b)` for a block of `n` rows already holding `x @ Wx + h_prev @ Wh`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { biasTanhForward } from "@rnnlab/rnnlab";
 * const a = new Float32Array([0, 1]);
 * biasTanhForward(a, 0, 1, 2, new Float32Array([0, -1]));
 * assert.equal(a[0], 0);
 * assert.equal(a[1], 0);
 * ```
 */
export function biasTanhForward(
  a: Float32Array, // rows [start, start + n) of width H, in place
  start: number,
  n: number,
  H: number,
  b: Float32Array, // (H)
): void {
  for (let r = start; r < start + n; r++) {
    const o = r * H;
    for (let j = 0; j < H; j++) a[o + j] += b[j];
  }
  tanhRange(a, start * H, a, start * H, n * H); // table-based, absolute error below 1e-9
}

/**
 * `dt = (dh + dhNext) * (1 - h^2)` for one `(N, H)` time step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tanhBackward } from "@rnnlab/rnnlab";
 * const dt = new Float32Array(1);
 * tanhBackward(dt, new Float32Array([1]), new Float32Array([1]), new Float32Array([0.5]), 1);
 * assert.equal(dt[0], 1.5);
 * ```
 */
export function tanhBackward(
  dt: Float32Array, // (N, H)
  dh: Float32Array, // (N, H) gradient from above
  dhNext: Float32Array, // (N, H) gradient carried from step t+1
  h: Float32Array, // (N, H) the step's output
  size: number,
): void {
  for (let i = 0; i < size; i++) {
    const y = h[i];
    dt[i] = (dh[i] + dhNext[i]) * (1 - y * y);
  }
}

/** Options of {@linkcode TimeRNN}. */
export interface TimeRNNOptions {
  /** Carry the last hidden state into the next forward call (truncated BPTT). Default false, as for every Time layer. */
  stateful?: boolean;
}

/**
 * A time-unrolled RNN layer with parameters `Wx (D, H)`, `Wh (H, H)`, `b (H)`.
 *
 * @example
 * ```ts
 * import { Rng } from "@rnnlab/rnnlab";
 * import { TimeRNN } from "@rnnlab/rnnlab";
 * const rnn = new TimeRNN("rnn", 3, 4, new Rng(0));
 * const hs = rnn.forward(new Float32Array(2 * 5 * 3).fill(0.1), 2, 5); // N=2, T=5: (10, 4)
 * const dxs = rnn.backward(new Float32Array(10 * 4).fill(1)); // (10, 3)
 * rnn.resetState();
 * ```
 */
export class TimeRNN {
  /**
   * What an RNN `D → H` holds: `Wx, Wh, b`, their gradients and `Wh^T`; for `N` streams of `T`
   * steps `hs ((T+1)N, H)`, `dts (TN, H)`, `dxs (TN, D)`, the ones, `dh` and the carried `h`.
   */
  static memory(D: number, H: number, N: number, T: number): Memory {
    const TN = T * N;
    return {
      params: f32(2 * (D * H + H * H + H) + H * H),
      activations: f32((T + 1) * N * H + TN * H + TN * D + TN + 2 * N * H),
    };
  }

  /** A name for messages. */
  readonly name: string;
  /** `[Wx, Wh, b]`. */
  readonly params: Param[];
  /** Input-to-hidden weight `(D, H)`. */
  readonly Wx: Param;
  /** Hidden-to-hidden weight `(H, H)`. */
  readonly Wh: Param;
  /** Bias `(H)`. */
  readonly b: Param;
  /** Input width `D`. */
  readonly inputSize: number;
  /** Hidden width `H`. */
  readonly hiddenSize: number;
  /** Whether the hidden state is carried across forward calls. */
  readonly stateful: boolean;
  /** The gradient with respect to the initial hidden state of the last backward, `(N, H)`. */
  dh: Float32Array = new Float32Array(0);
  #h: Float32Array | null = null; // (N, H) carried state
  #hs = new Float32Array(0); // ((T+1)*N, H): initial state, then h_1..h_T
  #dts = new Float32Array(0); // (T*N, H)
  #WhT = new Float32Array(0); // (H, H) transpose of Wh for the backward time loop
  #dxs = new Float32Array(0); // (T*N, D)
  #x: Float32Array = new Float32Array(0); // (T*N, D), the caller's input of the last forward
  #ones = new Float32Array(0); // (T*N) all ones, for the bias gradient
  #N = 0;
  #T = 0;
  // Per-step views, built once per shape so the time loops do not allocate.
  #hSteps: Float32Array[] = []; // T+1 views (N, H) of hs
  #dtSteps: Float32Array[] = []; // T views (N, H) of dts
  #hsOut = new Float32Array(0); // hs[N*H ..): h_1..h_T
  #dhsSteps: Float32Array[] = []; // T views (N, H) of the last dhs
  #dhsRef: Float32Array | null = null;

  /**
   * Creates `<name>.Wx (D, H)` and `<name>.Wh (H, H)`, drawn from `rng` as `randn / sqrt(fan_in)`,
   * and a zero bias `<name>.b (H)`. Not stateful unless `options.stateful` is true.
   */
  constructor(name: string, D: number, H: number, rng: Rng, options: TimeRNNOptions = {}) {
    this.name = name;
    this.inputSize = D;
    this.hiddenSize = H;
    this.stateful = options.stateful ?? false;
    this.Wx = new Param(`${name}.Wx`, [D, H]);
    this.Wh = new Param(`${name}.Wh`, [H, H]);
    this.b = new Param(`${name}.b`, [H]);
    rng.fillGaussian(this.Wx.value, 1 / Math.sqrt(D));
    rng.fillGaussian(this.Wh.value, 1 / Math.sqrt(H));
    this.params = [this.Wx, this.Wh, this.b];
  }

  #ensure(N: number, T: number): void {
    if (this.#N === N && this.#T === T) return;
    const D = this.inputSize, H = this.hiddenSize;
    this.#hs = new Float32Array((T + 1) * N * H);
    this.#dts = new Float32Array(T * N * H);
    this.#dxs = new Float32Array(T * N * D);
    this.#ones = new Float32Array(T * N).fill(1);
    this.dh = new Float32Array(N * H);
    this.#N = N;
    this.#T = T;
    const NH = N * H;
    this.#hSteps = [];
    this.#dtSteps = [];
    for (let t = 0; t <= T; t++) this.#hSteps.push(this.#hs.subarray(t * NH, (t + 1) * NH));
    for (let t = 0; t < T; t++) this.#dtSteps.push(this.#dts.subarray(t * NH, (t + 1) * NH));
    this.#hsOut = this.#hs.subarray(NH);
    this.#dhsRef = null;
  }

  /**
   * Runs `T` steps over `x` (T*N, D); returns `hs` (T*N, H), a view into a reused buffer. `x` is
   * kept by reference for backward, so it must not change in between.
   */
  forward(x: Float32Array, N: number, T: number): Float32Array {
    this.#ensure(N, T);
    const phase = enterPhase(Phase.recurrent);
    const D = this.inputSize, H = this.hiddenSize;
    const hs = this.#hs;
    const NH = N * H;
    if (this.stateful && this.#h && this.#h.length === NH) hs.set(this.#h);
    else hs.fill(0, 0, NH);
    this.#x = x;
    const Wh = this.Wh.value;
    // hs[1..T] = x @ Wx                                  // (T*N, H)
    const steps = this.#hSteps;
    sgemm(false, false, T * N, H, D, 1, x, D, this.Wx.value, H, 0, this.#hsOut, H);
    for (let t = 0; t < T; t++) {
      // hs[t+1] += hs[t] @ Wh; then tanh(. + b)          // (N, H)
      sgemm(false, false, N, H, H, 1, steps[t], H, Wh, H, 1, steps[t + 1], H);
      biasTanhForward(hs, (t + 1) * N, N, H, this.b.value);
    }
    if (this.stateful) {
      if (!this.#h || this.#h.length !== NH) this.#h = new Float32Array(NH);
      this.#h.set(steps[T]);
    }
    exitPhase(phase);
    return this.#hsOut;
  }

  /**
   * Back-propagates `dhs` (T*N, H) through the last forward; overwrites `Wx.grad`, `Wh.grad`,
   * `b.grad` and {@linkcode TimeRNN.dh}; returns `dxs` (T*N, D), reused.
   */
  backward(dhs: Float32Array): Float32Array {
    const N = this.#N, T = this.#T, D = this.inputSize, H = this.hiddenSize;
    const NH = N * H;
    const phase = enterPhase(Phase.recurrent);
    const hs = this.#hs, dts = this.#dts, dhNext = this.dh;
    if (this.#WhT.length !== H * H) this.#WhT = new Float32Array(H * H);
    const WhT = this.#WhT;
    // A plain product per step beats the transposed one; OpenBLAS transposes Wh fastest.
    somatcopy(true, H, H, 1, this.Wh.value, H, WhT, H);
    dhNext.fill(0);
    if (this.#dhsRef !== dhs) {
      this.#dhsSteps = [];
      for (let t = 0; t < T; t++) this.#dhsSteps.push(dhs.subarray(t * NH, (t + 1) * NH));
      this.#dhsRef = dhs;
    }
    for (let t = T - 1; t >= 0; t--) {
      const dt = this.#dtSteps[t];
      tanhBackward(dt, this.#dhsSteps[t], dhNext, this.#hSteps[t + 1], NH);
      // dh_prev = dt @ Wh^T                               // (N, H)
      sgemm(false, false, N, H, H, 1, dt, H, WhT, H, 0, dhNext, H);
    }
    const rows = T * N;
    // dWx = x^T @ dt over all rows                        // (D, H)
    sgemm(true, false, D, H, rows, 1, this.#x, D, dts, H, 0, this.Wx.grad, H);
    // dWh = h_prev^T @ dt over all rows                   // (H, H)
    sgemm(true, false, H, H, rows, 1, hs, H, dts, H, 0, this.Wh.grad, H);
    // db = column sums of dt                              // (H)
    sgemv(true, rows, H, 1, dts, H, this.#ones, 1, 0, this.b.grad, 1);
    // dxs = dt @ Wx^T                                     // (T*N, D)
    sgemm(false, true, rows, D, H, 1, dts, H, this.Wx.value, H, 0, this.#dxs, D);
    exitPhase(phase);
    return this.#dxs;
  }

  /** Forgets the carried hidden state (the next forward starts from zeros). */
  resetState(): void {
    this.#h = null;
  }

  /** `[h]`, a copy of the carried hidden state `(N, H)`, or `[]` if there is none. */
  getState(): Float32Array[] {
    return this.#h ? [this.#h.slice()] : [];
  }

  /** Sets the carried hidden state from `[h]` (copied); `[]` forgets it. */
  setState(state: Float32Array[]): void {
    this.#h = state.length > 0 ? state[0].slice() : null;
  }
}
