/**
 * Softmax cross-entropy over 700 rows x 10,000 words (one ch06 training batch): the fused fast
 * path against the `Math.exp` reference. Run with `deno task bench`.
 *
 * @module
 */

import { Rng } from "../core/random.ts";
import { softmaxCrossEntropy } from "../kernels/softmax.ts";
import { softmaxCrossEntropyReference } from "../testing/softmax_reference.ts";

const ROWS = 700;
const V = 10000;
const rng = new Rng(1);
const source = rng.fillGaussian(new Float32Array(ROWS * V), 3);
const ts = new Int32Array(ROWS);
for (let r = 0; r < ROWS; r++) ts[r] = rng.int(V);
const scores = new Float32Array(ROWS * V);

Deno.bench("softmax loss fused, train (700 x 10000)", { group: "softmax", baseline: true }, (b) => {
  scores.set(source);
  b.start();
  softmaxCrossEntropy(scores, ts, ROWS, V, -1, true);
  b.end();
});

Deno.bench("softmax loss fused, eval (700 x 10000)", { group: "softmax" }, () => {
  softmaxCrossEntropy(source, ts, ROWS, V, -1, false);
});

Deno.bench("softmax loss reference, Math.exp (700 x 10000)", { group: "softmax" }, () => {
  softmaxCrossEntropyReference(source, ts, ROWS, V, -1);
});
