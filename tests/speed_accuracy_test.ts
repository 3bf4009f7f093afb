import assert from "node:assert/strict";
import { Rng } from "../core/random.ts";
import { sigmoid, tanh } from "../kernels/activations.ts";
import {
  newPlan,
  runShared,
  setParallel,
  sharedFloat32,
  shutdownWorker,
  workerFailed,
} from "../kernels/pool.ts";
import { columnChunks, LstmSplitLoop, lstmSplitShare } from "../kernels/lstm_split.ts";
import { blasThreads, setBlasThreads } from "../kernels/blas.ts";
import { softmaxCrossEntropy } from "../kernels/softmax.ts";
import { softmaxCrossEntropyReference } from "../testing/softmax_reference.ts";
import { lstmCellBackward, lstmCellForward } from "../kernels/lstm_cell.ts";
import { Rnnlm } from "../models/rnnlm.ts";
import { SGD } from "../optim/sgd.ts";
import { clipGrads } from "../optim/clip.ts";
import { assertClose } from "../testing/assert_close.ts";

const V = 10000;

/** Scores of a real model forward (V = 10000) on a fixed batch, in shared memory. */
function modelScores(): { scores: Float32Array; ts: Int32Array; rows: number } {
  const N = 8, T = 5, rows = N * T;
  const model = new Rnnlm({ vocabSize: V, wordvecSize: 16, hiddenSize: 16 }, new Rng(5));
  const rng = new Rng(6);
  const xs = new Int32Array(rows), ts = new Int32Array(rows);
  for (let r = 0; r < rows; r++) [xs[r], ts[r]] = [rng.int(V), rng.int(V)];
  ts[3] = -1; // one ignored row
  const raw = model.predict(xs, N, T);
  // Spread the scores so that the softmax is far from uniform.
  const scores = sharedFloat32(rows * V);
  for (let k = 0; k < raw.length; k++) scores[k] = raw[k] * 40;
  return { scores, ts, rows };
}

Deno.test("fast softmax loss (worker split, table exp) matches the Math.exp reference on a model forward", () => {
  const { scores, ts, rows } = modelScores();
  const ref = softmaxCrossEntropyReference(scores, ts, rows, V, -1);
  for (const parallel of [true, false]) {
    setParallel(parallel);
    const s = sharedFloat32(scores.length);
    s.set(scores);
    const evalLoss = softmaxCrossEntropy(s, ts, rows, V, -1, false);
    const loss = softmaxCrossEntropy(s, ts, rows, V, -1, true);
    assertClose(evalLoss, ref.loss, { rtol: 1e-5 });
    assertClose(loss, ref.loss, { rtol: 1e-5 });
    assertClose(s, ref.grad, { rtol: 1e-4, atol: 1e-9 });
    for (let k = 3 * V; k < 4 * V; k++) assert.equal(s[k], 0); // the ignored row
  }
  setParallel(null);
  shutdownWorker();
});

Deno.test("worker split is deterministic and gives the serial results bit for bit", () => {
  const { scores, ts, rows } = modelScores();
  const run = (parallel: boolean) => {
    setParallel(parallel);
    const s = sharedFloat32(scores.length);
    s.set(scores);
    return { loss: softmaxCrossEntropy(s, ts, rows, V, -1, true), grad: s };
  };
  const a = run(true), b = run(true), c = run(false);
  assert.equal(a.loss, b.loss);
  assert.deepEqual(a.grad, b.grad);
  assert.deepEqual(a.grad, c.grad); // rows are independent
  assert.equal(a.loss, c.loss); // per-row losses added in row order either way
  setParallel(null);
  shutdownWorker();
});

Deno.test("the fast LSTM cell matches Math.exp / Math.tanh formulas", () => {
  const N = 3, H = 50, G = 4 * H;
  const rng = new Rng(9);
  const a0 = rng.fillGaussian(new Float32Array(N * G), 4);
  const cPrev = rng.fillGaussian(new Float32Array(N * H), 2);
  const a = a0.slice(), c = new Float32Array(N * H), tc = new Float32Array(N * H);
  const h = new Float32Array(N * H);
  lstmCellForward(a, cPrev, c, tc, h, N, H);
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const r = n * G;
      const f = sig(a0[r + j]), g = Math.tanh(a0[r + H + j]);
      const i = sig(a0[r + 2 * H + j]), o = sig(a0[r + 3 * H + j]);
      const cn = f * cPrev[n * H + j] + g * i;
      assertClose(c[n * H + j], cn, { rtol: 1e-6, atol: 1e-7 });
      assertClose(h[n * H + j], o * Math.tanh(cn), { rtol: 1e-6, atol: 1e-7 });
    }
  }
  const dh = rng.fillGaussian(new Float32Array(N * H), 1);
  const dc = rng.fillGaussian(new Float32Array(N * H), 1);
  const da = new Float32Array(N * G);
  const dcIn = dc.slice();
  da.fill(NaN); // every entry must be written
  lstmCellBackward(a, cPrev, tc, dh, dc, da, N, H);
  // docs/model.md#lstm-cell from the pre-activations in float64: dA = [df, dg, di, do] of every row.
  for (let k = 0; k < N * H; k++) {
    const n = Math.floor(k / H), j = k % H, r = n * G;
    const f = sig(a0[r + j]), g = Math.tanh(a0[r + H + j]);
    const i = sig(a0[r + 2 * H + j]), o = sig(a0[r + 3 * H + j]);
    const t = Math.tanh(f * cPrev[k] + g * i);
    const ds = dcIn[k] + dh[k] * o * (1 - t * t);
    assertClose(dc[k], ds * f, { rtol: 1e-6, atol: 1e-7 });
    // Gates are stored in float32, so 1 - f of a saturated gate loses digits: hence the atol.
    const close = { rtol: 1e-5, atol: 1e-7 };
    assertClose(da[r + j], ds * cPrev[k] * f * (1 - f), { ...close, message: `df ${n},${j}` });
    assertClose(da[r + H + j], ds * i * (1 - g * g), { ...close, message: `dg ${n},${j}` });
    assertClose(da[r + 2 * H + j], ds * g * i * (1 - i), { ...close, message: `di ${n},${j}` });
    assertClose(da[r + 3 * H + j], dh[k] * t * o * (1 - o), { ...close, message: `do ${n},${j}` });
  }
  // The check has teeth: every gate block has entries far from zero.
  for (let s = 0; s < 4; s++) {
    let max = 0;
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < H; j++) max = Math.max(max, Math.abs(da[n * G + s * H + j]));
    }
    assert.ok(max > 0.05, `gate block ${s}: largest |dA| is ${max}`);
  }
  for (const x of [-30, -3, -0.04, 0, 0.01, 0.7, 5, 40]) {
    assertClose(sigmoid(x), sig(x), { atol: 1e-9 });
    assertClose(tanh(x), Math.tanh(x), { atol: 1e-9 });
  }
});

Deno.test("same seed, same training steps: bit-identical parameters (worker path on)", () => {
  const train = () => {
    const model = new Rnnlm({ vocabSize: V, wordvecSize: 12, hiddenSize: 12 }, new Rng(3));
    const sgd = new SGD(1);
    const rng = new Rng(4);
    const N = 6, T = 7, rows = N * T;
    const xs = new Int32Array(rows), ts = new Int32Array(rows);
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      for (let r = 0; r < rows; r++) [xs[r], ts[r]] = [rng.int(V), rng.int(V)];
      losses.push(model.forward(xs, ts, N, T, true));
      model.backward();
      clipGrads(model.params, 0.25);
      sgd.update(model.params);
    }
    return { losses, params: model.params.map((p) => p.value.slice()) };
  };
  const a = train(), b = train();
  assert.deepEqual(a.losses, b.losses);
  a.params.forEach((p, i) => assert.deepEqual(p, b.params[i]));
  shutdownWorker();
});

Deno.test("LSTM time loop at chapter 6's large size: the worker takes chunks, results equal one thread's bit for bit", () => {
  const N = 20, T = 4, H = 650, G = 4 * H;
  const rng = new Rng(21);
  const make = () => ({
    a: sharedFloat32(T * N * G),
    hs: sharedFloat32((T + 1) * N * H),
    cs: sharedFloat32((T + 1) * N * H),
    tc: sharedFloat32(T * N * H),
    da: sharedFloat32(T * N * G),
    dh: sharedFloat32(N * H),
    dc: sharedFloat32(N * H),
    dhs: sharedFloat32(T * N * H),
    Wh: sharedFloat32(H * G),
    WhT: sharedFloat32(G * H),
    sync: new Int32Array(new SharedArrayBuffer(LstmSplitLoop.syncLength(T) * 4)),
  });
  const a0 = rng.fillGaussian(new Float32Array(T * N * G), 1);
  const h0 = rng.fillGaussian(new Float32Array(N * H), 0.5);
  const c0 = rng.fillGaussian(new Float32Array(N * H), 0.5);
  const Wh = rng.fillGaussian(new Float32Array(H * G), 1 / Math.sqrt(H));
  const dhs = rng.fillGaussian(new Float32Array(T * N * H), 1);
  const shape = { N, H, T, forwardChunks: 4, backwardChunks: 2, rowsPerChunk: 2 };
  const threads = blasThreads();
  setBlasThreads(1);
  const run = (shared: boolean) => {
    const b = make();
    b.a.set(a0), b.hs.set(h0), b.cs.set(c0), b.Wh.set(Wh), b.dhs.set(dhs);
    for (let k = 0; k < H; k++) for (let j = 0; j < G; j++) b.WhT[j * H + k] = Wh[k * G + j];
    const loop = new LstmSplitLoop(b, shape);
    const plan = newPlan(lstmSplitShare.name, { buffers: b, shape });
    let mainChunks = 0;
    for (const backward of [false, true]) {
      b.sync.fill(0);
      const local = () => (mainChunks += backward ? loop.backward() : loop.forward());
      if (shared) runShared(plan, [backward ? 1 : 0], [], local);
      else local();
    }
    const total = loop.chunksPerLoop(false) + loop.chunksPerLoop(true);
    return { b, mainChunks, total };
  };
  const serial = run(false);
  assert.equal(serial.mainChunks, serial.total); // alone, this thread runs every chunk
  assert.equal(serial.total, T * (4 + 10) + T * (2 + 10));
  setParallel(true);
  let workerTookChunks = false;
  for (let attempt = 0; attempt < 5; attempt++) { // the first attempt also starts the worker
    const shared = run(true);
    if (shared.mainChunks < shared.total) workerTookChunks = true;
    for (const key of ["a", "hs", "cs", "tc", "da", "dh", "dc"] as const) {
      assert.deepEqual(shared.b[key], serial.b[key], `${key} differs when shared`);
    }
  }
  setParallel(null);
  setBlasThreads(threads);
  assert.ok(workerTookChunks, "the worker never took a chunk");
  // The loop really ran: every step's h differs from zero and dh reached the initial state.
  assert.ok(serial.b.hs.subarray(T * N * H).some((v) => v !== 0));
  assert.ok(serial.b.dh.some((v) => Math.abs(v) > 1e-3));
  shutdownWorker();
});

Deno.test("a helper worker that fails stops the caller with an error, not a wait that never ends", () => {
  setParallel(true);
  let ranLocally = false;
  try {
    // A kernel the worker does not know makes it throw (it prints its error and closes).
    assert.throws(
      () => runShared(newPlan("no.such.kernel", {}), [], [], () => (ranLocally = true)),
      /the helper worker failed .* set RNNLAB_WORKERS=0/,
    );
    assert.ok(ranLocally);
    assert.equal(workerFailed(), false); // the failed worker is forgotten ...
  } finally {
    setParallel(null); // ... and the next task starts a new one
  }
  const { scores, ts, rows } = modelScores();
  const serialScores = scores.slice();
  setParallel(false);
  const serial = softmaxCrossEntropy(serialScores, ts, rows, V, -1, true);
  setParallel(true);
  assert.equal(softmaxCrossEntropy(scores, ts, rows, V, -1, true), serial);
  setParallel(null);
  shutdownWorker();
});

Deno.test("columnChunks: 64-byte aligned starts that cover every column once", () => {
  assert.deepEqual(columnChunks(2600, 4), [0, 656, 1296, 1952, 2600]); // BetterRnnlm's 4H
  assert.deepEqual(columnChunks(650, 2), [0, 320, 650]); // and its H
  assert.deepEqual(columnChunks(12, 4), [0, 0, 0, 12, 12]); // too narrow: empty chunks
  for (const [cols, k] of [[400, 4], [100, 2], [2600, 7], [33, 3]]) {
    const b = columnChunks(cols, k);
    assert.equal(b.length, k + 1);
    assert.equal(b[0], 0);
    assert.equal(b[k], cols);
    for (let c = 1; c <= k; c++) assert.ok(b[c] >= b[c - 1]);
    for (let c = 1; c < k; c++) assert.ok(b[c] % 16 === 0 || b[c] === cols);
  }
});
