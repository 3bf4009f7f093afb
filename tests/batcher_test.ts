import assert from "node:assert/strict";
import { Batcher, type BatchPlan } from "../training/batcher.ts";

const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** The batching part of a plan: `N` streams of `T` steps, the book's wrapping unless told. */
const plan = (batchSize: number, timeSize: number, o: Partial<BatchPlan> = {}): BatchPlan => ({
  batchSize,
  timeSize,
  wrap: true,
  restartEachEpoch: false,
  ...o,
});

Deno.test("book batching: offsets i*floor(L/N), global time index, wrap-around", () => {
  const corpus = range(23); // L = 22 inputs
  const xs = corpus.subarray(0, 22), ts = corpus.subarray(1);
  const b = new Batcher(xs, ts, plan(3, 4)); // jump = 7, iters/epoch = floor(22 / 12) = 1
  assert.equal(b.itersPerEpoch, 1);
  b.startEpoch();
  b.next();
  // time-major: row t*N + i holds stream i at step t
  assert.deepEqual(Array.from(b.x), [0, 7, 14, 1, 8, 15, 2, 9, 16, 3, 10, 17]);
  assert.deepEqual(Array.from(b.t), [1, 8, 15, 2, 9, 16, 3, 10, 17, 4, 11, 18]);
  b.startEpoch(); // the book never resets the counter between epochs
  b.next();
  assert.deepEqual(Array.from(b.x.subarray(0, 3)), [4, 11, 18]);
  b.next(); // time index 8: stream 2 reaches position 22 and wraps to the corpus start
  assert.deepEqual(Array.from(b.x), [8, 15, 0, 9, 16, 1, 10, 17, 2, 11, 18, 3]);
  assert.equal(b.t[2], 1); // the target of corpus position 0
});

Deno.test("restartEachEpoch sends every stream back to its start", () => {
  const corpus = range(41);
  const b = new Batcher(
    corpus.subarray(0, 40),
    corpus.subarray(1),
    plan(2, 5, {
      restartEachEpoch: true,
    }),
  );
  b.startEpoch();
  b.next();
  const first = Array.from(b.x);
  b.next();
  b.startEpoch();
  b.next();
  assert.deepEqual(Array.from(b.x), first);
});

Deno.test("no-wrap batching pads exactly the positions past each segment and masks their targets", () => {
  const corpus = range(24); // 23 inputs, N = 2 -> balanced segments [0, 12) and [12, 23)
  const b = new Batcher(corpus.subarray(0, 23), corpus.subarray(1), plan(2, 5, { wrap: false }));
  assert.equal(b.itersPerEpoch, 3); // ceil(12 / 5)
  assert.equal(b.tokensPerEpoch, 23);
  const seen: number[] = [];
  let padded = 0;
  b.startEpoch();
  for (let k = 0; k < b.itersPerEpoch; k++) {
    b.next();
    for (let r = 0; r < b.t.length; r++) {
      if (b.t[r] === -1) {
        padded++;
        continue;
      }
      assert.equal(b.t[r], b.x[r] + 1); // never a jump: the target follows the input
      seen.push(b.x[r]);
    }
  }
  // every input position appears exactly once; 2 streams x 15 slots - 23 real = 7 padded
  assert.deepEqual(seen.sort((a, c) => a - c), Array.from(range(23)));
  assert.equal(padded, 7);
  // the last batch holds steps 10..14: stream 0 (12 tokens) is real at steps 10 and 11, stream 1
  // (11 tokens) at step 10 only
  assert.deepEqual(Array.from(b.t.filter((_, r) => r % 2 === 0)), [11, 12, -1, -1, -1]);
  assert.deepEqual(Array.from(b.t.filter((_, r) => r % 2 === 1)), [23, -1, -1, -1, -1]);
});

/**
 * Runs `a` two batches into an epoch, restores its state into a fresh batcher `b`, then drives
 * both as the trainer does (startEpoch at each epoch start) through the rest of that epoch and
 * the whole next one, comparing inputs and targets batch by batch; returns `b`'s batches.
 */
function checkRoundTrip(options: { wrap?: boolean; restartEachEpoch?: boolean }): string[] {
  const corpus = range(101);
  const make = () => new Batcher(corpus.subarray(0, 100), corpus.subarray(1), plan(4, 3, options));
  const a = make();
  a.startEpoch();
  a.next();
  a.next();
  const b = make();
  b.setState(a.getState());
  const batches: string[] = [];
  for (let k = 2; k < 2 * a.itersPerEpoch; k++) {
    if (k % a.itersPerEpoch === 0) {
      a.startEpoch();
      b.startEpoch();
    }
    a.next();
    b.next();
    assert.deepEqual(Array.from(b.x), Array.from(a.x), `x of batch ${k}`);
    assert.deepEqual(Array.from(b.t), Array.from(a.t), `t of batch ${k}`);
    batches.push(`${b.x} | ${b.t}`);
  }
  return batches;
}

Deno.test("batcher state round-trips: the rest of the epoch and the next epoch are the same", () => {
  // N = 4, T = 3 over 100 tokens: 8 batches per epoch (wrap) or 9 (no-wrap, 25-token segments).
  const wrapped = checkRoundTrip({});
  assert.equal(wrapped.length, 2 * 8 - 2);
  // The first restored batch is the third of the epoch: time index 6 of streams at 0, 25, 50, 75.
  assert.equal(wrapped[0], "6,31,56,81,7,32,57,82,8,33,58,83 | 7,32,57,82,8,33,58,83,9,34,59,84");
  const restarted = checkRoundTrip({ restartEachEpoch: true });
  // The second epoch starts over at time index 0 instead of continuing at 24.
  assert.notEqual(restarted[6], wrapped[6]);
  assert.ok(restarted[6].startsWith("0,25,50,75,"), restarted[6]);
  assert.ok(wrapped[6].startsWith("24,49,74,99,"), wrapped[6]);
  const padded = checkRoundTrip({ wrap: false });
  assert.equal(padded.length, 2 * 9 - 2);
  // The last batch of each epoch is padded (time index 24 is each segment's last token).
  assert.equal(padded[6], "24,49,74,99,0,0,0,0,0,0,0,0 | 25,50,75,100,-1,-1,-1,-1,-1,-1,-1,-1");
  assert.equal(padded[7], "0,25,50,75,1,26,51,76,2,27,52,77 | 1,26,51,76,2,27,52,77,3,28,53,78");
});

Deno.test("no-wrap segments differ by at most one token, so the last batch is nearly full", () => {
  // PTB's training inputs with the chapter 6 batch: 929,588 tokens, N = 20, T = 35.
  const L = 929588, N = 20, T = 35;
  const corpus = range(L + 1);
  const b = new Batcher(corpus.subarray(0, L), corpus.subarray(1), plan(N, T, { wrap: false }));
  assert.equal(b.itersPerEpoch, 1328); // ceil(46,480 / 35)
  const real = new Array(N).fill(0);
  let lastBatchReal = 0;
  b.startEpoch();
  for (let k = 0; k < b.itersPerEpoch; k++) {
    b.next();
    for (let r = 0; r < N * T; r++) {
      if (b.t[r] === -1) continue;
      real[r % N]++;
      if (k === b.itersPerEpoch - 1) lastBatchReal++;
    }
  }
  assert.equal(real.reduce((a, c) => a + c, 0), L);
  assert.ok(real.every((n) => n === 46479 || n === 46480));
  assert.equal(lastBatchReal, 8 * 35 + 12 * 34); // 8 segments of 46,480 tokens, 12 of 46,479
});
