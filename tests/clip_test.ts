import assert from "node:assert/strict";
import { Param } from "../core/param.ts";
import { Rng } from "../core/random.ts";
import { clipGrads, gradNorm } from "../optim/clip.ts";

function makeParams(seed: number, scale: number): Param[] {
  const rng = new Rng(seed);
  const ps = [new Param("a", [7, 5]), new Param("b", [13]), new Param("c", [3, 3])];
  for (const p of ps) rng.fillGaussian(p.grad, scale);
  return ps;
}

function norm64(ps: Param[]): number {
  let s = 0;
  for (const p of ps) for (const g of p.grad) s += g * g;
  return Math.sqrt(s);
}

Deno.test("clipGrads returns the norm before clipping and scales it down to maxNorm", () => {
  const ps = makeParams(1, 3);
  const before = ps.map((p) => Float64Array.from(p.grad));
  const expected = norm64(ps);
  const norm = clipGrads(ps, 0.25);
  assert.ok(Math.abs(norm - expected) < 1e-5 * expected, `${norm} vs ${expected}`);
  assert.ok(norm > 1);
  const after = norm64(ps);
  assert.ok(after <= 0.25 + 1e-5, `norm after ${after}`);
  assert.ok(Math.abs(after - 0.25) < 1e-5);
  // Direction unchanged: cosine between old and new gradient vectors is 1.
  let dot = 0, n0 = 0, n1 = 0;
  ps.forEach((p, i) => {
    for (let k = 0; k < p.size; k++) {
      dot += before[i][k] * p.grad[k];
      n0 += before[i][k] ** 2;
      n1 += p.grad[k] ** 2;
    }
  });
  const cosine = dot / Math.sqrt(n0 * n1);
  assert.ok(Math.abs(cosine - 1) < 1e-6, `cosine ${cosine}`);
  // Every element scaled by the same rate = maxNorm / (norm + 1e-6).
  const rate = 0.25 / (expected + 1e-6);
  assert.ok(Math.abs(ps[1].grad[4] - before[1][4] * rate) < 1e-6);
});

Deno.test("clipGrads is a no-op under the limit", () => {
  const ps = makeParams(2, 0.01);
  const before = ps.map((p) => p.grad.slice());
  const norm = clipGrads(ps, 5);
  assert.ok(Math.abs(norm - norm64(ps)) < 1e-6);
  ps.forEach((p, i) => assert.deepEqual(p.grad, before[i]));
});

Deno.test("a tied parameter is counted and scaled once", () => {
  const tied = new Param("tied", [2]);
  tied.grad.set([3, 4]);
  const other = new Param("other", [1]);
  other.grad.set([12]);
  assert.equal(gradNorm([tied, other, tied]), 13); // sqrt(9 + 16 + 144), not sqrt(9+16+9+16+144)
  const norm = clipGrads([tied, other, tied], 1.3);
  assert.equal(norm, 13);
  const rate = 1.3 / (13 + 1e-6);
  assert.ok(Math.abs(tied.grad[0] - 3 * rate) < 1e-6, `tied scaled twice? ${tied.grad[0]}`);
  assert.ok(Math.abs(other.grad[0] - 12 * rate) < 1e-6);
  assert.ok(Math.abs(gradNorm([tied, other]) - 1.3) < 1e-5);
});
