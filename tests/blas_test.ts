import assert from "node:assert/strict";
import { Rng } from "../core/random.ts";
import {
  blasInfo,
  saxpy,
  sdot,
  setBlasThreads,
  sgemm,
  sgemv,
  sger,
  snrm2,
  sscal,
} from "../kernels/blas.ts";
import { assertClose } from "../testing/assert_close.ts";

const rng = new Rng(99);
const randn = (n: number) => rng.fillGaussian(new Float32Array(n));

/** Naive row-major `C = alpha * op(A) @ op(B) + beta * C` in float64. */
function naiveGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
): Float64Array {
  const out = new Float64Array(c.length);
  out.set(c);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * lda + i] : a[i * lda + p];
        const bv = transB ? b[j * ldb + p] : b[p * ldb + j];
        s += av * bv;
      }
      out[i * ldc + j] = alpha * s + beta * c[i * ldc + j];
    }
  }
  return out;
}

Deno.test("sgemm matches a naive triple loop: all transposes, alpha/beta, padded strides", () => {
  for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [17, 9, 33], [64, 40, 50]]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const [alpha, beta, pad] of [[1, 0, 0], [0.5, 1, 3], [-2, 0.25, 1]]) {
          const aRows = transA ? k : m, aCols = transA ? m : k;
          const bRows = transB ? n : k, bCols = transB ? k : n;
          const lda = aCols + pad, ldb = bCols + 2 * pad, ldc = n + pad;
          const a = randn(aRows * lda), b = randn(bRows * ldb), c = randn(m * ldc);
          const expected = naiveGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
          sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
          assertClose(c, expected, {
            rtol: 1e-4,
            atol: 1e-4,
            message:
              `m${m} n${n} k${k} tA${transA} tB${transB} alpha${alpha} beta${beta} pad${pad}`,
          });
        }
      }
    }
  }
});

Deno.test("sgemm on subarray views at nonzero offsets leaves C's surroundings alone", () => {
  const m = 6, n = 5, k = 4, lda = 7, ldb = 9, ldc = 8;
  const aBuf = randn(100), bBuf = randn(100), cBuf = randn(120);
  const a = aBuf.subarray(13, 13 + m * lda);
  const b = bBuf.subarray(21, 21 + k * ldb);
  const cOff = 37;
  const c = cBuf.subarray(cOff, cOff + m * ldc);
  const before = cBuf.slice();
  const expected = naiveGemm(false, false, m, n, k, 1.5, a, lda, b, ldb, 0.5, c, ldc);
  sgemm(false, false, m, n, k, 1.5, a, lda, b, ldb, 0.5, c, ldc);
  assertClose(c, expected, { rtol: 1e-4, atol: 1e-5 });
  for (let i = 0; i < cBuf.length; i++) {
    const inside = i >= cOff && i < cOff + m * ldc && (i - cOff) % ldc < n;
    if (!inside) assert.equal(cBuf[i], before[i], `element ${i} outside C changed`);
  }
  // Transposed A and B through views too.
  const at = aBuf.subarray(3, 3 + k * 6), bt = bBuf.subarray(5, 5 + n * 4);
  const c2 = cBuf.subarray(1, 1 + 6 * 5);
  const expected2 = naiveGemm(true, true, 6, 5, 4, 1, at, 6, bt, 4, 0, c2, 5);
  sgemm(true, true, 6, 5, 4, 1, at, 6, bt, 4, 0, c2, 5);
  assertClose(c2, expected2, { rtol: 1e-4, atol: 1e-5 });
});

Deno.test("sgemv, sger, saxpy, sscal, sdot, snrm2 match naive loops", () => {
  const m = 7, n = 11, lda = 13;
  const a = randn(m * lda);
  for (const trans of [false, true]) {
    const xLen = trans ? m : n, yLen = trans ? n : m;
    const x = randn(xLen), y = randn(yLen);
    const expected = new Float64Array(yLen);
    for (let i = 0; i < yLen; i++) {
      let s = 0;
      for (let j = 0; j < xLen; j++) s += (trans ? a[j * lda + i] : a[i * lda + j]) * x[j];
      expected[i] = 0.5 * s + 2 * y[i];
    }
    sgemv(trans, m, n, 0.5, a, lda, x, 1, 2, y, 1);
    assertClose(y, expected, { rtol: 1e-5, atol: 1e-5, message: `sgemv trans=${trans}` });
  }
  // sger: A += alpha * x y^T on a padded matrix; the padding is untouched.
  const x = randn(m), y = randn(n), before = a.slice();
  sger(m, n, -1.5, x, 1, y, 1, a, lda);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < lda; j++) {
      const want = j < n ? before[i * lda + j] - 1.5 * x[i] * y[j] : before[i * lda + j];
      assertClose(a[i * lda + j], want, { rtol: 1e-5, atol: 1e-6 });
    }
  }
  // saxpy with strides, and on a view.
  const u = randn(20), v = randn(20), vBefore = v.slice();
  saxpy(5, 3, u.subarray(2), 2, v.subarray(1), 3);
  for (let i = 0; i < 20; i++) {
    const hit = i >= 1 && (i - 1) % 3 === 0 && (i - 1) / 3 < 5;
    const want = hit ? vBefore[i] + 3 * u[2 + 2 * ((i - 1) / 3)] : vBefore[i];
    assertClose(v[i], want, { rtol: 1e-6, atol: 1e-6 });
  }
  const s = randn(6), sBefore = s.slice();
  sscal(6, -0.5, s, 1);
  assertClose(s, Array.from(sBefore, (q) => -0.5 * q), { rtol: 0, atol: 0 });
  const p = randn(50), q = randn(50);
  const dot = p.reduce((acc, val, i) => acc + val * q[i], 0);
  assertClose(sdot(50, p, 1, q, 1), dot, { rtol: 1e-5, atol: 1e-5 });
  assertClose(snrm2(50, p, 1), Math.sqrt(p.reduce((acc, val) => acc + val * val, 0)), {
    rtol: 1e-6,
  });
  assertClose(snrm2(3, p.subarray(10), 4), Math.hypot(p[10], p[14], p[18]), { rtol: 1e-6 });
});

Deno.test("blasInfo describes the library; setBlasThreads round-trips", () => {
  const info = blasInfo();
  assert.ok(info.path.length > 0, "path");
  assert.ok(info.config.length > 0, "config");
  assert.ok(info.core.length > 0, "core");
  assert.ok(info.coreSource.length > 0, "coreSource");
  assert.ok(Number.isInteger(info.threads) && info.threads >= 1, `threads ${info.threads}`);
  const original = info.threads;
  try {
    setBlasThreads(1);
    assert.equal(blasInfo().threads, 1);
    setBlasThreads(2);
    assert.equal(blasInfo().threads, 2);
  } finally {
    setBlasThreads(original);
  }
  assert.equal(blasInfo().threads, original);
});
