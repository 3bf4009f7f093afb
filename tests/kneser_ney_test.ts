/**
 * Tests of the interpolated modified Kneser-Ney baseline: two corpora small enough to work out by
 * hand (one per history convention), the unigram model that order 1 is, agreement with a direct
 * transcription of Chen & Goodman's formulas, normalisation, unknown ids, bad input, and the
 * published PTB 5-gram figure.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadPtb, Rng, trainKneserNey, UserError } from "@rnnlab/rnnlab";
import { HAVE_PTB, ptbDir } from "./fixtures.ts";

/** Asserts `actual` equals `expected` to 1e-12 (absolute; every value here is below 10). */
function near(actual: number, expected: number, what = "") {
  assert.ok(Math.abs(actual - expected) <= 1e-12, `${what}: ${actual} !== ${expected}`);
}

/** Ids of a string of one-letter words: a = 0, b = 1, ... */
const letters = (s: string) => Int32Array.from(s.split(" "), (w) => w.charCodeAt(0) - 97);

Deno.test("stream, order 2: discounts, continuation counts and probabilities by hand", () => {
  // Vocabulary a b c d e (V = 5; e never occurs). The training stream, 18 tokens:
  //   c d a a a a d a a c b b d a c d d b
  // Its 17 bigrams: a a ×4, d a ×3, a c ×2, c d ×2, and once each a d, c b, b b, b d, d d, d b.
  // Bigram count-of-counts n1..n4 = 6, 2, 1, 1:
  //   Y = 6 / (6 + 2·2) = 3/5, D1 = 1 - 2Y·2/6 = 3/5, D2 = 2 - 3Y·1/2 = 11/10, D3+ = 3 - 4Y·1/1 = 3/5.
  // Continuation counts (distinct words before): a {a, d} = 2, b {c, b, d} = 3, c {a} = 1 (the c at
  // the start has no word before it), d {c, a, b, d} = 4, e 0; they sum to 10 (the bigram types).
  // Unigram count-of-counts 1, 1, 1, 1: Y = 1/3, D1 = 1/3, D2 = 1, D3+ = 5/3.
  //   gamma0 = (1/3 + 1 + 2·5/3) / 10 = 7/15, so each word gets gamma0 / V = 7/75 = 14/150 of uniform:
  //   P(a) = (2 - 1)/10 + 14/150 = 29/150      P(b) = (3 - 5/3)/10 + 14/150 = 34/150
  //   P(c) = (1 - 1/3)/10 + 14/150 = 24/150    P(d) = (4 - 5/3)/10 + 14/150 = 49/150
  //   P(e) = 14/150                            (they sum to 150/150)
  // History a: a a ×4, a d ×1, a c ×2, total 7; gamma(a) = (3/5 + 11/10 + 3/5) / 7 = 23/70:
  //   P(a|a) = (4 - 3/5)/7 + 23/70·29/150 = 5767/10500   P(d|a) = (1 - 3/5)/7 + 23/70·49/150 = 1727/10500
  //   P(c|a) = (2 - 11/10)/7 + 23/70·24/150 = 1902/10500 P(b|a) = 23/70·34/150 = 782/10500
  //   P(e|a) = 23/70·14/150 = 322/10500                 (they sum to 10500/10500)
  // History d: d a ×3, d d ×1, d b ×1, total 5; gamma(d) = (2·3/5 + 3/5) / 5 = 9/25:
  //   P(a|d) = (3 - 3/5)/5 + 9/25·29/150 = 2061/3750    P(c|d) = 9/25·24/150 = 216/3750
  // History b: b b, b d, total 2; gamma(b) = 2·(3/5) / 2 = 3/5: P(d|b) = (1 - 3/5)/2 + 3/5·49/150 = 297/750
  // History c: c d ×2, c b ×1, total 3; gamma(c) = (3/5 + 11/10) / 3 = 17/30: P(e|c) = 17/30·14/150 = 238/4500
  // History e: never seen, so the unigrams pass through: P(a|e) = 29/150.
  const lm = trainKneserNey(letters("c d a a a a d a a c b b d a c d d b"), 5, { order: 2 });
  const [a, b, c, d, e] = [0, 1, 2, 3, 4];
  const s = lm.summary();
  assert.deepEqual(s.orders.map((o) => o.ngrams), [4, 10]);
  assert.deepEqual(s.orders.map((o) => o.countOfCounts), [[1, 1, 1, 1], [6, 2, 1, 1]]);
  const [[u1, u2, u3], [b1, b2, b3]] = s.orders.map((o) => o.discounts);
  near(u1, 1 / 3, "unigram D1"), near(u2, 1, "unigram D2"), near(u3, 5 / 3, "unigram D3+");
  near(b1, 3 / 5, "bigram D1"), near(b2, 11 / 10, "bigram D2"), near(b3, 3 / 5, "bigram D3+");

  const P = (w: number, h: number[]) => Math.exp(lm.logProb(w, h));
  for (const [w, p] of [[a, 29], [b, 34], [c, 24], [d, 49], [e, 14]]) {
    near(P(w, []), p / 150, `P(${w})`);
    near(P(w, [e]), p / 150, `P(${w}|e)`);
  }
  near(P(a, [a]), 5767 / 10500, "P(a|a)");
  near(P(d, [a]), 1727 / 10500, "P(d|a)");
  near(P(c, [a]), 1902 / 10500, "P(c|a)");
  near(P(b, [a]), 782 / 10500, "P(b|a)");
  near(P(e, [a]), 322 / 10500, "P(e|a)");
  near(P(a, [d]), 2061 / 3750, "P(a|d)");
  near(P(c, [d]), 216 / 3750, "P(c|d)");
  near(P(d, [b]), 297 / 750, "P(d|b)");
  near(P(e, [c]), 238 / 4500, "P(e|c)");
  near(P(a, [b, c, a, a, e]), 29 / 150, "only the last id counts at order 2");

  // A stream predicts every token after the first: "a d c e" → P(d|a) P(c|d) P(e|c).
  const score = lm.score(letters("a d c e"));
  const logProb = Math.log(1727 / 10500) + Math.log(216 / 3750) + Math.log(238 / 4500);
  assert.equal(score.predictions, 3);
  assert.equal(score.oov, 0);
  near(score.logProb, logProb, "log-likelihood");
  near(score.perplexity, Math.exp(-logProb / 3), "perplexity");
  near(lm.perplexity(letters("a d c e")), Math.exp(-logProb / 3), "perplexity()");
});

Deno.test("sentence, order 2: <s> histories keep raw counts, every sentence restarts at <s>", () => {
  // Vocabulary a b <eos> c (V = 4; c never occurs). Four lines, b a / a / b / a a, read as
  //   <s> b a <eos>   <s> a <eos>   <s> b <eos>   <s> a a <eos>
  // Bigrams: a <eos> ×3, <s> b ×2, <s> a ×2, once each b a, b <eos>, a a (10, one per token).
  // Count-of-counts 3, 2, 1, 0: Y = 3/7, D1 = 1 - 2Y·2/3 = 3/7, D2 = 2 - 3Y·1/2 = 19/14,
  //   D3+ = 3 - 4Y·0/1 = 3 (no bigram occurs 4 times, so 3 or more is all discount).
  // Continuation counts: a {b, <s>, a} = 3 (<s> counts as a word before), b {<s>} = 1,
  //   <eos> {a, b} = 2, c 0; <s> itself is never predicted. Total 6, count-of-counts 1, 1, 1, 0:
  //   Y = 1/3, D1 = 1/3, D2 = 1, D3+ = 3; gamma0 = (1/3 + 1 + 3) / 6 = 13/18, uniform share 13/72:
  //   P(a) = (3 - 3)/6 + 13/72 = 13/72   P(b) = (1 - 1/3)/6 + 13/72 = 21/72
  //   P(<eos>) = (2 - 1)/6 + 13/72 = 25/72   P(c) = 13/72   (sum 72/72)
  // History <s>: its bigrams start with <s>, so they keep their raw counts <s> a 2, <s> b 2 (total
  //   4, not the continuation count 0); gamma(<s>) = 2·19/14 / 4 = 19/28:
  //   P(a|<s>) = (2 - 19/14)/4 + 19/28·13/72 = 571/2016   P(b|<s>) = 9/56 + 19/28·21/72 = 723/2016
  //   P(<eos>|<s>) = 19/28·25/72 = 475/2016              P(c|<s>) = 19/28·13/72 = 247/2016
  // History a: a <eos> 3, a a 1, total 4; gamma(a) = (3/7 + 3) / 4 = 6/7:
  //   P(<eos>|a) = 0 + 6/7·25/72 = 25/84   P(a|a) = (1 - 3/7)/4 + 6/7·13/72 = 25/84   P(b|a) = 1/4
  // History b: b a, b <eos>, total 2; gamma(b) = 2·3/7 / 2 = 3/7:
  //   P(a|b) = (1 - 3/7)/2 + 3/7·13/72 = 183/504
  // History c: never seen: P(<eos>|c) = P(<eos>) = 25/72.
  const [a, b, eos, c] = [0, 1, 2, 3];
  const train = Int32Array.from([b, a, eos, a, eos, b, eos, a, a, eos]);
  const lm = trainKneserNey(train, 4, { order: 2, history: "sentence", eos });
  const s = lm.bos;
  assert.equal(s, 4);
  const summary = lm.summary();
  assert.equal(summary.history, "sentence");
  assert.deepEqual(summary.orders.map((o) => o.ngrams), [4, 6]); // a, b, <eos>, <s>
  assert.deepEqual(summary.orders.map((o) => o.countOfCounts), [[1, 1, 1, 0], [3, 2, 1, 0]]);
  const [[u1, u2, u3], [b1, b2, b3]] = summary.orders.map((o) => o.discounts);
  near(u1, 1 / 3), near(u2, 1), near(u3, 3), near(b1, 3 / 7), near(b2, 19 / 14), near(b3, 3);

  const P = (w: number, h: number[]) => Math.exp(lm.logProb(w, h));
  near(P(a, []), 13 / 72, "P(a)");
  near(P(b, []), 21 / 72, "P(b)");
  near(P(eos, []), 25 / 72, "P(<eos>)");
  near(P(c, []), 13 / 72, "P(c)");
  near(P(a, [s]), 571 / 2016, "P(a|<s>)");
  near(P(b, [s]), 723 / 2016, "P(b|<s>)");
  near(P(eos, [s]), 475 / 2016, "P(<eos>|<s>)");
  near(P(c, [s]), 247 / 2016, "P(c|<s>)");
  near(P(eos, [a]), 25 / 84, "P(<eos>|a)");
  near(P(a, [a]), 25 / 84, "P(a|a)");
  near(P(b, [a]), 1 / 4, "P(b|a)");
  near(P(a, [b]), 183 / 504, "P(a|b)");
  near(P(eos, [c]), 25 / 72, "P(<eos>|c)");

  // "b a <eos> c <eos>": P(b|<s>) P(a|b) P(<eos>|a), then the second line from <s> again:
  // P(c|<s>) (not P(c|<eos>)) P(<eos>|c). Every token is predicted, <eos> included.
  const score = lm.score(Int32Array.from([b, a, eos, c, eos]));
  const logProb = Math.log(723 / 2016) + Math.log(183 / 504) + Math.log(25 / 84) +
    Math.log(247 / 2016) + Math.log(25 / 72);
  assert.equal(score.predictions, 5);
  near(score.logProb, logProb, "log-likelihood");
  near(score.perplexity, Math.exp(-logProb / 5), "perplexity");
});

Deno.test("order 1 is a discounted unigram model over raw counts, whatever the history", () => {
  // Counts a 1, b 2, c 3, d 4 of 10 tokens (V = 5, e unseen): count-of-counts 1, 1, 1, 1, so
  // D = 1/3, 1, 5/3 and gamma0 = (1/3 + 1 + 2·5/3) / 10 = 7/15, uniform share 7/75 = 14/150:
  //   P(a) = (1 - 1/3)/10 + 14/150 = 24/150   P(b) = (2 - 1)/10 + 14/150 = 29/150
  //   P(c) = (3 - 5/3)/10 + 14/150 = 34/150   P(d) = (4 - 5/3)/10 + 14/150 = 49/150   P(e) = 14/150
  const train = letters("d c b d a c d b c d");
  const expected = [24, 29, 34, 49, 14].map((x) => x / 150);
  for (const history of ["stream", "sentence"] as const) {
    // In sentence mode d plays <eos>: counts are the same, <s> is never predicted.
    const lm = trainKneserNey(train, 5, { order: 1, history, eos: 3 });
    assert.deepEqual(lm.summary().orders.map((o) => o.countOfCounts), [[1, 1, 1, 1]]);
    for (const h of [[], [0], [3, 2, 1], [lm.bos]]) {
      const p = lm.probabilities(h);
      for (let w = 0; w < 5; w++) near(p[w], expected[w], `P(${w}) after [${h}] (${history})`);
    }
    // The history is ignored, so a score is the product of unigram probabilities; a stream
    // skips its first token, per-sentence scoring predicts them all.
    const ids = letters("a b e d");
    const terms = (history === "stream" ? [1, 4, 3] : [0, 1, 4, 3]).map((w) => expected[w]);
    near(lm.score(ids).logProb, terms.reduce((sum, p) => sum + Math.log(p), 0), history);
  }
});

// ---------------------------------------------------------------------------------------------
// A direct transcription of the estimate, for comparison on a corpus too large to work out by
// hand: n-grams as strings in maps, probabilities by recursion on the formula, no trie, no
// stored backoff weights.

function directKneserNey(train: Int32Array, V: number, N: number, eos?: number) {
  const BOS = V;
  const seqs: number[][] = [];
  if (eos === undefined) seqs.push([...train]);
  else {
    let cur = [BOS];
    for (const id of train) {
      cur.push(id);
      if (id === eos) seqs.push(cur), cur = [BOS];
    }
    if (cur.length > 1) seqs.push(cur);
  }
  const raw: Map<string, number>[] = [];
  for (let k = 1; k <= N; k++) {
    const m = new Map<string, number>();
    for (const s of seqs) {
      for (let i = 0; i + k <= s.length; i++) {
        const key = s.slice(i, i + k).join(" ");
        m.set(key, (m.get(key) ?? 0) + 1);
      }
    }
    raw[k] = m;
  }
  const a: Map<string, number>[] = [];
  a[N] = raw[N];
  for (let k = N - 1; k >= 1; k--) {
    const m = new Map<string, number>();
    for (const [key, c] of raw[k]) m.set(key, key.split(" ")[0] === String(BOS) ? c : 0);
    for (const key of raw[k + 1].keys()) {
      const suffix = key.split(" ").slice(1).join(" ");
      m.set(suffix, m.get(suffix)! + 1);
    }
    a[k] = m;
  }
  a[1].delete(String(BOS));
  const D: number[][] = [];
  for (let k = 1; k <= N; k++) {
    const n = [0, 0, 0, 0, 0];
    for (const c of a[k].values()) if (c >= 1 && c <= 4) n[c]++;
    const y = n[1] / (n[1] + 2 * n[2]);
    D[k] = [0, 1 - 2 * y * n[2] / n[1], 2 - 3 * y * n[3] / n[2], 3 - 4 * y * n[4] / n[3]];
  }
  const disc = (k: number, c: number) => D[k][Math.min(c, 3)];
  // Per history (the first k - 1 ids of an order-k n-gram): the sum of a and of the discounts.
  const byHistory: Map<string, { total: number; mass: number }>[] = [];
  for (let k = 1; k <= N; k++) {
    const m = new Map<string, { total: number; mass: number }>();
    for (const [key, c] of a[k]) {
      const h = key.split(" ").slice(0, k - 1).join(" ");
      const e = m.get(h) ?? { total: 0, mass: 0 };
      e.total += c;
      e.mass += disc(k, c);
      m.set(h, e);
    }
    byHistory[k] = m;
  }
  const p = (w: number, h: number[]): number => {
    const k = h.length + 1;
    const lower = k === 1 ? 1 / V : p(w, h.slice(1));
    const { total, mass } = byHistory[k].get(h.join(" ")) ?? { total: 0, mass: 0 };
    if (total === 0) return lower;
    const c = a[k].get([...h, w].join(" ")) ?? 0;
    return (c - disc(k, c)) / total + (mass / total) * lower;
  };
  return p;
}

/**
 * A seeded text over `V - 1` words and `<eos>` (id `V - 1`, about every 8 tokens): each word
 * follows its predecessor's favourite successor or is drawn from a Zipf distribution (exponent
 * 1.2), so that,
 * as in real text, rare words have few distinct predecessors.
 */
function zipfText(length: number, V: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const next = Array.from({ length: V - 1 }, () => rng.int(V - 1));
  const cumulative: number[] = [];
  for (let r = 0, sum = 0; r < V - 1; r++) cumulative.push(sum += (r + 1) ** -1.2);
  const zipf = () => {
    const x = rng.uniform() * cumulative[V - 2];
    return cumulative.findIndex((c) => c > x);
  };
  const out = new Int32Array(length);
  let w = 0;
  for (let i = 0; i < length; i++) {
    if (rng.uniform() < 0.12) out[i] = V - 1;
    else out[i] = w = rng.uniform() < 0.5 ? next[w] : zipf();
  }
  return out;
}

Deno.test("every probability agrees with the formula computed directly (orders 1-4, both histories)", () => {
  const V = 300, eos = V - 1;
  const train = zipfText(3000, V, 1), held = zipfText(300, V, 2);
  for (const history of ["stream", "sentence"] as const) {
    for (let N = 1; N <= 4; N++) {
      const lm = trainKneserNey(train, V, { order: N, history, eos });
      const direct = directKneserNey(train, V, N, history === "sentence" ? eos : undefined);
      // Histories: every window of the held-out text, in sentence mode cut at <eos> and begun
      // with <s> where a sentence starts, as score() forms them.
      let hist: number[] = history === "sentence" ? [lm.bos] : [];
      let logProb = 0;
      for (let t = history === "sentence" ? 0 : 1; t < held.length; t++) {
        if (history === "stream") hist = [...held.subarray(Math.max(0, t - N + 1), t)];
        const h = hist.slice(Math.max(0, hist.length - (N - 1)));
        if (t < 40) {
          for (let w = 0; w < V; w++) {
            const got = lm.logProb(w, h), want = Math.log(direct(w, h));
            assert.ok(
              Math.abs(got - want) < 1e-12,
              `${history} N=${N} P(${w}|${h}): ${got} ${want}`,
            );
          }
        }
        logProb += Math.log(direct(held[t], h));
        if (history === "sentence") hist = held[t] === eos ? [lm.bos] : [...hist, held[t]];
      }
      const score = lm.score(held);
      assert.equal(score.predictions, held.length - (history === "stream" ? 1 : 0));
      assert.ok(Math.abs(score.logProb - logProb) < 1e-9, `${history} N=${N} log-likelihood`);
    }
  }
});

Deno.test("probabilities over the vocabulary sum to 1 for seen, unseen and partial histories", () => {
  const V = 300, eos = V - 1;
  const train = zipfText(6000, V, 3);
  const out = new Float64Array(V);
  for (const history of ["stream", "sentence"] as const) {
    for (let N = 1; N <= 5; N++) {
      const lm = trainKneserNey(train, V, { order: N, history, eos });
      const histories = [
        [],
        [...train.subarray(100, 104)], // seen
        [...train.subarray(2000, 2001)],
        [5, 5, 5, 5, 5, 5, 5], // longer than N - 1, probably unseen
        [99, -3], // ids outside the vocabulary
        ...(history === "sentence" ? [[lm.bos], [lm.bos, train[0], train[1]]] : []),
      ];
      for (const h of histories) {
        const p = lm.probabilities(h, out);
        assert.equal(p, out);
        const sum = p.reduce((s, x) => s + x, 0);
        assert.ok(Math.abs(sum - 1) < 1e-12, `${history} N=${N} [${h}]: sum ${sum}`);
        for (let w = 0; w < V; w++) {
          assert.ok(p[w] > 0, `${history} N=${N} P(${w}|${h}) = ${p[w]}`);
          const q = Math.exp(lm.logProb(w, h));
          assert.ok(
            Math.abs(q - p[w]) <= 1e-15 * p[w] + 1e-300,
            `logProb and probabilities differ`,
          );
        }
      }
    }
  }
});

Deno.test("an id outside the vocabulary is scored as <unk> when known, else at the uniform floor", () => {
  // The stream corpus worked out by hand above: P(b|a) = 782/10500, gamma(a) = 23/70, and the
  // uniform floor below the unigrams, gamma0 / V = 14/150.
  const train = letters("c d a a a a d a a c b b d a c d d b");
  const floor = trainKneserNey(train, 5, { order: 2 });
  const withUnk = trainKneserNey(train, 5, { order: 2, unk: 1 });
  near(Math.exp(floor.logProb(7, [0])), 23 / 70 * 14 / 150, "floor after a");
  near(Math.exp(floor.logProb(-1, [])), 14 / 150, "floor");
  near(Math.exp(withUnk.logProb(7, [0])), 782 / 10500, "as <unk> = b after a");
  // In a history an unknown id is <unk> too: P(d | <unk> = b) = 297/750; without <unk> the
  // history is unseen and the unigram P(d) = 49/150 passes through.
  near(Math.exp(withUnk.logProb(3, [9])), 297 / 750, "<unk> as history");
  near(Math.exp(floor.logProb(3, [9])), 49 / 150, "unknown history");
  // "a ? d ?" as "a b d b": P(b|a) P(d|b) P(b|d), P(b|d) = (1 - 3/5)/5 + 9/25·34/150 = 606/3750.
  const s = withUnk.score(Int32Array.from([0, 7, 3, 5]));
  assert.equal(s.oov, 2);
  near(s.logProb, Math.log(782 / 10500) + Math.log(297 / 750) + Math.log(606 / 3750));
});

Deno.test("bad input is a UserError that says what to do", () => {
  const train = letters("c d a a a a d a a c b b d a c d d b");
  const cases: [() => unknown, RegExp][] = [
    [() => trainKneserNey(train, 3), /id 3, outside the vocabulary 0\.\.2/],
    [() => trainKneserNey(train, 5, { order: 0 }), /order must be an integer from 1/],
    [() => trainKneserNey(train, 5, { order: 2.5 }), /order must be an integer/],
    [() => trainKneserNey(train, 5, { history: "sentence" }), /need the <eos> id/],
    [() => trainKneserNey(train, 5, { unk: 5 }), /<unk> id must be a vocabulary id/],
    [() => trainKneserNey(new Int32Array(0), 5), /non-empty/],
    // Order 3 of 18 tokens: no trigram occurs twice, so n2 = 0.
    [
      () => trainKneserNey(train, 5, { order: 3 }),
      /order-3 discounts cannot be estimated.*lower order/,
    ],
    [() => trainKneserNey(train, 5, { order: 2 }).score(Int32Array.from([1])), /at least 2 tokens/],
  ];
  for (const [f, re] of cases) {
    assert.throws(
      f,
      (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes("\n"),
    );
  }
});

Deno.test({
  name: "PTB: the per-sentence 5-gram scores test perplexity 141.2, the published figure",
  ignore: !HAVE_PTB,
  async fn() {
    // Mikolov et al. 2011 ("Empirical evaluation and combination of advanced language modeling
    // techniques"), KN5 without count cutoffs: test perplexity 141.2.
    const ptb = await loadPtb({ dataDir: ptbDir()! });
    const eos = ptb.wordToId.get("<eos>")!, unk = ptb.wordToId.get("<unk>")!;
    const lm = trainKneserNey(ptb.train, ptb.vocabSize, {
      order: 5,
      history: "sentence",
      eos,
      unk,
    });
    const s = lm.score(ptb.test);
    assert.equal(s.predictions, 82430); // 78,669 words and 3,761 sentence ends
    assert.equal(s.oov, 0);
    assert.ok(Math.abs(s.perplexity - 141.2) < 0.1, `test perplexity ${s.perplexity}`);
    const p = lm.probabilities([lm.bos, ptb.wordToId.get("the")!]);
    assert.ok(Math.abs(p.reduce((sum, x) => sum + x, 0) - 1) < 1e-12);
  },
});
