import assert from "node:assert/strict";
import { Rng } from "../core/random.ts";
import { expNonPositive } from "../kernels/fast_exp.ts";
import { countTargets, softmaxCrossEntropy, softmaxRows } from "../kernels/softmax.ts";
import { softmaxCrossEntropyReference } from "../testing/softmax_reference.ts";
import { assertClose } from "../testing/assert_close.ts";

Deno.test("expNonPositive matches Math.exp to float32 precision on [-103, 0]", () => {
  let worst = 0, worstX = 0;
  // A dense sweep (step not a multiple of the table spacing) plus the table's cell edges.
  for (let x = 0; x >= -103; x -= 0.000731) {
    const rel = Math.abs(expNonPositive(x) / Math.exp(x) - 1);
    if (rel > worst) [worst, worstX] = [rel, x];
  }
  for (let k = 0; k <= 2400; k++) {
    for (const u of [-0.5, -0.4999999, 0.4999999, 0.5]) {
      const x = (-k + u) / (16 * Math.LOG2E);
      if (x > 0 || x < -103) continue;
      const rel = Math.abs(expNonPositive(x) / Math.exp(x) - 1);
      if (rel > worst) [worst, worstX] = [rel, x];
    }
  }
  assert.ok(worst < 2e-9, `relative error ${worst} at ${worstX}`);
  assert.equal(expNonPositive(0), 1);
  assert.equal(expNonPositive(-0), 1);
  assert.equal(expNonPositive(-104), 0);
  assert.equal(expNonPositive(-1e30), 0);
  assert.equal(expNonPositive(-Infinity), 0);
  assert.ok(Number.isNaN(expNonPositive(NaN)));
  // Float32 inputs as the softmax sees them.
  assertClose(Math.fround(expNonPositive(Math.fround(-87.3))), Math.fround(Math.exp(-87.3)), {
    rtol: 2e-7,
  });
});

function batch(rows: number, V: number, seed: number, scale: number) {
  const rng = new Rng(seed);
  const scores = rng.fillGaussian(new Float32Array(rows * V), scale);
  const ts = new Int32Array(rows);
  for (let r = 0; r < rows; r++) ts[r] = rng.int(V);
  return { scores, ts };
}

Deno.test("fused softmax loss matches the Math.exp reference, V = 10000", () => {
  const rows = 40, V = 10000;
  const { scores, ts } = batch(rows, V, 5, 4);
  ts[3] = -1;
  ts[17] = -1;
  const ref = softmaxCrossEntropyReference(scores, ts, rows, V, -1);
  const evalScores = scores.slice();
  const evalLoss = softmaxCrossEntropy(evalScores, ts, rows, V, -1, false);
  assert.deepEqual(evalScores, scores, "eval mode leaves the scores untouched");
  assertClose(evalLoss, ref.loss, { rtol: 1e-5 });
  const grad = scores.slice();
  const loss = softmaxCrossEntropy(grad, ts, rows, V, -1, true);
  assertClose(loss, ref.loss, { rtol: 1e-5 });
  assertClose(grad, ref.grad, { rtol: 0, atol: 1e-6 });
  // Tighter: relative to each row's largest gradient the two agree to float32 rounding.
  assertClose(grad, ref.grad, { rtol: 1e-5, atol: 1e-11 });
  // Each counted row's gradient sums to 0; ignored rows are zero.
  for (let r = 0; r < rows; r++) {
    const row = grad.subarray(r * V, (r + 1) * V);
    const sum = row.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum) < 1e-7, `row ${r} sums to ${sum}`);
    if (ts[r] === -1) assert.ok(row.every((v) => v === 0));
  }
  // The loss is about log(V) + something for random scores, a sanity bound.
  assert.ok(loss > Math.log(V) && loss < Math.log(V) + 16, `loss ${loss}`);
});

Deno.test("fused softmax loss is stable for huge and equal scores", () => {
  const V = 4;
  const scores = new Float32Array([1e4, -1e4, 0, 1e4, 7, 7, 7, 7, -Infinity, 0, 0, 0]);
  const ts = new Int32Array([0, 2, 1]);
  const grad = scores.slice();
  const loss = softmaxCrossEntropy(grad, ts, 3, V, -1, true);
  // Row 0: two equal maxima -> p = 0.5 for the target; row 1: uniform; row 2: p = 1/3.
  const expected = (Math.log(2) + Math.log(4) + Math.log(3)) / 3;
  assertClose(loss, expected, { rtol: 1e-6 });
  assertClose(grad, [
    -0.5 / 3,
    0,
    0,
    0.5 / 3,
    0.25 / 3,
    0.25 / 3,
    -0.75 / 3,
    0.25 / 3,
    0,
    (1 / 3 - 1) / 3,
    1 / 9,
    1 / 9,
  ], { rtol: 1e-6, atol: 1e-7 });
});

Deno.test("fused softmax loss: rows whose running maximum changes often or never", () => {
  // Ascending (the maximum changes at every element), descending (never), and a saw-tooth; row
  // lengths that leave 0 to 3 scores after the last group of four.
  for (const V of [300, 301, 302, 303]) {
    const rows = 3;
    const scores = new Float32Array(rows * V);
    for (let j = 0; j < V; j++) {
      scores[j] = j * 0.05;
      scores[V + j] = -j * 0.05;
      scores[2 * V + j] = (j % 7) * 3 + j * 0.01;
    }
    const ts = new Int32Array([V - 1, 0, 123]);
    const ref = softmaxCrossEntropyReference(scores, ts, rows, V, -1);
    const grad = scores.slice();
    assertClose(softmaxCrossEntropy(grad, ts, rows, V, -1, true), ref.loss, { rtol: 1e-6 });
    assertClose(grad, ref.grad, { rtol: 1e-5, atol: 1e-10 });
    assertClose(softmaxCrossEntropy(scores.slice(), ts, rows, V, -1, false), ref.loss, {
      rtol: 1e-6,
    });
  }
});

Deno.test("countTargets counts non-ignored rows and rejects out-of-range targets", () => {
  assert.equal(countTargets(new Int32Array([0, -1, 4, -1]), 4, 5, -1), 2);
  assert.throws(() => countTargets(new Int32Array([5]), 1, 5, -1), RangeError);
  assert.throws(() => countTargets(new Int32Array([-2]), 1, 5, -1), RangeError);
  assert.equal(countTargets(new Int32Array([0, 7]), 2, 5, 7), 1, "custom ignore label");
});

Deno.test("softmaxRows gives probabilities", () => {
  const rows = 3, V = 1000;
  const { scores } = batch(rows, V, 9, 5);
  const p = softmaxRows(scores.slice(), rows, V);
  for (let r = 0; r < rows; r++) {
    const row = [...scores.subarray(r * V, (r + 1) * V)];
    const max = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
    const expected = row.map((v) => Math.exp(v - max) / z);
    assertClose(p.subarray(r * V, (r + 1) * V), expected, { rtol: 1e-6, atol: 1e-12 });
    assertClose(p.subarray(r * V, (r + 1) * V).reduce((s, v) => s + v, 0), 1, { rtol: 1e-5 });
  }
});
