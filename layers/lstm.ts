/**
 * TimeLSTM: an LSTM layer unrolled over `T` time steps, with truncated BPTT.
 *
 * Math (SPEC §3): `A = x @ Wx + h_prev @ Wh + b` of width `4H`, sliced in the order **f, g, i, o**;
 * `f, i, o = sigmoid(.)`, `g = tanh(.)`, `c = f * c_prev + g * i`, `h = o * tanh(c)`.
 *
 * Layout: time-major rows (`r = t * N + n`), so step `t` is the contiguous block of rows
 * `[t*N, (t+1)*N)`. The input projection of the whole sequence is one `sgemm` before the time loop;
 * each step then adds `h_prev @ Wh` to its block. Hidden and cell states are stored with the
 * initial state as block 0, so `hs[0 .. T*N)` are exactly the `h_prev` rows and the backward pass
 * gets `dWh` from one `sgemm` as well. The gate nonlinearities use a table-based exponential
 * (`sigmoidRange`, `tanhRange` from `kernels/activations.ts`), accurate to 1e-9.
 *
 * @module
 */

import { Param } from "../core/param.ts";
import type { Rng } from "../core/random.ts";
import { sgemm, sgemv, somatcopy } from "../kernels/blas.ts";
import { lstmCellRow, sigmoid, sigmoidRange, tanh, tanhRange } from "../kernels/activations.ts";

// Re-exported for `layers/mod.ts` users; they live in `kernels/activations.ts`.
export { sigmoid, tanh };
import { enterPhase, exitPhase, Phase } from "../kernels/phase_timer.ts";

/**
 * Forward gate math of one LSTM step for `N` rows: activates the pre-activations `a` in place
 * (`[f, g, i, o]` become `sigmoid, tanh, sigmoid, sigmoid` of themselves) and writes the new cell
 * `c`, `tanh(c)` and `h`.
 *
 * @param a (N, 4H) pre-activations in, activated gates out.
 * @param cPrev (N, H) previous cell.
 * @param c (N, H) out: next cell.
 * @param tc (N, H) out: `tanh(c)` (kept for backward).
 * @param h (N, H) out: next hidden state.
 *
 * @example
 * ```ts
 * import { lstmGatesForward } from "./lstm.ts";
 * const a = new Float32Array(4); // N = 1, H = 1, all gates pre-activated at 0
 * const c = new Float32Array(1), tc = new Float32Array(1), h = new Float32Array(1);
 * lstmGatesForward(a, new Float32Array([2]), c, tc, h, 1, 1);
 * console.assert(Math.abs(c[0] - 1) < 1e-6); // f = 0.5, g = 0 => c = 0.5 * 2
 * ```
 */
export function lstmGatesForward(
  a: Float32Array,
  cPrev: Float32Array,
  c: Float32Array,
  tc: Float32Array,
  h: Float32Array,
  N: number,
  H: number,
): void {
  const G = 4 * H;
  for (let n = 0; n < N; n++) {
    const ar = n * G, hr = n * H;
    // One small loop per gate slice (see kernels/activations.ts): f | g | i, o.
    sigmoidRange(a, ar, ar + H);
    tanhRange(a, ar + H, a, ar + H, H);
    sigmoidRange(a, ar + 2 * H, ar + 4 * H);
    lstmCellRow(a, ar, cPrev, c, tc, h, hr, H);
  }
}

/**
 * Backward gate math of one LSTM step for `N` rows (SPEC §3): from the gradient into `h_next` and
 * `c_next`, writes `dA = [df, dg, di, do]` and replaces `dc` by the gradient into `c_prev`.
 *
 * @param a (N, 4H) activated gates from {@linkcode lstmGatesForward}.
 * @param cPrev (N, H) previous cell.
 * @param tc (N, H) `tanh(c_next)`.
 * @param dh (N, H) gradient into `h_next` (from the output and from step t+1).
 * @param dc (N, H) in: gradient into `c_next`; out: gradient into `c_prev`.
 * @param da (N, 4H) out: gradient of the pre-activations.
 *
 * @example
 * ```ts
 * import { lstmGatesBackward, lstmGatesForward } from "./lstm.ts";
 * const a = new Float32Array(4), cPrev = new Float32Array([2]);
 * const c = new Float32Array(1), tc = new Float32Array(1), h = new Float32Array(1);
 * lstmGatesForward(a, cPrev, c, tc, h, 1, 1);
 * const dc = new Float32Array([1]), da = new Float32Array(4);
 * lstmGatesBackward(a, cPrev, tc, new Float32Array(1), dc, da, 1, 1);
 * console.assert(dc[0] === 0.5); // dc_prev = dc_next * f
 * ```
 */
export function lstmGatesBackward(
  a: Float32Array,
  cPrev: Float32Array,
  tc: Float32Array,
  dh: Float32Array,
  dc: Float32Array,
  da: Float32Array,
  N: number,
  H: number,
): void {
  const G = 4 * H;
  // One call per row: a nested loop would be optimized by on-stack replacement of its inner loop
  // and leave that code (a deoptimization) at the end of every row.
  for (let n = 0; n < N; n++) lstmBackwardRow(a, cPrev, tc, dh, dc, da, n * G, n * H, H);
}

/** {@linkcode lstmGatesBackward} for the row whose gates start at `ar` and cells at `hr`. */
function lstmBackwardRow(
  a: Float32Array,
  cPrev: Float32Array,
  tc: Float32Array,
  dh: Float32Array,
  dc: Float32Array,
  da: Float32Array,
  ar: number,
  hr: number,
  H: number,
): void {
  for (let j = 0; j < H; j++) {
    const f = a[ar + j];
    const g = a[ar + H + j];
    const i = a[ar + 2 * H + j];
    const o = a[ar + 3 * H + j];
    const t = tc[hr + j];
    const dhv = dh[hr + j];
    const ds = dc[hr + j] + dhv * o * (1 - t * t);
    dc[hr + j] = ds * f;
    da[ar + j] = ds * cPrev[hr + j] * f * (1 - f);
    da[ar + H + j] = ds * i * (1 - g * g);
    da[ar + 2 * H + j] = ds * g * i * (1 - i);
    da[ar + 3 * H + j] = dhv * t * o * (1 - o);
  }
}

/**
 * `out = a^T` for `a` stored `(rows, cols)` row-major (`out` is `(cols, rows)`), in 32 x 32
 * tiles so that both sides stay in cache.
 *
 * @example
 * ```ts
 * import { transpose } from "./lstm.ts";
 * const out = new Float32Array(6);
 * transpose(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3, out); // (2, 3) -> (3, 2)
 * console.assert(out[1] === 4 && out[2] === 2);
 * ```
 */
export function transpose(a: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(i0 + B, rows);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(j0 + B, cols);
      for (let i = i0; i < i1; i++) {
        const row = i * cols;
        for (let j = j0; j < j1; j++) out[j * rows + i] = a[row + j];
      }
    }
  }
}

/** Options of {@linkcode TimeLSTM}. */
export interface TimeLSTMOptions {
  /** Carry `h` and `c` from one `forward` call to the next (truncated BPTT). Default false. */
  stateful?: boolean;
}

/**
 * An LSTM over `T` time steps sharing `Wx (D, 4H)`, `Wh (H, 4H)` and `b (4H)`.
 *
 * `forward(x, N, T)` keeps a reference to `x` for the backward pass (the caller must not change it
 * in between) and returns a view of an internal buffer that the next `forward` overwrites.
 * When stateful, the last `h` and `c` are carried to the next call; a call with a different
 * batch size `N` starts from zeros.
 *
 * @example
 * ```ts
 * import { Rng } from "../core/random.ts";
 * import { TimeLSTM } from "./lstm.ts";
 * const lstm = new TimeLSTM("lstm", 3, 4, new Rng(1), { stateful: true });
 * const N = 2, T = 5;
 * const hs = lstm.forward(new Float32Array(T * N * 3).fill(0.1), N, T); // (T*N, H)
 * const dxs = lstm.backward(new Float32Array(T * N * 4).fill(1)); // (T*N, D)
 * console.assert(hs.length === 40 && dxs.length === 30);
 * const [h, c] = lstm.getState(); // copies of the carried (N, H) state
 * console.assert(h.length === 8 && c.length === 8);
 * ```
 */
export class TimeLSTM {
  /** `[Wx, Wh, b]`. */
  readonly params: Param[];
  /** Input weights `(D, 4H)`, columns `[f, g, i, o]`. */
  readonly Wx: Param;
  /** Recurrent weights `(H, 4H)`. */
  readonly Wh: Param;
  /** Bias `(4H)`. */
  readonly b: Param;
  /** Input width `D`. */
  readonly inputSize: number;
  /** Hidden width `H`. */
  readonly hiddenSize: number;
  /** Whether `h` and `c` are carried across `forward` calls. */
  stateful: boolean;

  #N = 0;
  #T = 0;
  #x: Float32Array = new Float32Array(0); // (T*N, D) reference to the last input
  #hs = new Float32Array(0); // ((T+1)*N, H), block 0 = initial h
  #cs = new Float32Array(0); // ((T+1)*N, H), block 0 = initial c
  #a = new Float32Array(0); // (T*N, 4H) activated gates
  #tc = new Float32Array(0); // (T*N, H) tanh(c)
  #da = new Float32Array(0); // (T*N, 4H)
  #dxs = new Float32Array(0); // (T*N, D)
  #ones = new Float32Array(0); // (T*N)
  #dh = new Float32Array(0); // (N, H) carried dh; after backward: d(initial h)
  #dc = new Float32Array(0); // (N, H) carried dc; after backward: d(initial c)
  #WhT = new Float32Array(0); // (4H, H) transpose of Wh for the backward time loop
  #gradW: Float32Array; // ((D + H), 4H): Wx.grad then Wh.grad
  #xh = new Float32Array(0); // (T*N, D + H): [x | h_prev] for the weight gradient
  #xhRight = new Float32Array(0); // view of #xh from column D
  #out = new Float32Array(0); // view hs[N .. (T+1)*N)
  // Per-step views, built once per shape so the time loop does not allocate.
  #hSteps: Float32Array[] = []; // T+1 views (N, H)
  #cSteps: Float32Array[] = []; // T+1 views (N, H)
  #aSteps: Float32Array[] = []; // T views (N, 4H)
  #daSteps: Float32Array[] = []; // T views (N, 4H)
  #tcSteps: Float32Array[] = []; // T views (N, H)
  #dhsSteps: Float32Array[] = []; // T views (N, H) of the last dhs
  #dhsRef: Float32Array | null = null;
  #h: Float32Array | null = null; // (N, H) carried state
  #c: Float32Array | null = null;

  constructor(name: string, D: number, H: number, rng: Rng, options: TimeLSTMOptions = {}) {
    this.inputSize = D;
    this.hiddenSize = H;
    this.stateful = options.stateful ?? false;
    // dWx and dWh are the two halves of one ((D + H), 4H) product (see backward).
    const gradW = new Float32Array((D + H) * 4 * H);
    this.Wx = new Param(`${name}.Wx`, [D, 4 * H], undefined, gradW.subarray(0, D * 4 * H));
    this.Wh = new Param(`${name}.Wh`, [H, 4 * H], undefined, gradW.subarray(D * 4 * H));
    this.#gradW = gradW;
    this.b = new Param(`${name}.b`, [4 * H]);
    rng.fillGaussian(this.Wx.value, 1 / Math.sqrt(D));
    rng.fillGaussian(this.Wh.value, 1 / Math.sqrt(H));
    this.params = [this.Wx, this.Wh, this.b];
  }

  #ensure(N: number, T: number): void {
    if (N === this.#N && T === this.#T) return;
    const D = this.inputSize, H = this.hiddenSize, G = 4 * H, TN = T * N;
    this.#N = N;
    this.#T = T;
    this.#hs = new Float32Array((T + 1) * N * H);
    this.#cs = new Float32Array((T + 1) * N * H);
    this.#a = new Float32Array(TN * G);
    this.#tc = new Float32Array(TN * H);
    this.#da = new Float32Array(TN * G);
    this.#dxs = new Float32Array(TN * D);
    this.#ones = new Float32Array(TN).fill(1);
    this.#dh = new Float32Array(N * H);
    this.#dc = new Float32Array(N * H);
    this.#xh = new Float32Array(TN * (D + H));
    this.#xhRight = this.#xh.subarray(D);
    this.#out = this.#hs.subarray(N * H);
    const NH = N * H, NG = N * G;
    this.#hSteps = [];
    this.#cSteps = [];
    this.#aSteps = [];
    this.#daSteps = [];
    this.#tcSteps = [];
    for (let t = 0; t <= T; t++) {
      this.#hSteps.push(this.#hs.subarray(t * NH, (t + 1) * NH));
      this.#cSteps.push(this.#cs.subarray(t * NH, (t + 1) * NH));
    }
    for (let t = 0; t < T; t++) {
      this.#aSteps.push(this.#a.subarray(t * NG, (t + 1) * NG));
      this.#daSteps.push(this.#da.subarray(t * NG, (t + 1) * NG));
      this.#tcSteps.push(this.#tc.subarray(t * NH, (t + 1) * NH));
    }
    this.#dhsRef = null;
  }

  /**
   * Runs the sequence `x (T*N, D)` and returns `hs (T*N, H)` (a view of an internal buffer).
   */
  forward(x: Float32Array, N: number, T: number): Float32Array {
    const D = this.inputSize, H = this.hiddenSize, G = 4 * H, TN = T * N, NH = N * H;
    if (x.length !== TN * D) {
      throw new Error(`TimeLSTM: input has ${x.length} values, expected T*N*D = ${TN * D}`);
    }
    this.#ensure(N, T);
    const phase = enterPhase(Phase.recurrent);
    this.#x = x;
    const hs = this.#hs, cs = this.#cs, a = this.#a;
    if (this.stateful && this.#h !== null && this.#c !== null && this.#h.length === NH) {
      hs.set(this.#h, 0);
      cs.set(this.#c, 0);
    } else {
      hs.fill(0, 0, NH);
      cs.fill(0, 0, NH);
    }
    // A = b (broadcast) + x @ Wx, the whole sequence at once.
    const bias = this.b.value;
    for (let r = 0; r < TN; r++) a.set(bias, r * G);
    sgemm(false, false, TN, G, D, 1, x, D, this.Wx.value, G, 1, a, G); // (T*N, 4H)
    const Wh = this.Wh.value;
    for (let t = 0; t < T; t++) {
      const at = this.#aSteps[t];
      sgemm(false, false, N, G, H, 1, this.#hSteps[t], H, Wh, G, 1, at, G); // (N, 4H)
      lstmGatesForward(
        at,
        this.#cSteps[t],
        this.#cSteps[t + 1],
        this.#tcSteps[t],
        this.#hSteps[t + 1],
        N,
        H,
      );
    }
    if (this.stateful) {
      if (this.#h === null || this.#h.length !== NH) {
        this.#h = new Float32Array(NH);
        this.#c = new Float32Array(NH);
      }
      this.#h.set(this.#hSteps[T]);
      this.#c!.set(this.#cSteps[T]);
    }
    exitPhase(phase);
    return this.#out;
  }

  /**
   * Back-propagates `dhs (T*N, H)` through the last forward pass (truncated at its first step),
   * overwrites `Wx.grad`, `Wh.grad`, `b.grad` and returns `dxs (T*N, D)` (an internal buffer).
   */
  backward(dhs: Float32Array): Float32Array {
    const N = this.#N, T = this.#T, D = this.inputSize, H = this.hiddenSize;
    const G = 4 * H, TN = T * N, NH = N * H;
    if (dhs.length !== TN * H) {
      throw new Error(`TimeLSTM: dhs has ${dhs.length} values, expected T*N*H = ${TN * H}`);
    }
    if (this.#dhsRef !== dhs) {
      this.#dhsSteps = [];
      for (let t = 0; t < T; t++) this.#dhsSteps.push(dhs.subarray(t * NH, (t + 1) * NH));
      this.#dhsRef = dhs;
    }
    const phase = enterPhase(Phase.recurrent);
    const dh = this.#dh, dc = this.#dc;
    // dh_prev = dA @ Wh^T per step: a non-transposed product with an explicit transpose of Wh is
    // up to twice as fast for these short (N-row) products as OpenBLAS's transposed path.
    if (this.#WhT.length !== H * G) this.#WhT = new Float32Array(H * G);
    const WhT = this.#WhT;
    somatcopy(true, H, G, 1, this.Wh.value, G, WhT, H); // OpenBLAS's transpose: 2x the JS one
    dh.fill(0);
    dc.fill(0);
    this.#backwardSteps(N, T, H, G, WhT);
    const da = this.#da;
    // [dWx; dWh] = [x | h_prev]^T @ dA as ONE product ((D + H), 4H): a taller product runs at a
    // higher fraction of the sgemm peak than two half-height ones, and the copy into [x | h_prev]
    // costs far less than the difference. Each element is still one dot product over the T*N rows.
    const DH = D + H;
    somatcopy(false, TN, D, 1, this.#x, D, this.#xh, DH);
    somatcopy(false, TN, H, 1, this.#hs, H, this.#xhRight, DH);
    sgemm(true, false, DH, G, TN, 1, this.#xh, DH, da, G, 0, this.#gradW, G); // (D + H, 4H)
    sgemv(true, TN, G, 1, da, G, this.#ones, 1, 0, this.b.grad, 1); // (4H)
    sgemm(false, true, TN, D, G, 1, da, G, this.Wx.value, G, 0, this.#dxs, D); // (T*N, D)
    exitPhase(phase);
    return this.#dxs;
  }

  /**
   * The backward time loop: from `dh`, `dc` (zero) walks t = T-1 .. 0, leaving dA of every step
   * in `#da` and the gradients into the initial state in `dh`, `dc`. A method of its own so that
   * the code after it is not part of a function V8 optimizes in the middle of its first loop
   * (which would lack type feedback there and deoptimize on every call).
   */
  #backwardSteps(N: number, T: number, H: number, G: number, WhT: Float32Array): void {
    const NH = N * H, dh = this.#dh, dc = this.#dc;
    for (let t = T - 1; t >= 0; t--) {
      const dhsT = this.#dhsSteps[t];
      for (let k = 0; k < NH; k++) dh[k] += dhsT[k];
      const dat = this.#daSteps[t];
      lstmGatesBackward(this.#aSteps[t], this.#cSteps[t], this.#tcSteps[t], dh, dc, dat, N, H);
      sgemm(false, false, N, H, G, 1, dat, G, WhT, H, 0, dh, H); // dh_prev (N, H)
    }
  }

  /** Gradient with respect to the initial `h` after the last backward, `(N, H)` (a view). */
  get dh(): Float32Array {
    return this.#dh;
  }

  /** Gradient with respect to the initial `c` after the last backward, `(N, H)` (a view). */
  get dc(): Float32Array {
    return this.#dc;
  }

  /** Forgets the carried `h` and `c`. */
  resetState(): void {
    this.#h = null;
    this.#c = null;
  }

  /** Copies of the carried `[h, c]`, each `(N, H)`; empty before the first stateful forward. */
  getState(): Float32Array[] {
    if (this.#h === null || this.#c === null) return [];
    return [this.#h.slice(), this.#c.slice()];
  }

  /** Restores `[h, c]` as returned by {@linkcode TimeLSTM.getState} (empty resets). */
  setState(state: Float32Array[]): void {
    if (state.length === 0) return this.resetState();
    const [h, c] = state;
    const H = this.hiddenSize;
    if (state.length !== 2 || h.length !== c.length || h.length % H !== 0) {
      throw new Error(`TimeLSTM.setState: expected [h, c] of equal (N, ${H}) sizes`);
    }
    this.#h = h.slice();
    this.#c = c.slice();
  }
}
