import assert from "node:assert/strict";
import { Rng } from "../core/random.ts";
import { fillDropoutMask, TimeDropout } from "../layers/dropout.ts";

Deno.test("dropout keeps about 1-p of a big mask and scales kept values by 1/(1-p)", () => {
  for (const p of [0.5, 0.2]) {
    const drop = new TimeDropout(p, new Rng(11));
    const x = new Float32Array(200_000).fill(1.5);
    const y = drop.forward(x, true);
    let kept = 0;
    for (const v of y) {
      if (v !== 0) {
        kept++;
        assert.equal(v, Math.fround(1.5 * Math.fround(1 / (1 - p))));
      }
    }
    const rate = kept / x.length;
    // Binomial std for n = 2e5 is ~0.0011; allow 5 sigma.
    assert.ok(Math.abs(rate - (1 - p)) < 0.0056, `p=${p}: keep rate ${rate}`);
    // Inverted dropout preserves the mean.
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    assert.ok(Math.abs(mean - 1.5) < 0.02, `mean ${mean}`);
  }
});

Deno.test("dropout evaluation passes values through unchanged", () => {
  const drop = new TimeDropout(0.5, new Rng(1));
  const x = new Float32Array([1, -2, 3, 4]);
  const y = drop.forward(x, false);
  assert.deepEqual(Array.from(y), [1, -2, 3, 4]);
  const dout = new Float32Array([5, 6, 7, 8]);
  assert.deepEqual(Array.from(drop.backward(dout)), [5, 6, 7, 8]);
});

Deno.test("same seed gives the same mask, another seed a different one", () => {
  const a = fillDropoutMask(new Float32Array(1000), 0.5, new Rng(42));
  const b = fillDropoutMask(new Float32Array(1000), 0.5, new Rng(42));
  const c = fillDropoutMask(new Float32Array(1000), 0.5, new Rng(43));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const d1 = new TimeDropout(0.3, new Rng(9)), d2 = new TimeDropout(0.3, new Rng(9));
  const x = new Float32Array(500).fill(1);
  assert.deepEqual(d1.forward(x, true).slice(), d2.forward(x, true).slice());
  // A second call draws a fresh mask.
  const first = d1.mask.slice();
  d1.forward(x, true);
  assert.notDeepEqual(d1.mask, first);
});

Deno.test("backward applies the forward mask; a frozen mask is reused", () => {
  const drop = new TimeDropout(0.5, new Rng(5));
  const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
  drop.setMask(new Float32Array([2, 0, 2, 2, 0, 0, 2, 0]));
  const y = drop.forward(x, true);
  assert.deepEqual(Array.from(y), [2, 0, 6, 8, 0, 0, 14, 0]);
  const dx = drop.backward(new Float32Array(8).fill(0.5));
  assert.deepEqual(Array.from(dx), [1, 0, 1, 1, 0, 0, 1, 0]);
  // Numerical gradient of L = sum(w * dropout(x)) with the frozen mask equals backward(w).
  const w = new Float32Array([0.3, -1, 2, 0.5, 1, 1, -0.25, 4]);
  const analytic = drop.backward(w).slice();
  for (let k = 0; k < x.length; k++) {
    const loss = () => drop.forward(x, true).reduce((s, v, i) => s + v * w[i], 0);
    const o = x[k];
    x[k] = o + 0.5;
    const lp = loss();
    x[k] = o - 0.5;
    const lm = loss();
    x[k] = o;
    assert.ok(Math.abs((lp - lm) / 1 - analytic[k]) < 1e-5, `k=${k}`);
  }
  assert.throws(() => drop.forward(new Float32Array(3), true), /frozen mask/);
});

Deno.test("ratio 0 is the identity and bad ratios are rejected", () => {
  const drop = new TimeDropout(0, new Rng(1));
  const x = new Float32Array([1, 2]);
  assert.equal(drop.forward(x, true), x);
  assert.throws(() => new TimeDropout(1, new Rng(1)), /not in \[0, 1\)/);
  assert.throws(() => new TimeDropout(-0.1, new Rng(1)), /not in \[0, 1\)/);
});
