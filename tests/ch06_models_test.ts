import assert from "node:assert/strict";
import { UserError } from "../core/errors.ts";
import { Param } from "../core/param.ts";
import { Rng } from "../core/random.ts";
import { TimeAffine } from "../layers/affine.ts";
import { TimeDropout } from "../layers/dropout.ts";
import { TimeEmbedding } from "../layers/embedding.ts";
import { TimeLSTM } from "../layers/lstm.ts";
import { TimeSoftmaxWithLoss } from "../layers/softmax_loss.ts";
import { softmaxCrossEntropyReference } from "../testing/softmax_reference.ts";
import { BetterRnnlm, GruRnnlm, type LanguageModel, Rnnlm, SimpleRnnlm } from "../models/mod.ts";
import { clipGrads } from "../optim/clip.ts";
import { assertClose } from "../testing/assert_close.ts";
import { describeGradCheck, gradCheck } from "../testing/gradcheck.ts";

function ids(n: number, V: number, rng: Rng): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(V));
}

const shapes = (m: LanguageModel) => m.params.map((p) => `${p.name} ${p.shape.join("x")}`);

/** Gradient check of a whole model from a carried state, with one ignored target row. */
function checkModelGradients(model: LanguageModel, V: number, N: number, T: number, seed: number) {
  const rng = new Rng(seed);
  for (const p of model.params) rng.fillGaussian(p.value, 0.5);
  const xs = ids(T * N, V, rng);
  const ts = ids(T * N, V, rng);
  ts[3] = -1;
  model.resetState();
  model.forward(ids(T * N, V, rng), ids(T * N, V, rng), N, T, false); // creates a carried state
  const state = model.getState();
  assert.ok(state.length > 0 && state.every((s) => s.some((v) => v !== 0)));
  model.setState(state);
  model.forward(xs, ts, N, T, true);
  model.backward();
  const result = gradCheck(
    () => {
      model.setState(state);
      return model.forward(xs, ts, N, T, true);
    },
    model.params,
    { maxEntries: 60, floor: 1e-2 },
  );
  assert.ok(result.maxRelError < 5e-3, describeGradCheck(result));
  for (const p of model.params) {
    assert.ok(p.grad.some((v) => Math.abs(v) > 1e-4), `${p.name} has an all-zero gradient`);
  }
}

/** Two T-step calls from a fresh state give the same losses as one 2T-step call. */
function checkStateCarries(make: () => LanguageModel, V: number, stateSize: number) {
  const N = 2, T = 3;
  const rng = new Rng(21);
  const xs = ids(2 * T * N, V, rng), ts = ids(2 * T * N, V, rng);
  const whole = make();
  const lossWhole = whole.forward(xs, ts, N, 2 * T, false);
  const split = make();
  assert.deepEqual(split.getState(), []);
  const a = split.forward(xs.subarray(0, T * N), ts.subarray(0, T * N), N, T, false);
  const b = split.forward(xs.subarray(T * N), ts.subarray(T * N), N, T, false);
  assertClose((a + b) / 2, lossWhole, { rtol: 1e-6 });
  const saved = split.getState();
  assert.equal(saved.length, stateSize);
  whole.setState(saved);
  assertClose(
    whole.forward(xs.subarray(0, T * N), ts.subarray(0, T * N), N, T, false),
    split.forward(xs.subarray(0, T * N), ts.subarray(0, T * N), N, T, false),
    { rtol: 0, atol: 0 },
  );
  split.resetState();
  assert.deepEqual(split.getState(), []);
  assert.equal(split.forward(xs.subarray(0, T * N), ts.subarray(0, T * N), N, T, false), a);
}

Deno.test("Rnnlm: parameters, initialisation draws in layer order, initial loss ~ log V", () => {
  const V = 30, D = 6, H = 7;
  const model = new Rnnlm({ vocabSize: V, wordvecSize: D, hiddenSize: H }, new Rng(1));
  assert.deepEqual(shapes(model), [
    "embed.W 30x6",
    "lstm.Wx 6x28",
    "lstm.Wh 7x28",
    "lstm.b 28",
    "affine.W 7x30",
    "affine.b 30",
  ]);
  const rng = new Rng(1);
  const expect = (n: number, scale: number) => rng.fillGaussian(new Float32Array(n), scale);
  assert.deepEqual(model.params[0].value, expect(V * D, 1 / 100));
  assert.deepEqual(model.params[1].value, expect(D * 4 * H, 1 / Math.sqrt(D)));
  assert.deepEqual(model.params[2].value, expect(H * 4 * H, 1 / Math.sqrt(H)));
  assert.deepEqual(model.params[4].value, expect(H * V, 1 / Math.sqrt(H)));
  assert.ok(model.params[3].value.every((v) => v === 0) && model.params[5].value.every((v) => !v));
  const r = new Rng(2);
  const xs = ids(15, V, r), ts = ids(15, V, r);
  const loss = model.forward(xs, ts, 3, 5, false);
  assert.ok(Math.abs(loss - Math.log(V)) < 0.05, `initial loss ${loss}`);
  // predict gives the same scores as an evaluation forward from the same (fresh) state.
  model.resetState();
  const scores = model.predict(xs, 3, 5).slice();
  assert.equal(scores.length, 15 * V);
  const ref = softmaxCrossEntropyReference(scores, ts, 15, V, -1);
  assertClose(ref.loss, loss, { rtol: 1e-6 });
});

/**
 * From a carried state, `predict`'s scores are the ones the evaluation forward scores: their
 * reference softmax cross-entropy is the loss `forward(..., false)` returns, and both leave the
 * same state behind.
 */
function checkPredictMatchesForward(model: LanguageModel, V: number, seed: number) {
  const N = 3, T = 4, rows = N * T;
  const rng = new Rng(seed);
  // Weights well above the initialisation, so the scores (and the loss) depend on the state.
  for (const p of model.params) rng.fillGaussian(p.value, 0.5);
  const xs = ids(rows, V, rng), ts = ids(rows, V, rng);
  ts[4] = -1; // an ignored row, as in no-wrap batches
  model.resetState();
  model.forward(ids(rows, V, rng), ids(rows, V, rng), N, T, false); // creates a carried state
  const state = model.getState();
  model.setState(state);
  const scores = model.predict(xs, N, T).slice(); // a view into a buffer forward reuses
  assert.equal(scores.length, rows * V);
  const afterPredict = model.getState();
  model.setState(state);
  const loss = model.forward(xs, ts, N, T, false);
  assertClose(softmaxCrossEntropyReference(scores, ts, rows, V, -1).loss, loss, { rtol: 1e-6 });
  assert.ok(afterPredict.length > 0);
  assert.deepEqual(model.getState(), afterPredict);
  // The state matters: from a fresh state the loss is clearly different.
  model.resetState();
  const fresh = model.forward(xs, ts, N, T, false);
  assert.ok(Math.abs(fresh - loss) > 1e-3 * loss, `fresh ${fresh} vs carried ${loss}`);
}

Deno.test("predict's scores give the evaluation loss from a carried state, every model", () => {
  const config = { vocabSize: 11, wordvecSize: 5, hiddenSize: 5 };
  checkPredictMatchesForward(new Rnnlm(config, new Rng(1)), 11, 2);
  checkPredictMatchesForward(new GruRnnlm(config, new Rng(3)), 11, 4);
  checkPredictMatchesForward(new BetterRnnlm(config, new Rng(5)), 11, 6);
  checkPredictMatchesForward(new SimpleRnnlm(11, 5, 5, new Rng(7)), 11, 8);
});

Deno.test("Rnnlm: analytic gradients match numerical ones", () => {
  const model = new Rnnlm({ vocabSize: 11, wordvecSize: 5, hiddenSize: 4 }, new Rng(3));
  checkModelGradients(model, 11, 3, 4, 4);
});

Deno.test("Rnnlm and GruRnnlm: state carries across calls; get/set/resetState", () => {
  const config = { vocabSize: 13, wordvecSize: 4, hiddenSize: 5 };
  checkStateCarries(() => new Rnnlm(config, new Rng(6)), 13, 2);
  checkStateCarries(() => new GruRnnlm(config, new Rng(6)), 13, 1);
  checkStateCarries(() => new BetterRnnlm({ ...config, wordvecSize: 5 }, new Rng(6)), 13, 4);
});

Deno.test("GruRnnlm: parameters, initial loss and gradients", () => {
  const V = 12, D = 5, H = 4;
  const model = new GruRnnlm({ vocabSize: V, wordvecSize: D, hiddenSize: H }, new Rng(7));
  assert.deepEqual(shapes(model), [
    "embed.W 12x5",
    "gru.Wx 5x12",
    "gru.Wh 4x12",
    "gru.b 12",
    "affine.W 4x12",
    "affine.b 12",
  ]);
  const rng = new Rng(7);
  assert.deepEqual(model.params[0].value, rng.fillGaussian(new Float32Array(V * D), 1 / 100));
  const r = new Rng(8);
  const loss = model.forward(ids(12, V, r), ids(12, V, r), 3, 4, false);
  assert.ok(Math.abs(loss - Math.log(V)) < 0.05, `initial loss ${loss}`);
  checkModelGradients(model, V, 3, 4, 9);
});

Deno.test("BetterRnnlm: tied parameters, draw order and the D == H requirement", () => {
  const V = 20, H = 6;
  const model = new BetterRnnlm({ vocabSize: V, wordvecSize: H, hiddenSize: H }, new Rng(10));
  assert.deepEqual(shapes(model), [
    "embed.W 20x6",
    "lstm0.Wx 6x24",
    "lstm0.Wh 6x24",
    "lstm0.b 24",
    "lstm1.Wx 6x24",
    "lstm1.Wh 6x24",
    "lstm1.b 24",
    "affine.b 20",
  ]);
  assert.equal(model.affine.W, model.embed.W); // one shared Param
  assert.equal(new Set(model.params).size, model.params.length);
  assert.equal(model.dropouts[0].ratio, 0.5);
  const rng = new Rng(10);
  const expect = (n: number, scale: number) => rng.fillGaussian(new Float32Array(n), scale);
  assert.deepEqual(model.params[0].value, expect(V * H, 1 / 100));
  for (const k of [1, 2, 4, 5]) {
    assert.deepEqual(model.params[k].value, expect(H * 4 * H, 1 / Math.sqrt(H)));
  }
  assert.throws(
    () => new BetterRnnlm({ vocabSize: V, wordvecSize: 5, hiddenSize: 6 }, new Rng(1)),
    (e: unknown) => e instanceof UserError && /must equal hiddenSize/.test(e.message),
  );
});

Deno.test("BetterRnnlm: gradients with dropout disabled and with frozen masks", () => {
  const config = { vocabSize: 11, wordvecSize: 4, hiddenSize: 4 };
  checkModelGradients(new BetterRnnlm({ ...config, dropout: 0 }, new Rng(11)), 11, 3, 4, 12);

  const model = new BetterRnnlm({ ...config, dropout: 0.4 }, new Rng(13));
  const N = 3, T = 4;
  const r = new Rng(14);
  model.forward(ids(T * N, 11, r), ids(T * N, 11, r), N, T, true); // draws the masks
  for (const d of model.dropouts) {
    assert.ok(d.mask.some((m) => m === 0) && d.mask.some((m) => m !== 0));
    d.frozen = true;
  }
  checkModelGradients(model, 11, N, T, 15);
});

Deno.test("BetterRnnlm: the tied gradient is the sum of the embedding's and the output layer's", () => {
  const V = 9, H = 5, N = 2, T = 3;
  const model = new BetterRnnlm({ vocabSize: V, wordvecSize: H, hiddenSize: H }, new Rng(16));
  const rng = new Rng(17);
  for (const p of model.params) rng.fillGaussian(p.value, 0.5);
  const xs = ids(T * N, V, rng), ts = ids(T * N, V, rng);
  const loss = model.forward(xs, ts, N, T, true);
  model.backward();
  const masks = model.dropouts.map((d) => d.mask.slice());

  // The same network built by hand with two separate copies of the shared matrix.
  const W = model.embed.W;
  const WE = new Param("WE", W.shape, W.value.slice());
  const WA = new Param("WA", W.shape, W.value.slice());
  const b = new Param("b", [V], model.params[7].value.slice());
  const embed = new TimeEmbedding("e", WE);
  const lstms = [0, 1].map((k) => {
    const l = new TimeLSTM(`l${k}`, H, H, new Rng(0));
    l.params.forEach((p, i) => p.value.set(model.lstms[k].params[i].value));
    return l;
  });
  const drops = masks.map((m) => {
    const d = new TimeDropout(0.5, new Rng(0));
    d.setMask(m);
    return d;
  });
  const affine = new TimeAffine("a", WA, b, { transposed: true });
  const softmax = new TimeSoftmaxWithLoss();
  let h = drops[0].forward(embed.forward(xs, T * N), true);
  h = drops[1].forward(lstms[0].forward(h, N, T), true);
  h = drops[2].forward(lstms[1].forward(h, N, T), true);
  const lossByHand = softmax.forward(affine.forward(h, T * N), ts, T * N, V, true);
  assertClose(lossByHand, loss, { rtol: 1e-6 });
  let d = affine.backward(softmax.backward());
  d = lstms[0].backward(drops[1].backward(lstms[1].backward(drops[2].backward(d))));
  embed.backward(drops[0].backward(d));

  const sum = WE.grad.map((g, k) => g + WA.grad[k]);
  assertClose(W.grad, sum, { rtol: 1e-5, atol: 1e-7 });
  // Both parts are substantial, so neither alone would pass.
  const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  assert.ok(norm(WE.grad) > 0.05 * norm(sum) && norm(WA.grad) > 0.05 * norm(sum));
  // Clipping sees the shared parameter once.
  const expected = Math.sqrt(model.params.reduce((s, p) => s + norm(p.grad) ** 2, 0));
  assertClose(clipGrads([...model.params, W], 1e9), expected, { rtol: 1e-5 });
});

Deno.test("BetterRnnlm: evaluation is deterministic and dropout-free; training draws masks", () => {
  const V = 15, H = 6, N = 2, T = 4;
  const model = new BetterRnnlm({ vocabSize: V, wordvecSize: H, hiddenSize: H }, new Rng(18));
  const r = new Rng(19);
  const xs = ids(T * N, V, r), ts = ids(T * N, V, r);
  const e1 = model.forward(xs, ts, N, T, false);
  model.resetState();
  const e2 = model.forward(xs, ts, N, T, false);
  assert.equal(e1, e2);
  model.resetState();
  const t1 = model.forward(xs, ts, N, T, true);
  model.resetState();
  const t2 = model.forward(xs, ts, N, T, true);
  assert.notEqual(t1, t2); // fresh masks each training call
  assert.notEqual(t1, e1);
  // predict equals the evaluation scores.
  model.resetState();
  const scores = model.predict(xs, N, T).slice();
  model.resetState();
  const disabled = new BetterRnnlm(
    { vocabSize: V, wordvecSize: H, hiddenSize: H, dropout: 0 },
    new Rng(18),
  );
  assert.deepEqual(disabled.predict(xs, N, T), scores);
  // The same seed gives the same training run.
  const twin = new BetterRnnlm({ vocabSize: V, wordvecSize: H, hiddenSize: H }, new Rng(18));
  twin.forward(xs, ts, N, T, false);
  twin.resetState();
  assert.equal(twin.forward(xs, ts, N, T, true), t1);
});

Deno.test("models/mod.ts re-exports every model", () => {
  const models: LanguageModel[] = [
    new SimpleRnnlm(10, 4, 4, new Rng(0)),
    new Rnnlm({ vocabSize: 10, wordvecSize: 4, hiddenSize: 4 }, new Rng(0)),
    new GruRnnlm({ vocabSize: 10, wordvecSize: 4, hiddenSize: 4 }, new Rng(0)),
    new BetterRnnlm({ vocabSize: 10, wordvecSize: 4, hiddenSize: 4 }, new Rng(0)),
  ];
  assert.deepEqual(models.map((m) => m.params.length), [6, 6, 6, 8]);
});
