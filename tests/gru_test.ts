import assert from "node:assert/strict";
import { Param } from "../core/param.ts";
import { Rng } from "../core/random.ts";
import { TimeGRU } from "../layers/gru.ts";
import { assertClose } from "../testing/assert_close.ts";
import { describeGradCheck, gradCheck } from "../testing/gradcheck.ts";

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** Float64 transcription of the documented GRU (column blocks z, r, h~). */
function referenceGRU(
  x: Float32Array,
  Wx: Float32Array,
  Wh: Float32Array,
  b: Float32Array,
  h0: Float32Array,
  N: number,
  T: number,
  D: number,
  H: number,
): number[] {
  const G = 3 * H;
  let h = Array.from(h0);
  const hs: number[] = [];
  const xw = (t: number, n: number, col: number) => {
    let a = b[col];
    for (let d = 0; d < D; d++) a += x[(t * N + n) * D + d] * Wx[d * G + col];
    return a;
  };
  for (let t = 0; t < T; t++) {
    const hn: number[] = [];
    for (let n = 0; n < N; n++) {
      const r: number[] = [];
      for (let j = 0; j < H; j++) {
        let a = xw(t, n, H + j);
        for (let k = 0; k < H; k++) a += h[n * H + k] * Wh[k * G + H + j];
        r.push(sig(a));
      }
      for (let j = 0; j < H; j++) {
        let az = xw(t, n, j), ah = xw(t, n, 2 * H + j);
        for (let k = 0; k < H; k++) {
          az += h[n * H + k] * Wh[k * G + j];
          ah += r[k] * h[n * H + k] * Wh[k * G + 2 * H + j];
        }
        const z = sig(az);
        hn[n * H + j] = (1 - z) * h[n * H + j] + z * Math.tanh(ah);
      }
    }
    h = hn;
    hs.push(...h);
  }
  return hs;
}

function setup(seed: number, N: number, T: number, D: number, H: number) {
  const rng = new Rng(seed);
  const gru = new TimeGRU("gru", D, H, new Rng(seed + 100), { stateful: true });
  for (const p of gru.params) rng.fillGaussian(p.value, 0.5);
  const x = new Param("x", [T * N, D], rng.fillGaussian(new Float32Array(T * N * D), 1));
  const h0 = new Param("h0", [N, H], rng.fillGaussian(new Float32Array(N * H), 0.5));
  const w = rng.fillGaussian(new Float32Array(T * N * H), 1);
  return { gru, x, h0, w };
}

Deno.test("TimeGRU: parameters, initialisation scale and draw order", () => {
  const D = 6, H = 5;
  const gru = new TimeGRU("gru", D, H, new Rng(3));
  assert.deepEqual(
    gru.params.map((p) => `${p.name} ${p.shape.join("x")}`),
    ["gru.Wx 6x15", "gru.Wh 5x15", "gru.b 15"],
  );
  const rng = new Rng(3);
  assert.deepEqual(gru.Wx.value, rng.fillGaussian(new Float32Array(D * 3 * H), 1 / Math.sqrt(D)));
  assert.deepEqual(gru.Wh.value, rng.fillGaussian(new Float32Array(H * 3 * H), 1 / Math.sqrt(H)));
  assert.ok(gru.b.value.every((v) => v === 0));
});

Deno.test("TimeGRU: forward matches a float64 reference of the documented formulas", () => {
  const N = 3, T = 4, D = 5, H = 6;
  const { gru, x, h0 } = setup(1, N, T, D, H);
  gru.setState([h0.value]);
  const hs = gru.forward(x.value, N, T);
  const ref = referenceGRU(x.value, gru.Wx.value, gru.Wh.value, gru.b.value, h0.value, N, T, D, H);
  assertClose(hs, ref, { rtol: 1e-5, atol: 1e-6 });
  assertClose(gru.getState()[0], ref.slice((T - 1) * N * H), { rtol: 1e-5, atol: 1e-6 });
});

for (const rows of ["all", "last"] as const) {
  Deno.test(`TimeGRU: gradients of Wx, Wh, b, x, h0 match numerical ones (loss on ${rows} h)`, () => {
    const N = 2, T = 5, D = 4, H = 3;
    const { gru, x, h0, w } = setup(rows === "all" ? 2 : 3, N, T, D, H);
    if (rows === "last") w.fill(0, 0, (T - 1) * N * H); // gradients reach early steps via dh only
    const loss = () => {
      gru.setState([h0.value]);
      const hs = gru.forward(x.value, N, T);
      let s = 0;
      for (let k = 0; k < hs.length; k++) s += w[k] * hs[k];
      return s;
    };
    loss();
    x.grad.set(gru.backward(w));
    h0.grad.set(gru.dh);
    const result = gradCheck(loss, [...gru.params, x, h0], { maxEntries: 80, floor: 1e-2 });
    assert.ok(result.maxRelError < 5e-3, describeGradCheck(result));
    for (const p of [...gru.params, x, h0]) {
      assert.ok(p.grad.some((v) => Math.abs(v) > 1e-3), `${p.name} has an all-zero gradient`);
    }
  });
}

Deno.test("TimeGRU: stateful, two T-step calls equal one 2T-step call; reset and restore", () => {
  const N = 3, T = 4, D = 5, H = 6;
  const x = new Rng(7).fillGaussian(new Float32Array(2 * T * N * D), 1);
  const whole = new TimeGRU("gru", D, H, new Rng(8), { stateful: true });
  const all = whole.forward(x, N, 2 * T).slice();
  const split = new TimeGRU("gru", D, H, new Rng(8), { stateful: true });
  const first = split.forward(x.subarray(0, T * N * D), N, T).slice();
  const second = split.forward(x.subarray(T * N * D), N, T).slice();
  assertClose(first, all.subarray(0, T * N * H), { rtol: 1e-6, atol: 1e-7 });
  assertClose(second, all.subarray(T * N * H), { rtol: 1e-5, atol: 1e-6 });
  assert.deepEqual(split.getState(), whole.getState());
  const saved = split.getState();
  const again = new TimeGRU("gru", D, H, new Rng(8), { stateful: true });
  again.setState(saved);
  assert.deepEqual(
    again.forward(x.subarray(0, T * N * D), N, T).slice(),
    split.forward(x.subarray(0, T * N * D), N, T).slice(),
  );
  split.resetState();
  assert.deepEqual(split.getState(), []);
  assert.deepEqual(split.forward(x.subarray(0, T * N * D), N, T).slice(), first);
  const plain = new TimeGRU("gru", D, H, new Rng(8));
  plain.forward(x.subarray(0, T * N * D), N, T);
  assert.deepEqual(plain.forward(x.subarray(0, T * N * D), N, T).slice(), first);
});
