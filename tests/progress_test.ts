import assert from "node:assert/strict";
import { formatDuration, Progress } from "../run/progress.ts";

Deno.test("off a terminal: one plain line per report", () => {
  const lines: string[] = [];
  const p = new Progress({
    print: (l) => lines.push(l),
    write: () => assert.fail("no live line off a terminal"),
    live: false,
    itersPerEpoch: 1327,
    maxEpoch: 4,
    tokensPerIter: 700,
  });
  p.iteration(1, 1, 0.05);
  p.interval(
    { epoch: 1, iter: 21, itersPerEpoch: 1327, totalIters: 21, ppl: 2902.49, lr: 20 },
    1.04,
  );
  p.epoch({
    kind: "epoch",
    epoch: 1,
    iter: 1327,
    total_iters: 1327,
    ppl: 404.123,
    lr: 20,
    elapsed_s: 60.5,
    valid_ppl: 250.5,
  });
  p.done();
  assert.deepEqual(lines, [
    "epoch 1/4 iter 21/1327 ppl 2902.49 lr 20 1.0s",
    "epoch 1/4 ppl 404.12 valid 250.50 lr 20 60.50s",
  ]);
});

Deno.test("on a terminal: one live line with iteration, perplexity, tokens/s and ETA, redrawn in place", () => {
  const lines: string[] = [];
  let screen = "";
  const p = new Progress({
    print: (l) => lines.push(l),
    write: (t) => (screen += t),
    live: true,
    itersPerEpoch: 100,
    maxEpoch: 2,
    tokensPerIter: 700,
  });
  p.interval({ epoch: 1, iter: 41, itersPerEpoch: 100, totalIters: 41, ppl: 812.5, lr: 20 }, 2);
  p.iteration(1, 50, 5); // 50 iterations in 5 s: 7000 tokens/s, 150 left -> 15 s
  assert.equal(lines.length, 0);
  assert.equal(screen, "\r\x1b[2Kepoch 1/2 iter 50/100 ppl 812.50 7000 tok/s ETA 15s");
  p.epoch({
    kind: "epoch",
    epoch: 1,
    iter: 100,
    total_iters: 100,
    ppl: 700,
    lr: 20,
    elapsed_s: 10,
  });
  assert.ok(screen.endsWith("\r\x1b[2K")); // the live line is cleared before the epoch line
  assert.equal(lines.length, 1);
});

Deno.test("durations read as a person would say them", () => {
  assert.equal(formatDuration(4.2), "4s");
  assert.equal(formatDuration(75), "1m15s");
  assert.equal(formatDuration(3725), "1h02m");
});
