import assert from "node:assert/strict";
import { Rng } from "../core/random.ts";
import { softmaxCrossEntropyReference } from "../testing/softmax_reference.ts";
import { SimpleRnnlm } from "../models/simple_rnnlm.ts";
import { SGD } from "../optim/sgd.ts";
import { assertClose } from "../testing/assert_close.ts";
import { describeGradCheck, gradCheck } from "../testing/gradcheck.ts";

function ids(n: number, V: number, rng: Rng): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(V));
}

Deno.test("SimpleRnnlm: parameters, shapes and the order of initialisation draws", () => {
  const V = 30, D = 6, H = 7;
  const model = new SimpleRnnlm(V, D, H, new Rng(1));
  assert.deepEqual(
    model.params.map((p) => `${p.name} ${p.shape.join("x")}`),
    ["embed.W 30x6", "rnn.Wx 6x7", "rnn.Wh 7x7", "rnn.b 7", "affine.W 7x30", "affine.b 30"],
  );
  // Same draws in the same order as docs/model.md#initialisation: embedding, Wx, Wh, affine W.
  const rng = new Rng(1);
  const expect = (n: number, scale: number) => rng.fillGaussian(new Float32Array(n), scale);
  assert.deepEqual(model.params[0].value, expect(V * D, 1 / 100));
  assert.deepEqual(model.params[1].value, expect(D * H, 1 / Math.sqrt(D)));
  assert.deepEqual(model.params[2].value, expect(H * H, 1 / Math.sqrt(H)));
  assert.deepEqual(model.params[4].value, expect(H * V, 1 / Math.sqrt(H)));
  assert.ok(
    model.params[3].value.every((v) => v === 0) && model.params[5].value.every((v) => v === 0),
  );
  // At initialisation the loss is close to log(V).
  const r = new Rng(2);
  const loss = model.forward(ids(15, V, r), ids(15, V, r), 3, 5, false);
  assert.ok(Math.abs(loss - Math.log(V)) < 0.1, `initial loss ${loss}`);
});

Deno.test("SimpleRnnlm: analytic gradients of every parameter match numerical ones", () => {
  const V = 11, D = 5, H = 6, N = 3, T = 4;
  const model = new SimpleRnnlm(V, D, H, new Rng(3));
  const rng = new Rng(4);
  // Larger weights than the initialisation so every gradient is well above float32 noise.
  for (const p of model.params) rng.fillGaussian(p.value, 0.5);
  const xs = ids(T * N, V, rng);
  const ts = ids(T * N, V, rng);
  ts[5] = -1; // one ignored row
  const h0 = rng.fillGaussian(new Float32Array(N * H), 0.5); // a carried state, as in training
  model.setState([h0]);
  model.forward(xs, ts, N, T, true);
  model.backward();
  const result = gradCheck(
    () => {
      model.setState([h0]);
      return model.forward(xs, ts, N, T, false);
    },
    model.params,
    { maxEntries: 120 },
  );
  // The mean loss over 11 rows makes many gradients ~1e-3, where float32 rounding of the loss
  // (~1e-7) already gives relative differences of ~2e-3; a real error would be of order 1.
  assert.ok(result.maxRelError < 1e-2, describeGradCheck(result));
  assert.ok(Math.max(...result.params.map((c) => c.maxAbsError)) < 2e-5, describeGradCheck(result));
  // The embedding rows of ids not in xs get exactly zero gradient.
  const used = new Set(xs);
  for (let id = 0; id < V; id++) {
    if (!used.has(id)) {
      assert.ok(model.params[0].grad.subarray(id * D, id * D + D).every((v) => v === 0));
    }
  }
});

Deno.test("SimpleRnnlm: state carries across calls, resetState and get/setState", () => {
  const V = 13, D = 4, H = 5, N = 2, T = 3;
  const rng = new Rng(5);
  const xs = ids(2 * T * N, V, rng);
  const ts = ids(2 * T * N, V, rng);
  const whole = new SimpleRnnlm(V, D, H, new Rng(6));
  const lossWhole = whole.forward(xs, ts, N, 2 * T, false);
  const split = new SimpleRnnlm(V, D, H, new Rng(6));
  assert.deepEqual(split.getState(), []);
  const a = split.forward(xs.subarray(0, T * N), ts.subarray(0, T * N), N, T, false);
  const saved = split.getState();
  assert.equal(saved.length, 1);
  assert.equal(saved[0].length, N * H);
  const b = split.forward(xs.subarray(T * N), ts.subarray(T * N), N, T, false);
  assertClose((a + b) / 2, lossWhole, { rtol: 1e-5 });
  // Restoring the saved state reproduces the second half; resetting does not.
  split.setState(saved);
  assert.equal(split.forward(xs.subarray(T * N), ts.subarray(T * N), N, T, false), b);
  split.resetState();
  assert.deepEqual(split.getState(), []);
  const fresh = new SimpleRnnlm(V, D, H, new Rng(6));
  assert.equal(
    split.forward(xs.subarray(T * N), ts.subarray(T * N), N, T, false),
    fresh.forward(xs.subarray(T * N), ts.subarray(T * N), N, T, false),
  );
  // predict returns the (T*N, V) scores of an evaluation forward from the same carried state:
  // their reference cross-entropy is the loss forward returns.
  const carried = fresh.getState();
  const scores = fresh.predict(xs.subarray(0, T * N), N, T).slice();
  assert.equal(scores.length, T * N * V);
  fresh.setState(carried);
  const loss = fresh.forward(xs.subarray(0, T * N), ts.subarray(0, T * N), N, T, false);
  const ref = softmaxCrossEntropyReference(scores, ts.subarray(0, T * N), T * N, V, -1);
  assertClose(ref.loss, loss, { rtol: 1e-6 });
  // Far outside that tolerance, the loss from a fresh state differs (predict did use the state).
  fresh.resetState();
  const fromZeros = fresh.forward(xs.subarray(0, T * N), ts.subarray(0, T * N), N, T, false);
  assert.ok(Math.abs(fromZeros - loss) > 1e-4 * loss, `${fromZeros} vs ${loss}`);
});

Deno.test("SimpleRnnlm + SGD learns a repeating sequence", () => {
  const V = 8, N = 2, T = 4;
  const model = new SimpleRnnlm(V, 8, 16, new Rng(7));
  const opt = new SGD(0.5);
  const seq = [0, 3, 1, 4, 1, 5, 2, 6]; // the next word is a function of the last two
  const xs = new Int32Array(T * N), ts = new Int32Array(T * N);
  let first = 0, last = 0, pos = 0;
  for (let it = 0; it < 300; it++) {
    for (let t = 0; t < T; t++) {
      for (let n = 0; n < N; n++) {
        xs[t * N + n] = seq[(pos + t + 4 * n) % 8];
        ts[t * N + n] = seq[(pos + t + 4 * n + 1) % 8];
      }
    }
    pos = (pos + T) % 8;
    const loss = model.forward(xs, ts, N, T, true);
    model.backward();
    opt.update(model.params);
    if (it === 0) first = loss;
    last = loss;
  }
  assert.ok(first > 1.9, `first loss ${first}`);
  assert.ok(last < 0.1, `last loss ${last}`);
});

Deno.test("SGD subtracts lr * grad and lr is mutable", () => {
  const model = new SimpleRnnlm(5, 2, 2, new Rng(8));
  const p = model.params[5];
  p.value.set([1, 2, 3, 4, 5]);
  p.grad.set([1, 1, 1, 1, -1]);
  const opt = new SGD(0.5);
  opt.update([p]);
  assert.deepEqual([...p.value], [0.5, 1.5, 2.5, 3.5, 5.5]);
  opt.lr /= 4;
  opt.update([p]);
  assert.deepEqual([...p.value], [0.375, 1.375, 2.375, 3.375, 5.625]);
});
