import assert from "node:assert/strict";
import { Param } from "../core/param.ts";
import { Rng } from "../core/random.ts";
import { initAffine, TimeAffine } from "../layers/affine.ts";
import { initEmbedding, TimeEmbedding } from "../layers/embedding.ts";
import { TimeRNN } from "../layers/rnn.ts";
import { TimeSoftmaxWithLoss } from "../layers/softmax_loss.ts";
import { softmaxCrossEntropyReference } from "../testing/softmax_reference.ts";
import { assertClose } from "../testing/assert_close.ts";
import { describeGradCheck, gradCheck } from "../testing/gradcheck.ts";

/** `sum_i w[i] * out[i]` in float64: a probe loss whose gradient with respect to `out` is `w`. */
function probe(out: Float32Array, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * out[i];
  return s;
}

function gaussian(n: number, rng: Rng, scale = 1): Float32Array {
  return rng.fillGaussian(new Float32Array(n), scale);
}

function weights(n: number, rng: Rng): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = rng.gaussian();
  return w;
}

Deno.test("TimeEmbedding gathers rows and scatter-adds repeated ids", () => {
  const rng = new Rng(1);
  const V = 6, D = 3;
  const W = initEmbedding("embed.W", V, D, rng);
  const embed = new TimeEmbedding("embed", W);
  const xs = new Int32Array([4, 1, 4, 0, 4, 1]); // id 4 three times, id 1 twice
  const rows = xs.length;
  const out = embed.forward(xs, rows);
  for (let r = 0; r < rows; r++) {
    assert.deepEqual([...out.subarray(r * D, r * D + D)], [
      ...W.value.subarray(xs[r] * D, xs[r] * D + D),
    ]);
  }
  W.grad.fill(123); // must be overwritten, not accumulated into
  const dout = Float32Array.from({ length: rows * D }, (_, i) => i + 1);
  embed.backward(dout);
  // Row 4 = dout rows 0, 2, 4; row 1 = rows 1, 5; row 0 = row 3; rows 2, 3, 5 zero.
  assert.deepEqual([...W.grad.subarray(4 * D, 5 * D)], [1 + 7 + 13, 2 + 8 + 14, 3 + 9 + 15]);
  assert.deepEqual([...W.grad.subarray(1 * D, 2 * D)], [4 + 16, 5 + 17, 6 + 18]);
  assert.deepEqual([...W.grad.subarray(0, D)], [10, 11, 12]);
  for (const id of [2, 3, 5]) assert.deepEqual([...W.grad.subarray(id * D, id * D + D)], [0, 0, 0]);
  // Numerical check of the same thing through a probe loss.
  const w = weights(rows * D, rng);
  embed.forward(xs, rows);
  embed.backward(Float32Array.from(w));
  const result = gradCheck(() => probe(embed.forward(xs, rows), w), [W], { maxEntries: 1000 });
  assert.ok(result.maxRelError < 1e-4, describeGradCheck(result));
});

Deno.test("TimeEmbedding with addToGrad adds its scatter onto what W.grad already holds", () => {
  // The tied-weight case: another layer has written its part of the shared gradient first.
  const V = 4, D = 2;
  const W = new Param("embed.W", [V, D], Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  const embed = new TimeEmbedding("embed", W, { addToGrad: true });
  assert.equal(embed.addToGrad, true);
  assert.equal(new TimeEmbedding("plain", W).addToGrad, false);
  const xs = new Int32Array([2, 0, 2]); // id 2 twice, id 0 once, ids 1 and 3 unused
  assert.deepEqual([...embed.forward(xs, 3)], [5, 6, 1, 2, 5, 6]); // forward is unchanged
  const before = [0.5, -1, 10, 20, -3, 0.25, 100, 200];
  W.grad.set(before);
  embed.backward(Float32Array.from([1, 2, 3, 4, 5, 6]));
  // Row 2 += dout rows 0 and 2; row 0 += dout row 1; rows 1 and 3 keep their values.
  assert.deepEqual([...W.grad], [0.5 + 3, -1 + 4, 10, 20, -3 + 1 + 5, 0.25 + 2 + 6, 100, 200]);
  // A second backward adds again: the caller overwrites W.grad once per step, before this.
  embed.backward(Float32Array.from([1, 2, 3, 4, 5, 6]));
  assert.deepEqual([...W.grad], [0.5 + 6, -1 + 8, 10, 20, -3 + 12, 0.25 + 16, 100, 200]);
  // It equals the overwriting layer's gradient plus what was there.
  const plain = new TimeEmbedding("plain", W);
  const dout = gaussian(3 * D, new Rng(2));
  plain.forward(xs, 3);
  plain.backward(dout);
  const scatter = W.grad.slice();
  W.grad.set(before);
  embed.forward(xs, 3);
  embed.backward(dout);
  assertClose(W.grad, scatter.map((g, k) => g + before[k]), { rtol: 1e-6, atol: 0 });
});

Deno.test("TimeEmbedding initialisation is randn / 100 and rejects bad ids", () => {
  const W = initEmbedding("embed.W", 100, 50, new Rng(3));
  let sq = 0;
  for (const v of W.value) sq += v * v;
  const std = Math.sqrt(sq / W.size);
  assert.ok(Math.abs(std - 0.01) < 0.0005, `std ${std}`);
  const embed = new TimeEmbedding("embed", W);
  assert.throws(() => embed.forward(new Int32Array([100]), 1), RangeError);
  assert.throws(() => embed.forward(new Int32Array([-1]), 1), RangeError);
});

function checkAffine(transposed: boolean) {
  const rng = new Rng(transposed ? 11 : 10);
  const rows = 7, H = 5, V = 9;
  const W = new Param("W", transposed ? [V, H] : [H, V], gaussian(H * V, rng));
  const b = new Param("b", [V], gaussian(V, rng));
  const affine = new TimeAffine("affine", W, b, { transposed });
  const x = new Param("x", [rows, H], gaussian(rows * H, rng));
  const out = affine.forward(x.value, rows);
  // Forward against a naive loop.
  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < V; v++) {
      let s = b.value[v];
      for (let h = 0; h < H; h++) {
        s += x.value[r * H + h] * (transposed ? W.value[v * H + h] : W.value[h * V + v]);
      }
      assertClose(out[r * V + v], s, { rtol: 1e-5, atol: 1e-5 });
    }
  }
  const w = weights(rows * V, rng);
  const dout = Float32Array.from(w);
  W.grad.fill(7);
  b.grad.fill(7);
  x.grad.set(affine.backward(dout));
  // db = column sums of dout.
  const colSums = new Float64Array(V);
  for (let r = 0; r < rows; r++) for (let v = 0; v < V; v++) colSums[v] += dout[r * V + v];
  assertClose(b.grad, colSums, { rtol: 1e-5, atol: 1e-6 });
  // The layer is linear in each entry, so a large step has no truncation error and keeps the
  // float32 rounding of the outputs small relative to the difference.
  const result = gradCheck(() => probe(affine.forward(x.value, rows), w), [W, b, x], {
    eps: 0.25,
    richardson: false,
    maxEntries: 1000,
  });
  assert.ok(result.maxRelError < 1e-4, describeGradCheck(result));
}

Deno.test("TimeAffine forward and gradients, plain weight", () => checkAffine(false));
Deno.test("TimeAffine forward and gradients, transposed (tied) weight", () => checkAffine(true));

Deno.test("TimeAffine with the bias folded into its products matches the separate-bias path within 1e-5", () => {
  const rng = new Rng(15);
  const rows = 35, H = 24, V = 300;
  const fused = initAffine("affine", H, V, rng); // W and b in one buffer: the folded path
  rng.fillGaussian(fused.b.value, 0.5);
  const W = new Param("affine.W", [H, V], fused.W.value.slice());
  const b = new Param("affine.b", [V], fused.b.value.slice()); // separate buffers: the plain path
  const a = new TimeAffine("affine", fused.W, fused.b), p = new TimeAffine("affine", W, b);
  const x = gaussian(rows * H, rng), dout = gaussian(rows * V, rng);
  assertClose(a.forward(x, rows), p.forward(x, rows), { rtol: 1e-5, atol: 1e-6 });
  assertClose(a.backward(dout), p.backward(dout), { rtol: 1e-5, atol: 1e-6 });
  assertClose(fused.W.grad, W.grad, { rtol: 1e-5, atol: 1e-6 });
  assertClose(fused.b.grad, b.grad, { rtol: 1e-5, atol: 1e-6 });
  assert.ok(b.grad.some((v) => Math.abs(v) > 1), "the bias gradient is not trivially small");
});

Deno.test("TimeSoftmaxWithLoss: ignored rows neither count nor get gradient", () => {
  const rng = new Rng(20);
  const rows = 6, V = 5;
  const scores = gaussian(rows * V, rng, 2);
  const ts = new Int32Array([2, -1, 0, 4, -1, 1]);
  const counted = [0, 2, 3, 5];
  // Expected: mean over the counted rows only, and (p - onehot) / 4 there.
  let expectedLoss = 0;
  const expectedGrad = new Float64Array(rows * V);
  for (const r of counted) {
    const row = [...scores.subarray(r * V, r * V + V)];
    const z = row.reduce((s, v) => s + Math.exp(v), 0);
    expectedLoss += Math.log(z) - row[ts[r]];
    for (let j = 0; j < V; j++) {
      expectedGrad[r * V + j] = (Math.exp(row[j]) / z - (j === ts[r] ? 1 : 0)) / counted.length;
    }
  }
  expectedLoss /= counted.length;
  const layer = new TimeSoftmaxWithLoss();
  const copy = scores.slice();
  const evalLoss = layer.forward(copy, ts, rows, V, false);
  assert.deepEqual([...copy], [...scores], "eval leaves the scores alone");
  assertClose(evalLoss, expectedLoss, { rtol: 1e-6 });
  const loss = layer.forward(copy, ts, rows, V, true);
  assertClose(loss, expectedLoss, { rtol: 1e-6 });
  const grad = layer.backward();
  assertClose(grad, expectedGrad, { rtol: 1e-5, atol: 1e-7 });
  for (const r of [1, 4]) assert.ok(grad.subarray(r * V, r * V + V).every((v) => v === 0));
  // Numerical check against the scores as a parameter.
  const s = new Param("scores", [rows, V], scores.slice());
  s.grad.set(grad);
  const work = new Float32Array(rows * V);
  const result = gradCheck(
    () => {
      work.set(s.value);
      return layer.forward(work, ts, rows, V, false);
    },
    [s],
    { eps: 1e-2, maxEntries: 1000 },
  );
  assert.ok(result.maxRelError < 1e-3, describeGradCheck(result));
});

Deno.test("TimeSoftmaxWithLoss: all rows ignored gives zero loss and gradient; bad targets throw", () => {
  const layer = new TimeSoftmaxWithLoss();
  const scores = new Float32Array([1, 2, 3, 4]);
  assert.equal(layer.forward(scores, new Int32Array([-1, -1]), 2, 2, true), 0);
  assert.deepEqual([...layer.backward()], [0, 0, 0, 0]);
  assert.throws(() => layer.forward(scores, new Int32Array([2, 0]), 2, 2, true), RangeError);
  assert.throws(() => new TimeSoftmaxWithLoss().backward());
});

Deno.test("TimeSoftmaxWithLoss with a custom ignoreLabel: those rows add nothing and get zero gradient", () => {
  // Label 2 is a real class id here, so only the option can make those rows ignored.
  const rng = new Rng(21);
  const rows = 6, V = 4;
  const scores = gaussian(rows * V, rng, 2);
  const ts = new Int32Array([2, 0, 3, 2, 1, 2]);
  const counted = [1, 2, 4];
  // Expected: the plain reference over the counted rows alone (default label, none ignored).
  const sub = new Float32Array(counted.length * V);
  counted.forEach((r, k) => sub.set(scores.subarray(r * V, r * V + V), k * V));
  const ref = softmaxCrossEntropyReference(
    sub,
    Int32Array.from(counted, (r) => ts[r]),
    counted.length,
    V,
    -1,
  );
  // The default layer counts every row, so the ignored rows really change the result.
  const all = new TimeSoftmaxWithLoss().forward(scores.slice(), ts, rows, V, false);
  assert.ok(Math.abs(all - ref.loss) > 0.05, `${all} vs ${ref.loss}`);

  const layer = new TimeSoftmaxWithLoss({ ignoreLabel: 2 });
  assert.equal(layer.ignoreLabel, 2);
  assertClose(layer.forward(scores.slice(), ts, rows, V, false), ref.loss, { rtol: 1e-6 });
  const grad = scores.slice();
  assertClose(layer.forward(grad, ts, rows, V, true), ref.loss, { rtol: 1e-6 });
  assert.equal(layer.backward(), grad);
  const expectedGrad = new Float32Array(rows * V); // mean over 3 rows, zero on ignored rows
  counted.forEach((r, k) => expectedGrad.set(ref.grad.subarray(k * V, k * V + V), r * V));
  assertClose(grad, expectedGrad, { rtol: 1e-5, atol: 1e-7 });
  for (const r of [0, 3, 5]) {
    assert.deepEqual([...grad.subarray(r * V, r * V + V)], [0, 0, 0, 0], `row ${r}`);
  }
  // The scores of ignored rows do not matter at all.
  const changed = scores.slice();
  for (const r of [0, 3, 5]) changed.fill(50, r * V, r * V + V);
  assert.equal(
    layer.forward(changed, ts, rows, V, false),
    layer.forward(scores.slice(), ts, rows, V, false),
  );
  // -1 is now an ordinary out-of-range target, and all rows ignored gives zero loss and gradient.
  assert.throws(
    () => layer.forward(scores.slice(), new Int32Array(rows).fill(-1), rows, V, false),
    RangeError,
  );
  const none = scores.slice();
  assert.equal(layer.forward(none, new Int32Array(rows).fill(2), rows, V, true), 0);
  assert.ok(none.every((v) => v === 0));
});

function makeRnn(stateful = true, seed = 30) {
  return new TimeRNN("rnn", 4, 5, new Rng(seed), { stateful });
}

Deno.test("TimeRNN gradients: weights, bias summed over the batch, inputs, initial state", () => {
  const rng = new Rng(31);
  const N = 3, T = 4, D = 4, H = 5;
  const rnn = makeRnn();
  rnn.b.value.set(gaussian(H, rng, 0.5)); // nonzero bias so tanh' varies
  const h0 = new Param("h0", [N, H], gaussian(N * H, rng, 0.5)); // a carried state
  const x = new Param("x", [T * N, D], gaussian(T * N * D, rng));
  const w = weights(T * N * H, rng);
  const run = () => {
    rnn.setState([h0.value]);
    return rnn.forward(x.value, N, T);
  };
  run();
  for (const p of rnn.params) p.grad.fill(99);
  x.grad.set(rnn.backward(Float32Array.from(w)));
  h0.grad.set(rnn.dh);
  const checked = [...rnn.params, x, h0];
  const result = gradCheck(() => probe(run(), w), checked, { maxEntries: 200 });
  assert.ok(result.maxRelError < 5e-3, describeGradCheck(result));
  for (const p of checked) {
    assert.ok(p.grad.some((v) => Math.abs(v) > 1e-2), `${p.name} has a near-zero gradient`);
  }
  // The bias gradient is the sum over all rows (batch and time) of dt: with T = 1 and h0 = 0 it
  // is exactly sum_n dout[n] * (1 - h[n]^2).
  const one = makeRnn(false);
  const x1 = gaussian(N * D, rng);
  const hs = one.forward(x1, N, 1).slice();
  const dout = gaussian(N * H, rng);
  one.backward(dout);
  const expected = new Float64Array(H);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) expected[j] += dout[n * H + j] * (1 - hs[n * H + j] ** 2);
  }
  assertClose(one.b.grad, expected, { rtol: 1e-5, atol: 1e-7 });
});

Deno.test("TimeRNN carries the gradient back through time to the first input and to h0", () => {
  const rng = new Rng(32);
  const N = 2, T = 5, D = 4, H = 5;
  const rnn = makeRnn();
  const x = new Param("x", [T * N, D], gaussian(T * N * D, rng));
  const h0 = new Param("h0", [N, H], gaussian(N * H, rng, 0.5));
  // A loss on the last step's output only.
  const w = new Float64Array(T * N * H);
  for (let i = (T - 1) * N * H; i < T * N * H; i++) w[i] = rng.gaussian();
  const run = () => {
    rnn.setState([h0.value]);
    return rnn.forward(x.value, N, T);
  };
  run();
  x.grad.set(rnn.backward(Float32Array.from(w)));
  // The gradient to the initial state, carried back through all T steps, is rnn.dh.
  h0.grad.set(rnn.dh);
  const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  const firstStep = x.grad.subarray(0, N * D);
  assert.ok(norm(firstStep) > 1e-3, `first step's input gradient is ${norm(firstStep)}`);
  assert.ok(norm(h0.grad) > 1e-3, `initial state's gradient is ${norm(h0.grad)}`);
  const result = gradCheck(() => probe(run(), w), [x, h0], { maxEntries: 1000, floor: 1e-4 });
  assert.ok(result.maxRelError < 5e-3, describeGradCheck(result));
});

Deno.test("TimeRNN stateful: two calls of T steps equal one call of 2T; resetState", () => {
  const rng = new Rng(33);
  const N = 3, T = 4, D = 4, H = 5;
  const x = gaussian(2 * T * N * D, rng);
  const whole = makeRnn();
  const hsWhole = whole.forward(x, N, 2 * T).slice();
  const split = makeRnn();
  const first = split.forward(x.subarray(0, T * N * D), N, T).slice();
  const second = split.forward(x.subarray(T * N * D), N, T).slice();
  assertClose(first, hsWhole.subarray(0, T * N * H), { rtol: 1e-5, atol: 1e-6 });
  assertClose(second, hsWhole.subarray(T * N * H), { rtol: 1e-5, atol: 1e-6 });
  assertClose(split.getState()[0], hsWhole.subarray((2 * T - 1) * N * H), { atol: 1e-6 });
  // After resetState the next call starts from zeros, like a fresh layer.
  split.resetState();
  assert.deepEqual(split.getState(), []);
  assertClose(split.forward(x.subarray(0, T * N * D), N, T), first, { rtol: 0, atol: 0 });
  // setState / getState round trip (copies).
  const saved = split.getState();
  const again = split.forward(x.subarray(T * N * D), N, T).slice();
  split.setState(saved);
  assertClose(split.forward(x.subarray(T * N * D), N, T), again, { rtol: 0, atol: 0 });
  // A non-stateful layer starts from zeros every call.
  const fresh = makeRnn(false);
  fresh.forward(x.subarray(0, T * N * D), N, T);
  assertClose(fresh.forward(x.subarray(0, T * N * D), N, T), first, { rtol: 0, atol: 0 });
  assert.deepEqual(fresh.getState(), []);
});

Deno.test("TimeRNN initialisation scales: Wx ~ 1/sqrt(D), Wh ~ 1/sqrt(H), b = 0", () => {
  const rnn = new TimeRNN("rnn", 64, 100, new Rng(34));
  const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
  assert.ok(Math.abs(std(rnn.Wx.value) - 1 / 8) < 0.005);
  assert.ok(Math.abs(std(rnn.Wh.value) - 1 / 10) < 0.003);
  assert.ok(rnn.b.value.every((v) => v === 0));
  assert.deepEqual(rnn.params.map((p) => p.name), ["rnn.Wx", "rnn.Wh", "rnn.b"]);
});
