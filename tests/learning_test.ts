/**
 * Learning on a source whose answer is known: a seeded first-order Markov chain. The true
 * per-token perplexity of the source on a sequence is computed exactly from its transition
 * probabilities; SimpleRnnlm trained by the truncated-BPTT trainer must get within 10 % of it on
 * held-out text from the same source.
 */
import assert from "node:assert/strict";
import { basicPlan, evalPerplexity, Rng, SimpleRnnlm, Trainer } from "@rnnlab/rnnlab";

/** A V-state chain where each state moves to 3 successors with probabilities 0.6, 0.3, 0.1. */
function markovSource(V: number, rng: Rng): Float64Array {
  const P = new Float64Array(V * V);
  for (let i = 0; i < V; i++) {
    const used = new Set<number>();
    for (const p of [0.6, 0.3, 0.1]) {
      let j = rng.int(V);
      while (used.has(j)) j = rng.int(V);
      used.add(j);
      P[i * V + j] = p;
    }
  }
  return P;
}

function sample(P: Float64Array, V: number, length: number, rng: Rng): Int32Array {
  const out = new Int32Array(length);
  out[0] = rng.int(V);
  for (let t = 1; t < length; t++) {
    const u = rng.uniform();
    let acc = 0;
    let j = 0;
    for (; j < V - 1; j++) {
      acc += P[out[t - 1] * V + j];
      if (u < acc) break;
    }
    out[t] = j;
  }
  return out;
}

/** exp of the mean negative log-probability the true source gives to the scored targets. */
function truePerplexity(P: Float64Array, V: number, seq: Int32Array, scored: number): number {
  // evalPerplexity scores windows of 10 x 35 from 10 streams `jump` apart; score the same targets.
  const N = 10, T = 35;
  const windows = Math.floor((seq.length - 1) / (N * T));
  const jump = Math.floor((seq.length - 1) / N);
  let nll = 0;
  let count = 0;
  for (let k = 0; k < windows; k++) {
    for (let i = 0; i < N; i++) {
      for (let t = 0; t < T; t++) {
        const p = k * T + i * jump + t;
        nll -= Math.log(P[seq[p] * V + seq[p + 1]]);
        count++;
      }
    }
  }
  assert.equal(count, scored);
  return Math.exp(nll / count);
}

Deno.test("SimpleRnnlm learns a Markov source to within 10 % of its true perplexity", () => {
  const V = 12;
  const rng = new Rng(2024);
  const P = markovSource(V, rng);
  const train = sample(P, V, 30000, rng);
  const heldOut = sample(P, V, 7001, rng);
  const truth = truePerplexity(P, V, heldOut, 7000);
  // Entropy of (0.6, 0.3, 0.1) is 0.898 nats: the source's perplexity is about 2.46.
  assert.ok(truth > 2.2 && truth < 2.7, `true perplexity ${truth}`);

  const model = new SimpleRnnlm(V, 16, 32, new Rng(7));
  const plan = basicPlan({ batchSize: 10, timeSize: 5, lr: 0.5, maxEpoch: 3 });
  const trainer = new Trainer(model, plan, train.subarray(0, -1), train.subarray(1));
  const before = evalPerplexity(model, heldOut);
  for (let e = 0; e < 3; e++) trainer.runEpoch({});
  model.resetState();
  const after = evalPerplexity(model, heldOut);
  assert.ok(before > V * 0.8, `an untrained model is near uniform (${before})`);
  assert.ok(
    after < truth * 1.1,
    `learned ${after.toFixed(3)} vs true ${truth.toFixed(3)}: not within 10 %`,
  );
  // It cannot beat the source on held-out text by more than sampling noise.
  assert.ok(
    after > truth * 0.97,
    `learned ${after.toFixed(3)} beats the source ${truth.toFixed(3)}`,
  );
});
