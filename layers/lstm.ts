/**
 * TimeLSTM: an LSTM layer unrolled over `T` time steps, with truncated BPTT.
 *
 * Math (docs/model.md#lstm-cell): `A = x @ Wx + h_prev @ Wh + b` of width `4H`, sliced in the order
 * **f, g, i, o**; `f, i, o = sigmoid(.)`, `g = tanh(.)`, `c = f * c_prev + g * i`,
 * `h = o * tanh(c)`. The cell math is `kernels/lstm_cell.ts`.
 *
 * Layout: time-major rows (`r = t * N + n`), so step `t` is the contiguous block of rows
 * `[t*N, (t+1)*N)`. The input projection of the whole sequence is one `sgemm` before the time loop;
 * each step then adds `h_{t-1} @ Wh` to its block and runs the cell. Hidden and cell states are
 * stored with the initial state as block 0, so `hs[0 .. T*N)` are exactly the `h_prev` rows and
 * the backward pass gets `dWh` from one `sgemm` as well.
 *
 * A layer large enough ({@linkcode SPLIT_STEP_MIN_FLOP}) runs the same loops split between the
 * main thread and the helper worker (`kernels/lstm_split.ts`): one branch in `forward` and in
 * `backward`.
 *
 * @module
 */

import { f32, type Memory } from "../core/memory.ts";
import { Param } from "../core/param.ts";
import type { Rng } from "../core/random.ts";
import { blasThreads, setBlasThreads, sgemm, somatcopy } from "../kernels/blas.ts";
import { lstmCellBackward, lstmCellForward } from "../kernels/lstm_cell.ts";
import { LstmSplitLoop, lstmSplitShare } from "../kernels/lstm_split.ts";
import { newPlan, parallelEnabled, type Plan, runShared, sharedFloat32 } from "../kernels/pool.ts";
import { enterPhase, exitPhase, Phase } from "../kernels/phase_timer.ts";

/**
 * Per-step recurrent products of at least this many floating-point operations (`2 * N * 4H * H`)
 * are split into column chunks that the main thread and the helper worker share (see
 * `kernels/lstm_split.ts`); chapter 6's large model (`N = 20`, `H = 650`: 68 MFLOP) is, its
 * medium model (`H = 100`: 1.6 MFLOP) is not.
 */
export const SPLIT_STEP_MIN_FLOP = 16e6;

/** Options of {@linkcode TimeLSTM}. */
export interface TimeLSTMOptions {
  /** Carry `h` and `c` from one `forward` call to the next (truncated BPTT). Default false. */
  stateful?: boolean;
  /**
   * Cut each time step into chunks that two threads can share: `true`, `false`, or by size
   * (`undefined`, the default: products of at least {@linkcode SPLIT_STEP_MIN_FLOP}). A split
   * loop runs its products single-threaded, so its results are the same with and without the
   * helper worker; they can differ from an unsplit loop's in the last bit.
   */
  splitSteps?: boolean;
}

/**
 * An LSTM over `T` time steps sharing `Wx (D, 4H)`, `Wh (H, 4H)` and `b (4H)`.
 *
 * `forward(x, N, T)` copies `x` for the backward pass and returns a view of an internal buffer
 * that the next `forward` overwrites.
 * When stateful, the last `h` and `c` are carried to the next call; a call with a different
 * batch size `N` starts from zeros.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng, TimeLSTM } from "@rnnlab/rnnlab";
 * const lstm = new TimeLSTM("lstm", 3, 4, new Rng(1), { stateful: true });
 * const N = 2, T = 5;
 * const hs = lstm.forward(new Float32Array(T * N * 3).fill(0.1), N, T); // (T*N, H)
 * const dxs = lstm.backward(new Float32Array(T * N * 4).fill(1)); // (T*N, D)
 * assert.equal(hs.length, 40);
 * assert.equal(dxs.length, 30);
 * const [h, c] = lstm.getState(); // copies of the carried (N, H) state
 * assert.deepEqual(Array.from(h), Array.from(hs.subarray(32))); // h of the last step
 * assert.equal(c.length, 8);
 * ```
 */
export class TimeLSTM {
  /**
   * What an LSTM `D → H` holds: `[Wx; b]`, `Wh`, the one `((D + 1 + H), 4H)` gradient and
   * `Wh^T`; for `N` streams of `T` steps the buffers of {@linkcode TimeLSTM} (`hs`, `cs`, gates,
   * their gradients, `tanh(c)`, `[x | 1 | h_prev]`, `dxs`) and the carried `h`, `c`.
   */
  static memory(D: number, H: number, N: number, T: number): Memory {
    const G = 4 * H, TN = T * N;
    return {
      params: f32((D + 1) * G + H * G + (D + 1 + H) * G + G * H),
      activations: f32(
        2 * (T + 1) * N * H + 2 * TN * G + 2 * TN * H + 4 * N * H + TN * D + TN * (D + 1 + H) +
          4 * T,
      ),
    };
  }

  /** `[Wx, Wh, b]`. */
  readonly params: Param[];
  /** Input weights `(D, 4H)`, columns `[f, g, i, o]`. */
  readonly Wx: Param;
  /** Recurrent weights `(H, 4H)` (on shared memory, so that the helper worker can read them). */
  readonly Wh: Param;
  /** Bias `(4H)`. */
  readonly b: Param;
  /** Input width `D`. */
  readonly inputSize: number;
  /** Hidden width `H`. */
  readonly hiddenSize: number;
  /** Whether `h` and `c` are carried across `forward` calls. */
  stateful: boolean;
  /** See {@linkcode TimeLSTMOptions.splitSteps}. */
  readonly splitSteps: boolean | undefined;

  #N = 0;
  #T = 0;
  // On SharedArrayBuffers, so that the helper worker can share a split loop.
  #hs: Float32Array = new Float32Array(0); // ((T+1)*N, H), block 0 = initial h
  #cs: Float32Array = new Float32Array(0); // ((T+1)*N, H), block 0 = initial c
  #a: Float32Array = new Float32Array(0); // (T*N, 4H) pre-activations in, gates out
  #tc: Float32Array = new Float32Array(0); // (T*N, H) tanh(c)
  #da: Float32Array = new Float32Array(0); // (T*N, 4H)
  #dhs: Float32Array = new Float32Array(0); // (T*N, H) copy of the gradient from above
  #dh: Float32Array = new Float32Array(0); // (N, H) carried dh; after backward: d(initial h)
  #dc: Float32Array = new Float32Array(0); // (N, H) carried dc; after backward: d(initial c)
  #WhT: Float32Array; // (4H, H) transpose of Wh for the backward time loop
  // Views of one step each, built once per shape: steps[t] is step t's block.
  #hSteps: Float32Array[] = []; // T+1 of (N, H)
  #cSteps: Float32Array[] = []; // T+1 of (N, H)
  #aSteps: Float32Array[] = []; // T of (N, 4H)
  #tcSteps: Float32Array[] = []; // T of (N, H)
  #daSteps: Float32Array[] = []; // T of (N, 4H)
  #dhsSteps: Float32Array[] = []; // T of (N, H)
  #split: { loop: LstmSplitLoop; plan: Plan } | null = null; // a large layer's split loop
  #dxs = new Float32Array(0); // (T*N, D)
  #WxB: Float32Array; // ((D + 1), 4H): [Wx; b], the input projection with its bias
  #grad: Float32Array; // ((D + 1 + H), 4H): [dWx; db; dWh], one product
  #xh = new Float32Array(0); // (T*N, D + 1 + H): [x | 1 | h_prev]
  #xhRight = new Float32Array(0); // view of #xh from column D + 1
  #out: Float32Array = new Float32Array(0); // view hs[N .. (T+1)*N)
  #h: Float32Array | null = null; // (N, H) carried state
  #c: Float32Array | null = null;

  /**
   * Creates `<name>.Wx (D, 4H)` and `<name>.Wh (H, 4H)`, drawn from `rng` as `randn / sqrt(fan_in)`,
   * and a zero bias `<name>.b (4H)`. Not stateful unless `options.stateful` is true.
   */
  constructor(name: string, D: number, H: number, rng: Rng, options: TimeLSTMOptions = {}) {
    this.inputSize = D;
    this.hiddenSize = H;
    this.stateful = options.stateful ?? false;
    this.splitSteps = options.splitSteps;
    // The bias is one more row of the input projection: A = [x | 1] @ [Wx; b]; and the three
    // gradients are the rows of one product, [dWx; db; dWh] = [x | 1 | h_prev]^T @ dA.
    const G = 4 * H;
    const WxB = new Float32Array((D + 1) * G), grad = new Float32Array((D + 1 + H) * G);
    this.Wx = new Param(`${name}.Wx`, [D, G], WxB.subarray(0, D * G), grad.subarray(0, D * G));
    const Wh = sharedFloat32(H * G);
    this.Wh = new Param(`${name}.Wh`, [H, G], Wh, grad.subarray((D + 1) * G));
    this.b = new Param(`${name}.b`, [G], WxB.subarray(D * G), grad.subarray(D * G, (D + 1) * G));
    this.#WxB = WxB;
    this.#grad = grad;
    this.#WhT = sharedFloat32(G * H);
    rng.fillGaussian(this.Wx.value, 1 / Math.sqrt(D));
    rng.fillGaussian(this.Wh.value, 1 / Math.sqrt(H));
    this.params = [this.Wx, this.Wh, this.b];
  }

  /**
   * Whether a batch of `N` rows runs the split time loop (see {@linkcode TimeLSTMOptions.splitSteps}).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng, TimeLSTM } from "@rnnlab/rnnlab";
   * const big = new TimeLSTM("lstm", 650, 650, new Rng(1));
   * assert.ok(big.splitsSteps(20) && !big.splitsSteps(1));
   * ```
   */
  splitsSteps(N: number): boolean {
    const H = this.hiddenSize;
    return this.splitSteps ?? 2 * N * 4 * H * H >= SPLIT_STEP_MIN_FLOP;
  }

  /** Allocates the buffers (and step views) for batches of `N` streams by `T` steps. */
  #ensure(N: number, T: number): void {
    if (N === this.#N && T === this.#T) return;
    const D = this.inputSize, H = this.hiddenSize, G = 4 * H, TN = T * N, NH = N * H;
    this.#N = N;
    this.#T = T;
    this.#hs = sharedFloat32((T + 1) * NH);
    this.#cs = sharedFloat32((T + 1) * NH);
    this.#a = sharedFloat32(TN * G);
    this.#tc = sharedFloat32(TN * H);
    this.#da = sharedFloat32(TN * G);
    this.#dhs = sharedFloat32(TN * H);
    this.#dh = sharedFloat32(NH);
    this.#dc = sharedFloat32(NH);
    this.#dxs = new Float32Array(TN * D);
    this.#xh = new Float32Array(TN * (D + 1 + H));
    for (let r = 0; r < TN; r++) this.#xh[r * (D + 1 + H) + D] = 1; // the ones column
    this.#xhRight = this.#xh.subarray(D + 1);
    this.#out = this.#hs.subarray(NH);
    const block = (buf: Float32Array, width: number, t: number) =>
      buf.subarray(t * N * width, (t + 1) * N * width);
    this.#hSteps = Array.from({ length: T + 1 }, (_, t) => block(this.#hs, H, t));
    this.#cSteps = Array.from({ length: T + 1 }, (_, t) => block(this.#cs, H, t));
    this.#aSteps = Array.from({ length: T }, (_, t) => block(this.#a, G, t));
    this.#tcSteps = Array.from({ length: T }, (_, t) => block(this.#tc, H, t));
    this.#daSteps = Array.from({ length: T }, (_, t) => block(this.#da, G, t));
    this.#dhsSteps = Array.from({ length: T }, (_, t) => block(this.#dhs, H, t));
    this.#split = null;
    if (this.splitsSteps(N)) {
      // 4 column chunks of the forward product (4H wide), 2 of the backward one (H wide), gate
      // rows in pairs.
      const buffers = {
        a: this.#a,
        hs: this.#hs,
        cs: this.#cs,
        tc: this.#tc,
        da: this.#da,
        dh: this.#dh,
        dc: this.#dc,
        dhs: this.#dhs,
        Wh: this.Wh.value,
        WhT: this.#WhT,
        sync: new Int32Array(new SharedArrayBuffer(LstmSplitLoop.syncLength(T) * 4)),
      };
      const shape = { N, H, T, forwardChunks: 4, backwardChunks: 2, rowsPerChunk: 2 };
      this.#split = {
        loop: new LstmSplitLoop(buffers, shape),
        plan: newPlan(lstmSplitShare.name, { buffers, shape }),
      };
    }
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
    const hs = this.#hs, cs = this.#cs, a = this.#a;
    if (this.stateful && this.#h !== null && this.#c !== null && this.#h.length === NH) {
      hs.set(this.#h, 0);
      cs.set(this.#c, 0);
    } else {
      hs.fill(0, 0, NH);
      cs.fill(0, 0, NH);
    }
    // A = [x | 1] @ [Wx; b], the whole sequence at once.
    const DH1 = D + 1 + H;
    somatcopy(false, TN, D, 1, x, D, this.#xh, DH1);
    sgemm(false, false, TN, G, D + 1, 1, this.#xh, DH1, this.#WxB, G, 0, a, G); // (T*N, 4H)
    if (this.#split) this.#runSplit(false);
    else {
      const Wh = this.Wh.value;
      for (let t = 0; t < T; t++) {
        const aT = this.#aSteps[t];
        sgemm(false, false, N, G, H, 1, this.#hSteps[t], H, Wh, G, 1, aT, G); // A_t += h_{t-1} @ Wh
        lstmCellForward(
          aT,
          this.#cSteps[t],
          this.#cSteps[t + 1],
          this.#tcSteps[t],
          this.#hSteps[t + 1],
          N,
          H,
        );
      }
    }
    if (this.stateful) {
      if (this.#h === null || this.#h.length !== NH) {
        this.#h = new Float32Array(NH);
        this.#c = new Float32Array(NH);
      }
      this.#h.set(hs.subarray(T * NH));
      this.#c!.set(cs.subarray(T * NH));
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
    const G = 4 * H, TN = T * N;
    if (N === 0) throw new Error("TimeLSTM: backward before forward");
    if (dhs.length !== TN * H) {
      throw new Error(`TimeLSTM: dhs has ${dhs.length} values, expected T*N*H = ${TN * H}`);
    }
    const phase = enterPhase(Phase.recurrent);
    this.#dhs.set(dhs);
    // dh_prev = dA @ Wh^T per step: a non-transposed product with an explicit transpose of Wh is
    // up to twice as fast for these short (N-row) products as OpenBLAS's transposed path.
    somatcopy(true, H, G, 1, this.Wh.value, G, this.#WhT, H); // (4H, H)
    const dh = this.#dh, dc = this.#dc;
    dh.fill(0);
    dc.fill(0);
    if (this.#split) this.#runSplit(true);
    else {
      for (let t = T - 1; t >= 0; t--) {
        const dhsT = this.#dhsSteps[t], daT = this.#daSteps[t];
        for (let k = 0; k < N * H; k++) dh[k] += dhsT[k]; // dh += dhs_t
        lstmCellBackward(this.#aSteps[t], this.#cSteps[t], this.#tcSteps[t], dh, dc, daT, N, H);
        sgemm(false, false, N, H, G, 1, daT, G, this.#WhT, H, 0, dh, H); // dh = dA_t @ Wh^T
      }
    }
    const da = this.#da;
    // [dWx; db; dWh] = [x | 1 | h_prev]^T @ dA as ONE product ((D + 1 + H), 4H): a taller
    // product runs at a higher fraction of the sgemm peak than three short ones, and db (the
    // column sums of dA) comes with it. [x | 1] is in place since forward; h_prev goes beside it.
    const DH1 = D + 1 + H;
    somatcopy(false, TN, H, 1, this.#hs, H, this.#xhRight, DH1);
    sgemm(true, false, DH1, G, TN, 1, this.#xh, DH1, da, G, 0, this.#grad, G); // (D + 1 + H, 4H)
    sgemm(false, true, TN, D, G, 1, da, G, this.Wx.value, G, 0, this.#dxs, D); // (T*N, D)
    exitPhase(phase);
    return this.#dxs;
  }

  /** Runs the split forward or backward loop, shared with the helper worker when it is on. */
  #runSplit(backward: boolean): void {
    const { loop, plan } = this.#split!;
    loop.buffers.sync.fill(0);
    const run = backward ? () => loop.backward() : () => loop.forward();
    // Chunks run single-threaded in OpenBLAS, whichever thread takes them.
    const threads = blasThreads();
    if (threads !== 1) setBlasThreads(1);
    try {
      if (parallelEnabled()) runShared(plan, [backward ? 1 : 0], [], run);
      else run();
    } finally {
      if (threads !== 1) setBlasThreads(threads);
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
