/**
 * The sgemm shapes of one training iteration of each configuration (R = N * T rows), next to a
 * 1024^3 product for the peak. Run with `deno task bench`.
 *
 * @module
 */

import { sgemm } from "../kernels/blas.ts";

type Shape = [label: string, tA: boolean, tB: boolean, m: number, n: number, k: number];

function shapes(
  name: string,
  R: number,
  N: number,
  D: number,
  H: number,
  V: number,
  gates: number,
  tied: boolean,
): Shape[] {
  const G = gates * H;
  return [
    [`${name} affine fwd`, false, tied, R, V, H],
    [`${name} affine dx`, false, !tied, R, H, V],
    [`${name} affine dW`, true, false, tied ? V : H, tied ? H : V, R],
    [`${name} x@Wx`, false, false, R, G, D],
    [`${name} h@Wh (per step)`, false, false, N, G, H],
    [`${name} dh (per step)`, false, false, N, H, G],
    [`${name} dWx`, true, false, D, G, R],
    [`${name} dWh`, true, false, H, G, R],
    [`${name} dx`, false, true, R, D, G],
  ];
}

const all: Shape[] = [
  ["peak 1024^3", false, false, 1024, 1024, 1024],
  ...shapes("ch05", 50, 10, 100, 100, 418, 1, false),
  ...shapes("ch06 Rnnlm", 700, 20, 100, 100, 10000, 4, false),
  ...shapes("ch06 BetterRnnlm", 700, 20, 650, 650, 10000, 4, true),
];

for (const [label, tA, tB, m, n, k] of all) {
  const a = new Float32Array(m * k).fill(0.01);
  const b = new Float32Array(k * n).fill(0.01);
  const c = new Float32Array(m * n);
  const lda = tA ? m : k, ldb = tB ? k : n;
  const group = label.split(" ")[0];
  Deno.bench(`${label}: ${m}x${n}x${k}${tA ? " A^T" : ""}${tB ? " B^T" : ""}`, { group }, () => {
    sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n);
  });
}
