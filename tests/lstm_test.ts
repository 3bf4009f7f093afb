import assert from "node:assert/strict";
import { Param } from "../core/param.ts";
import { Rng } from "../core/random.ts";
import { SPLIT_STEP_MIN_FLOP, TimeLSTM } from "../layers/lstm.ts";
import { lstmCellBackward, lstmCellForward } from "../kernels/lstm_cell.ts";
import { setParallel, shutdownWorker } from "../kernels/pool.ts";
import { sigmoid, tanh } from "../kernels/activations.ts";
import { assertClose } from "../testing/assert_close.ts";
import { describeGradCheck, gradCheck } from "../testing/gradcheck.ts";

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * Straight float64 transcription of docs/model.md#lstm-cell (gate order f, g, i, o), for comparison: every
 * step's `h` (T*N, H) and the last step's cell `c` (N, H).
 */
function referenceLSTM(
  x: Float32Array,
  Wx: Float32Array,
  Wh: Float32Array,
  b: Float32Array,
  h0: Float32Array,
  c0: Float32Array,
  N: number,
  T: number,
  D: number,
  H: number,
): { hs: number[]; c: number[] } {
  let h = Array.from(h0), c = Array.from(c0);
  const hs: number[] = [];
  for (let t = 0; t < T; t++) {
    const hn: number[] = [], cn: number[] = [];
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < H; j++) {
        const pre = [0, 1, 2, 3].map((s) => {
          let a = b[s * H + j];
          for (let d = 0; d < D; d++) a += x[(t * N + n) * D + d] * Wx[d * 4 * H + s * H + j];
          for (let k = 0; k < H; k++) a += h[n * H + k] * Wh[k * 4 * H + s * H + j];
          return a;
        });
        const f = sig(pre[0]), g = Math.tanh(pre[1]), i = sig(pre[2]), o = sig(pre[3]);
        cn[n * H + j] = f * c[n * H + j] + g * i;
        hn[n * H + j] = o * Math.tanh(cn[n * H + j]);
      }
    }
    h = hn;
    c = cn;
    hs.push(...h);
  }
  return { hs, c };
}

function setup(seed: number, N: number, T: number, D: number, H: number, splitSteps?: boolean) {
  const rng = new Rng(seed);
  const lstm = new TimeLSTM("lstm", D, H, new Rng(seed + 100), { stateful: true, splitSteps });
  // Weights larger than the initialisation and a non-zero bias, so every path matters; scaled so
  // that pre-activations stay near 1 (float32 central differences need gates off saturation).
  for (const p of lstm.params) rng.fillGaussian(p.value, 0.5 * Math.sqrt(3 / H));
  const x = new Param("x", [T * N, D], rng.fillGaussian(new Float32Array(T * N * D), 1));
  const h0 = new Param("h0", [N, H], rng.fillGaussian(new Float32Array(N * H), 0.5));
  const c0 = new Param("c0", [N, H], rng.fillGaussian(new Float32Array(N * H), 0.5));
  const w = rng.fillGaussian(new Float32Array(T * N * H), 1); // loss = sum(w * hs)
  return { lstm, x, h0, c0, w };
}

Deno.test("fast sigmoid and tanh agree with Math within 1e-9 and at the extremes", () => {
  let maxS = 0, maxT = 0, maxRel = 0;
  for (let k = -200_000; k <= 200_000; k++) {
    const x = k * 1e-4 * (1 + Math.abs(k) * 1e-5); // dense near 0, out to about +-100
    maxS = Math.max(maxS, Math.abs(sigmoid(x) - 1 / (1 + Math.exp(-x))));
    const t = Math.tanh(x);
    maxT = Math.max(maxT, Math.abs(tanh(x) - t));
    if (t !== 0) maxRel = Math.max(maxRel, Math.abs(tanh(x) - t) / Math.abs(t));
  }
  assert.ok(maxS < 1e-9 && maxT < 1e-9 && maxRel < 1e-7, `${maxS} ${maxT} ${maxRel}`);
  assert.equal(sigmoid(0), 0.5);
  assert.equal(tanh(0), 0);
  assert.equal(tanh(1e-30), 1e-30);
  assert.equal(sigmoid(1000), 1);
  assert.equal(sigmoid(-1000), 0);
  assert.equal(tanh(-1000), -1);
  assert.equal(tanh(0.3), -tanh(-0.3));
  assert.ok(Math.abs(sigmoid(2) + sigmoid(-2) - 1) < 1e-15);
  assert.ok(Number.isNaN(sigmoid(NaN)) && Number.isNaN(tanh(NaN)));
});

Deno.test("TimeLSTM: parameters, initialisation scale and draw order", () => {
  const D = 6, H = 5;
  const lstm = new TimeLSTM("lstm0", D, H, new Rng(3));
  assert.deepEqual(
    lstm.params.map((p) => `${p.name} ${p.shape.join("x")}`),
    ["lstm0.Wx 6x20", "lstm0.Wh 5x20", "lstm0.b 20"],
  );
  const rng = new Rng(3);
  assert.deepEqual(lstm.Wx.value, rng.fillGaussian(new Float32Array(D * 4 * H), 1 / Math.sqrt(D)));
  assert.deepEqual(lstm.Wh.value, rng.fillGaussian(new Float32Array(H * 4 * H), 1 / Math.sqrt(H)));
  assert.ok(lstm.b.value.every((v) => v === 0));
  assert.equal(lstm.stateful, false);
});

Deno.test("lstm gates: hand-computed values of one cell step", () => {
  // N = 1, H = 1, pre-activations [f, g, i, o] = [0, 0.5, 1, -1], c_prev = 2.
  const a = new Float32Array([0, 0.5, 1, -1]);
  const cPrev = new Float32Array([2]);
  const c = new Float32Array(1), tc = new Float32Array(1), h = new Float32Array(1);
  lstmCellForward(a, cPrev, c, tc, h, 1, 1);
  const f = 0.5, g = Math.tanh(0.5), i = sig(1), o = sig(-1);
  assertClose(a, [f, g, i, o], { rtol: 1e-6 });
  const cn = f * 2 + g * i;
  assertClose(c[0], cn, { rtol: 1e-6 });
  assertClose(h[0], o * Math.tanh(cn), { rtol: 1e-6 });
  const dh = new Float32Array([0.7]), dc = new Float32Array([-0.3]), da = new Float32Array(4);
  lstmCellBackward(a, cPrev, tc, dh, dc, da, 1, 1);
  const t = Math.tanh(cn);
  const ds = -0.3 + 0.7 * o * (1 - t * t);
  assertClose(dc[0], ds * f, { rtol: 1e-5 });
  assertClose(
    da,
    [ds * 2 * f * (1 - f), ds * i * (1 - g * g), ds * g * i * (1 - i), 0.7 * t * o * (1 - o)],
    { rtol: 1e-5 },
  );
});

Deno.test("TimeLSTM: forward matches a float64 reference of the formulas in docs/model.md#lstm-cell", () => {
  const N = 3, T = 4, D = 5, H = 6;
  const { lstm, x, h0, c0 } = setup(1, N, T, D, H);
  lstm.setState([h0.value, c0.value]);
  const hs = lstm.forward(x.value, N, T);
  const ref = referenceLSTM(
    x.value,
    lstm.Wx.value,
    lstm.Wh.value,
    lstm.b.value,
    h0.value,
    c0.value,
    N,
    T,
    D,
    H,
  );
  assertClose(hs, ref.hs, { rtol: 1e-5, atol: 1e-6 });
  // The carried state is the last step's h and c.
  const [h, c] = lstm.getState();
  assertClose(h, ref.hs.slice((T - 1) * N * H), { rtol: 1e-5, atol: 1e-6 });
  assertClose(c, ref.c, { rtol: 1e-5, atol: 1e-6 });
  // c is not h under another name: the two differ well beyond that tolerance.
  assert.ok(c.some((v, k) => Math.abs(v - h[k]) > 1e-2));
});

function checkGradients(lossRows: "all" | "last", split = false): void {
  // The split loop cuts 4H columns into 4 chunks and H into 2 at multiples of 16, so it needs
  // H = 32 to have more than one chunk per phase; N = 5 gives three row chunks (2, 2, 1).
  const [N, T, D, H] = split ? [5, 4, 6, 32] : [2, 5, 4, 3];
  const { lstm, x, h0, c0, w } = setup(lossRows === "all" ? 2 : 3, N, T, D, H, split);
  assert.equal(lstm.splitsSteps(N), split);
  if (lossRows === "last") w.fill(0, 0, (T - 1) * N * H); // only h_T is in the loss
  const loss = () => {
    lstm.setState([h0.value, c0.value]);
    const hs = lstm.forward(x.value, N, T);
    let s = 0;
    for (let k = 0; k < hs.length; k++) s += w[k] * hs[k];
    return s;
  };
  loss();
  x.grad.set(lstm.backward(w));
  h0.grad.set(lstm.dh);
  c0.grad.set(lstm.dc);
  // float32 forward passes: entries below the floor are judged by absolute error (floor * 5e-3).
  // The split case sums 640 outputs into the loss, whose float32 rounding puts the numerical
  // gradients' noise near 1e-4; a wrong or missing chunk would be off by the gradient itself.
  const floor = split ? 5e-2 : 1e-2;
  const result = gradCheck(loss, [...lstm.params, x, h0, c0], { maxEntries: 80, floor });
  assert.ok(result.maxRelError < 5e-3, describeGradCheck(result));
  // Every parameter really has a gradient (the check is not vacuous).
  for (const p of [...lstm.params, x, h0, c0]) {
    assert.ok(p.grad.some((v) => Math.abs(v) > 1e-3), `${p.name} has an all-zero gradient`);
  }
}

Deno.test("TimeLSTM: gradients of Wx, Wh, b, x, h0, c0 match numerical ones", () => {
  checkGradients("all");
});

Deno.test("TimeLSTM: gradients carried through dh and dc across steps (loss on h_T only)", () => {
  checkGradients("last");
});

Deno.test("TimeLSTM, split time loop: gradients match numerical ones", () => {
  checkGradients("all", true);
  checkGradients("last", true);
  shutdownWorker();
});

Deno.test("TimeLSTM, split time loop: the same bits with and without the helper worker, close to the unsplit loop", () => {
  const N = 5, T = 6, D = 7, H = 48;
  const x = new Rng(11).fillGaussian(new Float32Array(T * N * D), 1);
  const dhs = new Rng(12).fillGaussian(new Float32Array(T * N * H), 1);
  const run = (splitSteps: boolean, worker: boolean) => {
    setParallel(worker);
    const lstm = new TimeLSTM("lstm", D, H, new Rng(13), { stateful: true, splitSteps });
    for (const p of lstm.params) new Rng(14).fillGaussian(p.value, 0.3);
    const out: Float32Array[] = [];
    for (let call = 0; call < 2; call++) { // the second call starts from the carried state
      out.push(lstm.forward(x, N, T).slice());
      out.push(lstm.backward(dhs).slice(), lstm.dh.slice(), lstm.dc.slice());
      for (const p of lstm.params) out.push(p.grad.slice());
    }
    setParallel(null);
    return out;
  };
  const serial = run(true, false), shared = run(true, true), plain = run(false, false);
  assert.equal(serial.length, 2 * 7);
  serial.forEach((v, i) => assert.deepEqual(shared[i], v, `output ${i} differs with the worker`));
  serial.forEach((v, i) => assertClose(v, plain[i], { rtol: 1e-5, atol: 1e-6 }));
  shutdownWorker();
});

Deno.test("TimeLSTM: the split loop is chosen by size (chapter 6's large model, not its medium one)", () => {
  const big = new TimeLSTM("lstm", 650, 650, new Rng(1));
  const medium = new TimeLSTM("lstm", 100, 100, new Rng(1));
  assert.ok(big.splitsSteps(20)); // 2 * 20 * 2600 * 650 = 68 MFLOP per step
  assert.ok(!big.splitsSteps(2)); // 6.8 MFLOP
  assert.ok(!medium.splitsSteps(20)); // 1.6 MFLOP
  assert.equal(SPLIT_STEP_MIN_FLOP, 16e6);
  assert.ok(new TimeLSTM("lstm", 4, 4, new Rng(1), { splitSteps: true }).splitsSteps(1));
  assert.ok(!new TimeLSTM("lstm", 650, 650, new Rng(1), { splitSteps: false }).splitsSteps(20));
});

Deno.test("TimeLSTM: stateful, two T-step calls equal one 2T-step call", () => {
  const N = 3, T = 4, D = 5, H = 6;
  const rng = new Rng(7);
  const x = rng.fillGaussian(new Float32Array(2 * T * N * D), 1);
  const whole = new TimeLSTM("lstm", D, H, new Rng(8), { stateful: true });
  const all = whole.forward(x, N, 2 * T).slice();
  const split = new TimeLSTM("lstm", D, H, new Rng(8), { stateful: true });
  assert.deepEqual(split.getState(), []);
  const first = split.forward(x.subarray(0, T * N * D), N, T).slice();
  const second = split.forward(x.subarray(T * N * D), N, T).slice();
  assertClose(first, all.subarray(0, T * N * H), { rtol: 1e-6, atol: 1e-7 });
  assertClose(second, all.subarray(T * N * H), { rtol: 1e-5, atol: 1e-6 });
  assert.deepEqual(split.getState(), whole.getState());
  // setState restores a saved state; resetState starts again from zeros.
  const saved = split.getState();
  const again = new TimeLSTM("lstm", D, H, new Rng(8), { stateful: true });
  again.setState(saved);
  const fromSaved = again.forward(x.subarray(0, T * N * D), N, T).slice();
  const continued = split.forward(x.subarray(0, T * N * D), N, T);
  assert.deepEqual(fromSaved, continued.slice());
  assert.notDeepEqual(fromSaved, first);
  split.resetState();
  assert.deepEqual(split.getState(), []);
  assertClose(split.forward(x.subarray(0, T * N * D), N, T), first, { rtol: 0, atol: 0 });
});

Deno.test("TimeLSTM: non-stateful calls start from zeros; a new batch size resets the state", () => {
  const N = 2, T = 3, D = 4, H = 5;
  const x = new Rng(9).fillGaussian(new Float32Array(T * N * D), 1);
  const lstm = new TimeLSTM("lstm", D, H, new Rng(10));
  const a = lstm.forward(x, N, T).slice();
  const b = lstm.forward(x, N, T).slice();
  assert.deepEqual(a, b);
  assert.deepEqual(lstm.getState(), []);
  const s = new TimeLSTM("lstm", D, H, new Rng(10), { stateful: true });
  s.forward(x, N, T);
  const carried = s.forward(x, N, T).slice();
  assert.notDeepEqual(carried, a);
  // N = 1 with a state of N = 2: starts from zeros (the first row of each step equals a's).
  const x1 = new Float32Array(T * D);
  for (let t = 0; t < T; t++) x1.set(x.subarray(t * N * D, t * N * D + D), t * D);
  const one = s.forward(x1, 1, T);
  for (let t = 0; t < T; t++) {
    assertClose(one.subarray(t * H, (t + 1) * H), a.subarray(t * N * H, t * N * H + H), {
      rtol: 1e-6,
      atol: 1e-7,
    });
  }
  assert.throws(() => lstm.forward(new Float32Array(5), N, T), /expected T\*N\*D/);
});
