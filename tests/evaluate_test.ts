import assert from "node:assert/strict";
import { evalLayout, evalPerplexity } from "../training/evaluate.ts";
import type { LanguageModel } from "../models/model.ts";

/** A model that records what it is fed and returns a chosen loss per window. */
function recordingModel(lossOf: (k: number) => number) {
  const fed: { xs: number[]; ts: number[]; train: boolean }[] = [];
  const model: LanguageModel = {
    params: [],
    forward(xs, ts, _n, _t, train) {
      fed.push({ xs: Array.from(xs), ts: Array.from(ts), train });
      return lossOf(fed.length - 1);
    },
    backward() {},
    resetState() {},
    getState: () => [],
    setState() {},
    predict: () => new Float32Array(0),
  };
  return { model, fed };
}

Deno.test("evaluation windows: floor((L-1)/(N*T)) windows, streams i*jump apart, tail dropped", () => {
  // L = 25 tokens, N = 2, T = 3: windows = floor(24 / 6) = 4, jump = 12, scored = 24
  const corpus = Int32Array.from({ length: 25 }, (_, i) => 100 + i);
  assert.deepEqual(evalLayout(25, 2, 3), { windows: 4, jump: 12, scored: 24 });
  const { model, fed } = recordingModel((k) => k);
  const ppl = evalPerplexity(model, corpus, { batchSize: 2, timeSize: 3 });
  assert.equal(fed.length, 4);
  // window 1: stream 0 starts at 3, stream 1 at 3 + 12 = 15; time-major rows
  assert.deepEqual(fed[1].xs, [103, 115, 104, 116, 105, 117]);
  assert.deepEqual(fed[1].ts, [104, 116, 105, 117, 106, 118]);
  assert.ok(fed.every((f) => f.train === false));
  // every target position 1..24 is scored exactly once
  const targets = fed.flatMap((f) => f.ts).sort((a, b) => a - b);
  assert.deepEqual(targets, Array.from({ length: 24 }, (_, i) => 101 + i));
  assert.ok(Math.abs(ppl - Math.exp((0 + 1 + 2 + 3) / 4)) < 1e-12);
});

Deno.test("PTB test set layout scores 82,250 of 82,429 targets", () => {
  assert.deepEqual(evalLayout(82430), { windows: 235, jump: 8242, scored: 82250 });
});

Deno.test("a corpus shorter than one window is an error", () => {
  const { model } = recordingModel(() => 0);
  assert.throws(
    () => evalPerplexity(model, new Int32Array(300)),
    /shorter than one evaluation window/,
  );
});
