/**
 * The trainer's interval reports: each is the perplexity of the batches since the previous report,
 * carried across epochs as the book's single `fit` call does, or started afresh every epoch when the
 * plan restarts each epoch (the book's BetterRnnlm loop calls `fit` once per epoch).
 */
import assert from "node:assert/strict";
import { basicPlan, Rng, SimpleRnnlm, Trainer } from "@rnnlab/rnnlab";

function intervals(restartEachEpoch: boolean) {
  const V = 10;
  const rng = new Rng(3);
  const corpus = new Int32Array(401).map(() => rng.int(V));
  const model = new SimpleRnnlm(V, 4, 6, new Rng(1));
  // 400 tokens / (4 × 5) = 20 iterations per epoch; reports at iterations 1, 8, 15 of each epoch.
  const plan = basicPlan({
    batchSize: 4,
    timeSize: 5,
    lr: 0.1,
    maxEpoch: 2,
    evalInterval: 7,
    restartEachEpoch,
  });
  const trainer = new Trainer(model, plan, corpus.subarray(0, -1), corpus.subarray(1));
  const losses: number[] = [];
  const reports: { epoch: number; iter: number; ppl: number }[] = [];
  for (let e = 0; e < 2; e++) {
    trainer.runEpoch({
      onIteration: (_iter, loss) => losses.push(loss),
      onInterval: (r) => reports.push({ epoch: r.epoch, iter: r.iter, ppl: r.ppl }),
    });
  }
  return { losses, reports, itersPerEpoch: trainer.itersPerEpoch };
}

function meanPpl(losses: number[]): number {
  return Math.exp(losses.reduce((a, b) => a + b, 0) / losses.length);
}

Deno.test("interval reports carry the last batches of an epoch into the next one's first report", () => {
  const { losses, reports, itersPerEpoch } = intervals(false);
  assert.equal(itersPerEpoch, 20);
  assert.deepEqual(reports.map((r) => [r.epoch, r.iter]), [
    [1, 1],
    [1, 8],
    [1, 15],
    [2, 1],
    [2, 8],
    [2, 15],
  ]);
  // Epoch 2's first report covers epoch 1's iterations 16-20 and epoch 2's iteration 1.
  assert.ok(Math.abs(reports[3].ppl - meanPpl(losses.slice(15, 21))) < 1e-9);
  assert.ok(Math.abs(reports[1].ppl - meanPpl(losses.slice(1, 8))) < 1e-9);
});

Deno.test("with restartEachEpoch every epoch's first report covers that epoch's first batch only", () => {
  const { losses, reports } = intervals(true);
  assert.equal(reports.length, 6);
  assert.ok(Math.abs(reports[3].ppl - Math.exp(losses[20])) < 1e-9);
  assert.ok(Math.abs(reports[4].ppl - meanPpl(losses.slice(21, 28))) < 1e-9);
});
