/**
 * The two time loops of a large LSTM layer, split so that two threads share every step. The
 * plain loops, which small layers run, are in `layers/lstm.ts`; this is the same arithmetic cut
 * into pieces.
 *
 * Forward walks `t = 0 .. T-1`. Each step adds `h_prev @ Wh` to the step's pre-activations, then
 * runs the gate math. Backward walks `t = T-1 .. 0`. Each step runs the gate math backward, then
 * computes `dh_prev = dA @ Wh^T`. Every step therefore has two phases, and each phase is cut into
 * chunks: column blocks of the product, or row blocks of the gate math.
 *
 * A thread running a phase takes chunk numbers from a shared counter (`Atomics.add`) until none are
 * left, then waits until every chunk of the phase is done before it starts the next phase. One
 * thread alone simply takes every chunk. Two threads (the main thread and the helper worker of
 * `kernels/pool.ts`, through {@linkcode lstmSplitShare}) split the chunks between them, however
 * late either one arrives. Either
 * way each chunk is the same call on the same data, so the results do not depend on how many
 * threads ran them.
 *
 * Splitting pays for the per-step products of chapter 6's large model. For `(20, 650) @ (650,
 * 2600)`, OpenBLAS's own two-thread split is no faster than one thread: the product is bound by
 * reading `Wh`. Two single-threaded column halves, one per core, take about 0.6 of the time. A
 * split loop calls OpenBLAS single-threaded.
 *
 * @module
 */

import { sgemm } from "./blas.ts";
import { lstmCellBackward, lstmCellForward } from "./lstm_cell.ts";
import { type SharedCall, throwWorkerFailed, workerFailed, type WorkerKernel } from "./pool.ts";

/** The buffers a split time loop works on (on `SharedArrayBuffer`s, shared by two threads). */
export interface LstmLoopBuffers {
  /** (T*N, 4H) pre-activations `x @ Wx + b` in, activated gates out. */
  a: Float32Array;
  /** ((T+1)*N, H) hidden states; block 0 is the initial state. */
  hs: Float32Array;
  /** ((T+1)*N, H) cell states; block 0 is the initial state. */
  cs: Float32Array;
  /** (T*N, H) `tanh(c)` of every step. */
  tc: Float32Array;
  /** (T*N, 4H) out: gradient of the pre-activations. */
  da: Float32Array;
  /** (N, H) gradient carried into `h` (zero before backward; `d h_0` after). */
  dh: Float32Array;
  /** (N, H) gradient carried into `c` (zero before backward; `d c_0` after). */
  dc: Float32Array;
  /** (T*N, H) gradient from above into every step's `h`. */
  dhs: Float32Array;
  /** (H, 4H) recurrent weights. */
  Wh: Float32Array;
  /** (4H, H) transpose of `Wh`, filled before backward. */
  WhT: Float32Array;
  /** (4T) chunk counters, `[taken, done]` per phase; zeroed before each loop. */
  sync: Int32Array;
}

/** The sizes of a time loop and how its phases are cut. */
export interface LstmLoopShape {
  /** Batch rows per step. */
  N: number;
  /** Hidden width. */
  H: number;
  /** Time steps. */
  T: number;
  /** Column chunks of the forward product (`4H` columns). */
  forwardChunks: number;
  /** Column chunks of the backward product (`H` columns). */
  backwardChunks: number;
  /** Rows per chunk of the gate math. */
  rowsPerChunk: number;
}

/**
 * Chunk boundaries for `cols` columns cut into `k` chunks, starts rounded to multiples of 16
 * floats (64 bytes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnChunks } from "@rnnlab/rnnlab";
 * assert.deepEqual(columnChunks(650, 2), [0, 320, 650]);
 * ```
 */
export function columnChunks(cols: number, k: number): number[] {
  const b = [0];
  for (let c = 1; c < k; c++) b.push(Math.min(cols, Math.round((c * cols) / k / 16) * 16));
  b.push(cols);
  return b;
}

/**
 * The split forward and backward time loops over one set of buffers, with every per-step and
 * per-chunk view built once, so that the loops do not allocate. Zero `buffers.sync` before each
 * loop.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LstmSplitLoop } from "@rnnlab/rnnlab";
 * const N = 2, H = 1, T = 1, G = 4;
 * const f32 = (n: number) => new Float32Array(n);
 * const buffers = {
 *   a: f32(T * N * G), hs: f32((T + 1) * N * H), cs: Float32Array.of(2, 4, 0, 0),
 *   tc: f32(T * N * H), da: f32(T * N * G), dh: f32(N * H), dc: f32(N * H), dhs: f32(T * N * H),
 *   Wh: f32(H * G), WhT: f32(G * H), sync: new Int32Array(LstmSplitLoop.syncLength(T)),
 * };
 * const loop = new LstmSplitLoop(buffers, {
 *   N, H, T, forwardChunks: 2, backwardChunks: 1, rowsPerChunk: 1,
 * });
 * assert.equal(loop.forward(), 4); // alone, this thread runs every chunk: 2 columns + 2 rows
 * assert.deepEqual(Array.from(buffers.cs.subarray(2)), [1, 2]); // f = 0.5, g = 0: c = c_prev / 2
 * ```
 */
export class LstmSplitLoop {
  /** The sizes and cuts this loop was built for. */
  readonly shape: Readonly<LstmLoopShape>;
  /** The buffers it works on. */
  readonly buffers: Readonly<LstmLoopBuffers>;
  #fwdCols: number[];
  #bwdCols: number[];
  #rowChunks: number;
  #hSteps: Float32Array[] = []; // T+1 views (N, H)
  #cSteps: Float32Array[] = []; // T+1 views (N, H)
  #aSteps: Float32Array[] = []; // T views (N, 4H)
  #daSteps: Float32Array[] = []; // T views (N, 4H)
  #tcSteps: Float32Array[] = []; // T views (N, H)
  #dhsSteps: Float32Array[] = []; // T views (N, H)
  #WhCols: Float32Array[] = []; // forward chunk c: Wh from column fwdCols[c]
  #aCols: Float32Array[] = []; // step t, chunk c at t * forwardChunks + c
  #WhTCols: Float32Array[] = []; // backward chunk c: WhT from column bwdCols[c]
  #dhCols: Float32Array[] = []; // backward chunk c: dh from column bwdCols[c]

  /** Builds the loop over `buffers` for `shape`, with every view it will use. */
  constructor(buffers: LstmLoopBuffers, shape: LstmLoopShape) {
    const { N, H, T, forwardChunks, backwardChunks, rowsPerChunk } = shape;
    const G = 4 * H, NH = N * H, NG = N * G;
    if (buffers.sync.length < 4 * T) throw new Error("LstmSplitLoop: sync needs 4T counters");
    this.shape = { ...shape };
    this.buffers = buffers;
    this.#fwdCols = columnChunks(G, forwardChunks);
    this.#bwdCols = columnChunks(H, backwardChunks);
    this.#rowChunks = Math.ceil(N / rowsPerChunk);
    const { a, hs, cs, tc, da, dh, dhs, Wh, WhT } = buffers;
    for (let t = 0; t <= T; t++) {
      this.#hSteps.push(hs.subarray(t * NH, (t + 1) * NH));
      this.#cSteps.push(cs.subarray(t * NH, (t + 1) * NH));
    }
    for (let t = 0; t < T; t++) {
      this.#aSteps.push(a.subarray(t * NG, (t + 1) * NG));
      this.#daSteps.push(da.subarray(t * NG, (t + 1) * NG));
      this.#tcSteps.push(tc.subarray(t * NH, (t + 1) * NH));
      this.#dhsSteps.push(dhs.subarray(t * NH, (t + 1) * NH));
      for (let c = 0; c < forwardChunks; c++) {
        this.#aCols.push(a.subarray(t * NG + this.#fwdCols[c], (t + 1) * NG));
      }
    }
    for (let c = 0; c < forwardChunks; c++) this.#WhCols.push(Wh.subarray(this.#fwdCols[c]));
    for (let c = 0; c < backwardChunks; c++) {
      this.#WhTCols.push(WhT.subarray(this.#bwdCols[c]));
      this.#dhCols.push(dh.subarray(this.#bwdCols[c]));
    }
  }

  /** Chunks in one loop: per step, the product's column chunks and the gate math's row chunks. */
  chunksPerLoop(backward: boolean): number {
    const { T } = this.shape;
    return T * ((backward ? this.#bwdCols : this.#fwdCols).length - 1 + this.#rowChunks);
  }

  /** Number of chunk counters a loop of `T` steps needs. */
  static syncLength(T: number): number {
    return 4 * T;
  }

  /**
   * Runs the forward loop (or this thread's share of it): for each step, `a_t += h_{t-1} @ Wh`,
   * then the gates, writing `hs`, `cs` and `tc` of the step. Returns the number of chunks this
   * thread ran.
   */
  forward(): number {
    const T = this.shape.T, k = this.shape.forwardChunks, rc = this.#rowChunks;
    let ran = 0;
    for (let t = 0; t < T; t++) {
      ran += this.#phase(4 * t, k, this.#forwardProduct, t);
      ran += this.#phase(4 * t + 2, rc, this.#forwardGates, t);
    }
    return ran;
  }

  /**
   * Runs the backward loop (or this thread's share of it): for each step from the last, `dh +=
   * dhs_t`, the gates backward into `da_t` (and `dc`), then `dh = da_t @ Wh^T`. Returns the number
   * of chunks this thread ran.
   */
  backward(): number {
    const T = this.shape.T, k = this.shape.backwardChunks, rc = this.#rowChunks;
    let ran = 0;
    for (let t = T - 1; t >= 0; t--) {
      const p = 4 * (T - 1 - t);
      ran += this.#phase(p, rc, this.#backwardGates, t);
      ran += this.#phase(p + 2, k, this.#backwardProduct, t);
    }
    return ran;
  }

  /**
   * One phase of step `t`: takes chunk numbers from counter `p` and runs them until none of the
   * `count` are left, then waits (counter `p + 1`) until the other thread's chunks are done too.
   * Returns how many chunks this thread ran.
   */
  #phase(p: number, count: number, chunk: (c: number, t: number) => void, t: number): number {
    const s = this.buffers.sync;
    let ran = 0;
    for (;;) {
      const c = Atomics.add(s, p, 1);
      if (c >= count) break;
      chunk(c, t);
      Atomics.add(s, p + 1, 1);
      ran++;
    }
    waitDone(s, p + 1, count);
    return ran;
  }

  /** Forward product chunk `c` of step `t`: its columns of `a_t += h_{t-1} @ Wh`. */
  #forwardProduct = (c: number, t: number): void => {
    const { N, H, forwardChunks: k } = this.shape, G = 4 * H, cols = this.#fwdCols;
    const w = cols[c + 1] - cols[c];
    const aCols = this.#aCols[t * k + c];
    sgemm(false, false, N, w, H, 1, this.#hSteps[t], H, this.#WhCols[c], G, 1, aCols, G); // (N, w)
  };

  /** Forward gate chunk `c` of step `t`: its rows of the gates, `c_t`, `tanh(c_t)` and `h_t`. */
  #forwardGates = (c: number, t: number): void => {
    const { N, H, rowsPerChunk: rpc } = this.shape;
    const n0 = c * rpc, n1 = Math.min(n0 + rpc, N);
    const a = this.#aSteps[t], cPrev = this.#cSteps[t], cNext = this.#cSteps[t + 1];
    lstmCellForward(a, cPrev, cNext, this.#tcSteps[t], this.#hSteps[t + 1], N, H, n0, n1);
  };

  /** Backward gate chunk `c` of step `t`: its rows of `dh += dhs_t`, `da_t` and `dc`. */
  #backwardGates = (c: number, t: number): void => {
    const { N, H, rowsPerChunk: rpc } = this.shape, { dh, dc } = this.buffers;
    const n0 = c * rpc, n1 = Math.min(n0 + rpc, N);
    addRows(dh, this.#dhsSteps[t], n0 * H, n1 * H);
    const a = this.#aSteps[t], da = this.#daSteps[t];
    lstmCellBackward(a, this.#cSteps[t], this.#tcSteps[t], dh, dc, da, N, H, n0, n1);
  };

  /** Backward product chunk `c` of step `t`: its columns of `dh = da_t @ Wh^T`. */
  #backwardProduct = (c: number, t: number): void => {
    const { N, H } = this.shape, G = 4 * H, cols = this.#bwdCols;
    const w = cols[c + 1] - cols[c];
    const da = this.#daSteps[t], dhCols = this.#dhCols[c];
    sgemm(false, false, N, w, G, 1, da, G, this.#WhTCols[c], H, 0, dhCols, H); // (N, w)
  };
}

/** `dst[k] += src[k]` for `k` in `[from, to)`. */
function addRows(dst: Float32Array, src: Float32Array, from: number, to: number): void {
  for (let k = from; k < to; k++) dst[k] += src[k];
}

/**
 * Spins until counter `i` reaches `count` (the other thread is finishing a chunk, which takes well
 * under a millisecond), checking now and then that the helper worker has not failed.
 */
function waitDone(s: Int32Array, i: number, count: number): void {
  let spins = 0;
  while (Atomics.load(s, i) < count) {
    if ((++spins & 0xffff) === 0 && workerFailed()) throwWorkerFailed();
  }
}

/**
 * The helper worker's side of a split LSTM loop: it builds the same {@linkcode LstmSplitLoop}
 * over the shared buffers and takes chunks from the same counters (`args[0]`: 0 forward,
 * 1 backward).
 */
export const lstmSplitShare: WorkerKernel<LstmSplitLoop> = {
  name: "lstm.split",
  setup(payload) {
    const { buffers, shape } = payload as { buffers: LstmLoopBuffers; shape: LstmLoopShape };
    return new LstmSplitLoop(buffers, shape);
  },
  run(loop, call: SharedCall) {
    if (call.args[0] === 0) loop.forward();
    else loop.backward();
  },
};
