/**
 * An interpolated modified Kneser-Ney n-gram language model (Chen & Goodman, "An Empirical Study
 * of Smoothing Techniques for Language Modeling", 1998), the count-based baseline that gives the
 * neural models' perplexities a scale. It reads the same token ids as they do.
 *
 * The estimate, for an n-gram `h w` of order `k` (history `h` of `k - 1` words, `h'` = `h`
 * without its oldest word):
 *
 * ```text
 * P(w | h) = (a(h w) - D(a(h w))) / a(h •)  +  gamma(h) * P(w | h')
 * gamma(h) = (D1 * N1(h •) + D2 * N2(h •) + D3+ * N3+(h •)) / a(h •)
 * ```
 *
 * - `a` is the raw count at the highest order `N`, and the continuation count below it: the
 *   number of distinct words seen before the n-gram. An n-gram that starts with the sentence
 *   start `<s>` has no word before it and keeps its raw count (as SRILM and KenLM do).
 * - `a(h •)` sums `a(h w)` over `w`; `N1(h •)`, `N2(h •)`, `N3+(h •)` count the words `w` with
 *   `a(h w)` = 1, 2, ≥ 3.
 * - `D(c)` is 0, `D1`, `D2` or `D3+` for `c` = 0, 1, 2, ≥ 3: three discounts per order, from
 *   that order's count-of-counts `n1..n4` (how many n-grams have `a` = 1..4):
 *   `Y = n1 / (n1 + 2 n2)`, `D1 = 1 - 2Y n2/n1`, `D2 = 2 - 3Y n3/n2`, `D3+ = 3 - 4Y n4/n3`.
 * - Below the unigrams is the uniform distribution `1 / V`; a history never seen in training
 *   (`a(h •) = 0`) passes its lower order through unchanged (`gamma = 1`).
 *
 * **History conventions** (fixed when the model is trained, used again when it scores):
 * - `"stream"` (the default) treats the token ids as one long stream, as the neural models read
 *   them: n-grams cross `<eos>`, and scoring predicts every token after the first from the
 *   up to `N - 1` tokens before it.
 * - `"sentence"` is SRILM's per-sentence convention (the one behind the published PTB 5-gram
 *   figures): the text is cut after every `<eos>`, each sentence is read as `<s> w1 .. wn <eos>`,
 *   no n-gram crosses a sentence, and scoring predicts every token, `<eos>` included, from the
 *   history that starts at its sentence's `<s>`. `<s>` is a context only, never predicted.
 *
 * **Unknown words**: an id of the vocabulary (`0 <= id < V`) that never occurs in training gets
 * what the interpolation leaves for it, its share of the uniform distribution (the "uniform
 * floor"), so probabilities over the vocabulary always sum to 1. An id outside the vocabulary is
 * scored as `<unk>` when the model knows the `<unk>` id, and otherwise at the uniform floor like a
 * never-seen vocabulary word; {@linkcode KneserNeyScore.oov} counts such tokens, since a floor
 * outside the vocabulary is mass the model does not have.
 *
 * **Layout**: n-grams are counted by sorting the text positions on their next `N` ids (a radix
 * sort, one counting pass per position of the key), so every n-gram of every order is a run of
 * neighbouring positions. They are stored as a trie over typed arrays: the unigrams are indexed by
 * id; the n-grams of order `k + 1` that extend a node of order `k` are one contiguous, id-sorted
 * range, found by binary search. Each stored n-gram keeps its interpolated probability and each
 * history its `gamma` (the layout of an ARPA file), so a probability takes at most
 * `N (N - 1) / 2` binary searches and a product of stored numbers, and no sums.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";

/** How histories are formed: one long stream, or per sentence from `<s>` (see the module doc). */
export type NgramHistory = "stream" | "sentence";

/** Options of {@linkcode trainKneserNey}. */
export interface KneserNeyOptions {
  /** The model's order `N`, the longest n-gram it counts: an integer from 1 to 255; default 5. */
  order?: number;
  /** The history convention; default `"stream"`. */
  history?: NgramHistory;
  /** The id of `<eos>` (required for `"sentence"`: it ends each sentence). */
  eos?: number;
  /** The id of `<unk>`, if the vocabulary has one: ids outside the vocabulary are scored as it. */
  unk?: number;
}

/** The log-likelihood of a token stream under the model. */
export interface KneserNeyScore {
  /** `exp(-logProb / predictions)`. */
  perplexity: number;
  /** Sum of the natural-log probabilities of the predicted tokens. */
  logProb: number;
  /** Tokens predicted: `L - 1` for a stream of `L` tokens, `L` per sentence. */
  predictions: number;
  /** Predicted tokens whose id was outside the vocabulary (scored as `<unk>` or at the floor). */
  oov: number;
}

/** Facts about one order of a trained model, worth keeping with a run. */
export interface KneserNeyOrder {
  /** The order `k` (1 = unigrams). */
  order: number;
  /** Distinct n-grams of this order in the training text (`<s>` counts as a word). */
  ngrams: number;
  /** How many n-grams have the count `a` (raw or continuation) 1, 2, 3 and 4. */
  countOfCounts: [number, number, number, number];
  /** The discounts `D1`, `D2`, `D3+` this order's counts are reduced by. */
  discounts: [number, number, number];
}

/** What a trained model is: its settings and per-order counts and discounts. */
export interface KneserNeySummary {
  /** The order `N`. */
  order: number;
  /** Vocabulary size `V` (the ids `0..V-1` it predicts). */
  vocabSize: number;
  /** The history convention. */
  history: NgramHistory;
  /** Number of training tokens (ids) it was counted from. */
  trainTokens: number;
  /** Orders 1 to `N`. */
  orders: KneserNeyOrder[];
}

/**
 * A trained interpolated modified Kneser-Ney model (made by {@linkcode trainKneserNey}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainKneserNey } from "@rnnlab/rnnlab";
 * // a = 0, b = 1, c = 2, d = 3; the vocabulary has a fifth word, e = 4, unseen in training
 * const ids = (s: string) => Int32Array.from(s.split(" "), (w) => w.charCodeAt(0) - 97);
 * const lm = trainKneserNey(ids("c d a a a a d a a c b b d a c d d b"), 5, { order: 2 });
 * const p = lm.probabilities([0]); // P(w | a) for w = a..e
 * assert.ok(Math.abs(p.reduce((s, x) => s + x, 0) - 1) < 1e-12);
 * assert.ok(Math.abs(p[0] - 5767 / 10500) < 1e-12); // worked out in tests/kneser_ney_test.ts
 * assert.equal(lm.logProb(0, [0]), Math.log(p[0]));
 * const { perplexity, predictions } = lm.score(ids("a d c e"));
 * assert.equal(predictions, 3); // P(d|a) P(c|d) P(e|c): a stream skips its first token
 * const expected = (1727 / 10500 * 216 / 3750 * 238 / 4500) ** (-1 / 3); // 12.59
 * assert.ok(Math.abs(perplexity - expected) < 1e-12);
 * ```
 */
export interface KneserNeyModel {
  /** The order `N`. */
  readonly order: number;
  /** Vocabulary size `V`. */
  readonly vocabSize: number;
  /** The history convention it was trained with and scores with. */
  readonly history: NgramHistory;
  /** The id of the sentence start `<s>` to put in histories (`V`), or -1 for `"stream"`. */
  readonly bos: number;
  /**
   * The natural log of `P(word | history)`, `history` oldest first, of which the last `N - 1`
   * ids count (a shorter one is a shorter context; in `"sentence"` mode begin it with
   * {@linkcode KneserNeyModel.bos} at a sentence start). Ids outside the vocabulary are treated as
   * unknown words (see the module doc).
   */
  logProb(word: number, history: ArrayLike<number>): number;
  /**
   * `P(w | history)` for every `w` of the vocabulary, written into `out` (length `V`, a new array
   * when not given) and returned; it sums to 1.
   */
  probabilities(history: ArrayLike<number>, out?: Float64Array): Float64Array;
  /** Scores a token stream with the model's history convention (see the module doc). */
  score(ids: Int32Array): KneserNeyScore;
  /** `score(ids).perplexity`. */
  perplexity(ids: Int32Array): number;
  /** The settings, n-gram counts per order, count-of-counts and discounts. */
  summary(): KneserNeySummary;
}

/** The highest order the key layout allows (one byte per position for the key length). */
const MAX_ORDER = 255;

/**
 * Counts the n-grams of `train` (ids in `0..vocabSize-1`) up to `options.order` (default 5) and
 * estimates an interpolated modified Kneser-Ney model. Throws a {@linkcode UserError} for ids
 * outside the vocabulary, a bad option, or a training text too small to estimate an order's
 * discounts (a count-of-counts `n1`, `n2` or `n3` of 0, or a discount out of range).
 *
 * On PTB (929,589 tokens, order 5) counting and estimating takes under a second and about 80 MB
 * at the peak; the model keeps 2.3 to 2.5 million n-grams.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainKneserNey } from "@rnnlab/rnnlab";
 * // Four lines "b a", "a", "b", "a a" with a = 0, b = 1, <eos> = 2
 * const train = Int32Array.from([1, 0, 2, 0, 2, 1, 2, 0, 0, 2]);
 * const lm = trainKneserNey(train, 3, { order: 2, history: "sentence", eos: 2 });
 * const { orders } = lm.summary();
 * assert.deepEqual(orders.map((o) => o.ngrams), [4, 6]); // <s> is a unigram (a context)
 * assert.deepEqual(orders[1].countOfCounts, [3, 2, 1, 0]); // a <eos> occurs 3 times
 * assert.ok(Math.abs(orders[1].discounts[0] - 3 / 7) < 1e-12); // D1 = n1 / (n1 + 2 n2)
 * assert.ok(lm.logProb(1, [lm.bos]) > lm.logProb(2, [lm.bos])); // lines start with b, not <eos>
 * ```
 *
 * @example Per-sentence scoring of PTB, as the published 5-gram figures are measured
 * ```ts ignore
 * import { loadPtb, trainKneserNey } from "@rnnlab/rnnlab";
 * const ptb = await loadPtb();
 * const eos = ptb.wordToId.get("<eos>")!, unk = ptb.wordToId.get("<unk>");
 * const lm = trainKneserNey(ptb.train, ptb.vocabSize, { order: 5, history: "sentence", eos, unk });
 * console.log(lm.perplexity(ptb.test)); // 141.19; Mikolov et al. (2011) report 141.2
 * ```
 */
export function trainKneserNey(
  train: Int32Array,
  vocabSize: number,
  options: KneserNeyOptions = {},
): KneserNeyModel {
  const order = options.order ?? 5;
  const history = options.history ?? "stream";
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new UserError(`the vocabulary size must be a positive integer; got ${vocabSize}`);
  }
  if (!Number.isInteger(order) || order < 1 || order > MAX_ORDER) {
    throw new UserError(`the n-gram order must be an integer from 1 to ${MAX_ORDER}; got ${order}`);
  }
  if (history !== "stream" && history !== "sentence") {
    throw new UserError(`the history convention must be "stream" or "sentence"; got ${history}`);
  }
  const isId = (x: number | undefined) => Number.isInteger(x) && x! >= 0 && x! < vocabSize;
  if (history === "sentence" && !isId(options.eos)) {
    throw new UserError(
      `per-sentence n-grams need the <eos> id (0 to ${vocabSize - 1}); got ${options.eos}`,
    );
  }
  if (options.unk !== undefined && !isId(options.unk)) {
    throw new UserError(
      `the <unk> id must be a vocabulary id (0 to ${vocabSize - 1}); got ${options.unk}`,
    );
  }
  if (!(train instanceof Int32Array) || train.length < 1) {
    throw new UserError("the training text must be a non-empty Int32Array of token ids");
  }
  for (let i = 0; i < train.length; i++) {
    const id = train[i];
    if (id < 0 || id >= vocabSize) {
      throw new UserError(
        `training token ${i} has id ${id}, outside the vocabulary 0..${vocabSize - 1}; ` +
          `pass the vocabulary size of the loader that encoded it`,
      );
    }
  }
  const eos = history === "sentence" ? options.eos! : -1;
  return new Trie(train, vocabSize, order, eos, options.unk ?? -1);
}

/** The training text as the counter reads it: ids, and how long an n-gram may start at each. */
interface Segments {
  /** Ids; in `"sentence"` mode with `<s>` (id `V`) before every sentence. */
  tok: Int32Array;
  /** `min(N, positions left in this position's sentence or stream)`. */
  avail: Uint8Array;
}

function segment(train: Int32Array, V: number, N: number, eos: number): Segments {
  const L = train.length;
  let tok = train;
  if (eos >= 0) {
    let sentences = train[L - 1] === eos ? 0 : 1;
    for (let i = 0; i < L; i++) if (train[i] === eos) sentences++;
    tok = new Int32Array(L + sentences);
    let p = 0;
    tok[p++] = V;
    for (let i = 0; i < L; i++) {
      tok[p++] = train[i];
      if (train[i] === eos && i < L - 1) tok[p++] = V;
    }
  }
  const avail = new Uint8Array(tok.length);
  let end = tok.length; // one past the last position of the current sentence (or stream)
  for (let i = tok.length - 1; i >= 0; i--) {
    if (eos >= 0 && tok[i] === eos) end = i + 1;
    avail[i] = Math.min(N, end - i);
  }
  return { tok, avail };
}

/**
 * Text positions sorted by their next `N` ids (positions past the end of their sentence sort
 * first): `N` stable counting-sort passes over the key's positions, last to first.
 */
function sortPositions(tok: Int32Array, avail: Uint8Array, N: number, U: number): Int32Array {
  const L = tok.length;
  let a = new Int32Array(L), b = new Int32Array(L);
  for (let i = 0; i < L; i++) a[i] = i;
  const start = new Int32Array(U + 1); // digit d = id + 1, or 0 when the key has ended
  for (let j = N - 1; j >= 0; j--) {
    start.fill(0);
    for (let p = 0; p < L; p++) {
      const i = a[p];
      start[j < avail[i] ? tok[i + j] + 1 : 0]++;
    }
    let sum = 0;
    for (let d = 0; d <= U; d++) {
      const c = start[d];
      start[d] = sum;
      sum += c;
    }
    for (let p = 0; p < L; p++) {
      const i = a[p];
      b[start[j < avail[i] ? tok[i + j] + 1 : 0]++] = i;
    }
    [a, b] = [b, a];
  }
  return a;
}

/** Chen & Goodman's three discounts from the count-of-counts of one order. */
function discountsOf(k: number, n: readonly number[]): [number, number, number] {
  const [n1, n2, n3, n4] = n;
  const bad = () =>
    new UserError(
      `the order-${k} discounts cannot be estimated from its count-of-counts ` +
        `n1..n4 = ${n.join(", ")}; the training text is too small for this order: ` +
        `use a lower order or more text`,
    );
  if (n1 === 0 || n2 === 0 || n3 === 0) throw bad();
  const y = n1 / (n1 + 2 * n2);
  const d: [number, number, number] = [
    1 - 2 * y * n2 / n1,
    2 - 3 * y * n3 / n2,
    3 - 4 * y * n4 / n3,
  ];
  if (d.some((x, r) => !(x > 0 && x <= r + 1))) throw bad();
  return d;
}

/** The model: a trie of n-grams with interpolated probabilities and history weights. */
class Trie implements KneserNeyModel {
  readonly order: number;
  readonly vocabSize: number;
  readonly history: NgramHistory;
  readonly bos: number;
  readonly #eos: number;
  readonly #unk: number;
  /** Number of unigram nodes `U`: the ids, and `<s>` in `"sentence"` mode. */
  readonly #U: number;
  readonly #trainTokens: number;
  /** Per order k (index k - 1): the last id of each node; order 1 is indexed by id (empty). */
  readonly #words: Int32Array[] = [];
  /** Per order: `P(last id | the rest)` of each node. */
  readonly #prob: Float64Array[] = [];
  /** Per order below N: node j's children are `#words[k][#child[k-1][j] .. #child[k-1][j+1])`. */
  readonly #child: Int32Array[] = [];
  /** Per order below N: `gamma` of each node as a history (1 when it has no children). */
  readonly #gamma: Float64Array[] = [];
  /** `gamma` of the empty history: the unigrams' weight on the uniform distribution. */
  #gamma0 = 0;
  readonly #orders: KneserNeyOrder[] = [];
  /** The history being scored (at most `N - 1` ids, oldest first), reused. */
  readonly #ctx: Int32Array;

  constructor(train: Int32Array, V: number, N: number, eos: number, unk: number) {
    this.order = N;
    this.vocabSize = V;
    this.history = eos >= 0 ? "sentence" : "stream";
    this.bos = eos >= 0 ? V : -1;
    this.#eos = eos;
    this.#unk = unk;
    this.#U = eos >= 0 ? V + 1 : V;
    this.#trainTokens = train.length;
    this.#ctx = new Int32Array(Math.max(1, N - 1));
    this.#build(train);
  }

  #build(train: Int32Array): void {
    const N = this.order, V = this.vocabSize, U = this.#U, bos = this.bos;
    const { tok, avail } = segment(train, V, N, this.#eos);
    const L = tok.length;
    const sa = sortPositions(tok, avail, N, U);

    // lcp[p]: how many leading ids position sa[p] shares with sa[p - 1] (within both keys).
    // Every order-k n-gram is a run of sorted positions whose keys agree on k ids.
    const lcp = new Uint8Array(L);
    const nodes = new Int32Array(N + 1);
    nodes[1] = U;
    for (let p = 0; p < L; p++) {
      const i = sa[p];
      let l = 0;
      if (p > 0) {
        const q = sa[p - 1], m = Math.min(avail[i], avail[q]);
        while (l < m && tok[i + l] === tok[q + l]) l++;
        lcp[p] = l;
      }
      for (let k = Math.max(2, l + 1); k <= avail[i]; k++) nodes[k]++;
    }

    // Nodes of order k (arrays indexed k - 1) in sorted, trie, order: last id, parent, one text
    // position where it occurs, raw count; at[k - 1][i] is the order-k node that starts at i.
    const words: Int32Array[] = [new Int32Array(0)];
    const parent: Int32Array[] = [new Int32Array(0)];
    const rep: Int32Array[] = [new Int32Array(0)];
    const raw: Int32Array[] = [new Int32Array(U)];
    const at: Int32Array[] = [tok];
    for (let k = 2; k <= N; k++) {
      words.push(new Int32Array(nodes[k]));
      parent.push(new Int32Array(nodes[k]));
      rep.push(new Int32Array(nodes[k]));
      raw.push(new Int32Array(nodes[k]));
      if (k < N) at.push(new Int32Array(L));
    }
    const open = new Int32Array(N + 1), next = new Int32Array(N + 1);
    for (let p = 0; p < L; p++) {
      const i = sa[p], av = avail[i];
      open[1] = tok[i];
      raw[0][tok[i]]++;
      for (let k = 2; k <= av; k++) {
        if (k > lcp[p]) {
          const j = next[k]++;
          words[k - 1][j] = tok[i + k - 1];
          parent[k - 1][j] = open[k - 1];
          rep[k - 1][j] = i;
          open[k] = j;
        }
        raw[k - 1][open[k]]++;
        if (k < N) at[k - 1][i] = open[k];
      }
    }

    // The suffix of each node (its n-gram without the first id), a node one order lower.
    const suffix: Int32Array[] = [new Int32Array(0)];
    for (let k = 2; k <= N; k++) {
      const s = new Int32Array(nodes[k]), r = rep[k - 1], lower = at[k - 2];
      for (let j = 0; j < s.length; j++) s[j] = lower[r[j] + 1];
      suffix.push(s);
    }

    // a: raw counts at order N; below, distinct words seen before the n-gram (raw after <s>).
    const a: Int32Array[] = new Array(N);
    a[N - 1] = raw[N - 1];
    for (let k = N - 1; k >= 1; k--) {
      const ak = new Int32Array(nodes[k]), up = suffix[k];
      for (let j = 0; j < up.length; j++) ak[up[j]]++;
      if (bos >= 0 && k >= 2) {
        const r = rep[k - 1], rk = raw[k - 1];
        for (let j = 0; j < ak.length; j++) if (tok[r[j]] === bos) ak[j] = rk[j];
      }
      a[k - 1] = ak;
    }
    if (bos >= 0) a[0][bos] = 0; // <s> is never predicted

    // Count-of-counts and discounts per order.
    const D: [number, number, number][] = [];
    for (let k = 1; k <= N; k++) {
      const n = [0, 0, 0, 0], ak = a[k - 1];
      for (let j = 0; j < ak.length; j++) if (ak[j] >= 1 && ak[j] <= 4) n[ak[j] - 1]++;
      const d = discountsOf(k, n);
      D.push(d);
      this.#orders.push({
        order: k,
        ngrams: k === 1 ? raw[0].reduce((s, c) => s + (c > 0 ? 1 : 0), 0) : nodes[k],
        countOfCounts: [n[0], n[1], n[2], n[3]],
        discounts: d,
      });
    }

    // Unigrams: discounted continuation counts plus gamma0 times the uniform 1 / V.
    const a1 = a[0], [d1, d2, d3] = D[0];
    let total = 0, mass = 0;
    for (let w = 0; w < U; w++) {
      const c = a1[w];
      total += c;
      mass += c === 0 ? 0 : c === 1 ? d1 : c === 2 ? d2 : d3;
    }
    this.#gamma0 = mass / total;
    const p1 = new Float64Array(U), floor = this.#gamma0 / V; // P(<s>) (id V) stays 0
    for (let w = 0; w < V; w++) {
      const c = a1[w];
      p1[w] = (c === 0 ? 0 : c - (c === 1 ? d1 : c === 2 ? d2 : d3)) / total + floor;
    }
    this.#words.push(words[0]);
    this.#prob.push(p1);

    // Order k from order k - 1: each history's children share its total and gamma.
    for (let k = 2; k <= N; k++) {
      const ak = a[k - 1], par = parent[k - 1], suf = suffix[k - 1], lowerP = this.#prob[k - 2];
      const [e1, e2, e3] = D[k - 1];
      const parents = k === 2 ? U : nodes[k - 1];
      const child = new Int32Array(parents + 1);
      for (let j = 0; j < par.length; j++) child[par[j] + 1]++;
      for (let h = 0; h < parents; h++) child[h + 1] += child[h];
      const gamma = new Float64Array(parents).fill(1);
      const pk = new Float64Array(nodes[k]);
      for (let h = 0; h < parents; h++) {
        const from = child[h], to = child[h + 1];
        let sum = 0, m = 0;
        for (let j = from; j < to; j++) {
          const c = ak[j];
          sum += c;
          m += c === 0 ? 0 : c === 1 ? e1 : c === 2 ? e2 : e3;
        }
        if (sum === 0) {
          for (let j = from; j < to; j++) pk[j] = lowerP[suf[j]];
          continue;
        }
        const g = m / sum;
        gamma[h] = g;
        for (let j = from; j < to; j++) {
          const c = ak[j];
          const own = c === 0 ? 0 : c - (c === 1 ? e1 : c === 2 ? e2 : e3);
          pk[j] = own / sum + g * lowerP[suf[j]];
        }
      }
      this.#child.push(child);
      this.#gamma.push(gamma);
      this.#words.push(words[k - 1]);
      this.#prob.push(pk);
    }
  }

  /** The child of node `node` (order `k`) whose last id is `w`, or -1. */
  #find(k: number, node: number, w: number): number {
    const child = this.#child[k - 1], words = this.#words[k];
    let lo = child[node], hi = child[node + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const x = words[mid];
      if (x === w) return mid;
      if (x < w) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /** The node of the n-gram `ctx[from..to)`, or -1. */
  #node(ctx: Int32Array, from: number, to: number): number {
    const first = ctx[from];
    if (first < 0 || first >= this.#U) return -1;
    let node = first;
    for (let i = from + 1; i < to && node >= 0; i++) node = this.#find(i - from, node, ctx[i]);
    return node;
  }

  /** `P(w | ctx[0..len))` using its last `N - 1` ids; `w` is an id of the vocabulary or -1. */
  #p(w: number, ctx: Int32Array, len: number): number {
    let p = w >= 0 ? this.#prob[0][w] : this.#gamma0 / this.vocabSize;
    const base = Math.max(0, len - (this.order - 1));
    for (let j = len - 1; j >= base; j--) {
      const k = len - j; // the history ctx[j..len) has order k
      const h = this.#node(ctx, j, len);
      if (h < 0) break; // a longer history contains this one, so it is not stored either
      const c = w >= 0 ? this.#find(k, h, w) : -1;
      p = c >= 0 ? this.#prob[k][c] : p * this.#gamma[k - 1][h];
    }
    return p;
  }

  /** An id as scored: itself if in the vocabulary, else `<unk>` or -1 (unknown). */
  #known(id: number): number {
    return id >= 0 && id < this.vocabSize ? id : this.#unk;
  }

  /** Copies the last `N - 1` ids of `history` into the reused context; returns its length. */
  #setContext(history: ArrayLike<number>): number {
    const n = Math.min(history.length, this.order - 1);
    for (let i = 0; i < n; i++) {
      const id = history[history.length - n + i];
      this.#ctx[i] = id === this.bos && id >= 0 ? id : this.#known(id);
    }
    return n;
  }

  logProb(word: number, history: ArrayLike<number>): number {
    const len = this.#setContext(history);
    return Math.log(this.#p(this.#known(word), this.#ctx, len));
  }

  probabilities(history: ArrayLike<number>, out?: Float64Array): Float64Array {
    const V = this.vocabSize;
    const res = out ?? new Float64Array(V);
    if (res.length !== V) {
      throw new UserError(`the output array must have the vocabulary size ${V}; got ${res.length}`);
    }
    const len = this.#setContext(history), ctx = this.#ctx;
    res.set(this.#prob[0].subarray(0, V));
    for (let j = len - 1; j >= 0; j--) {
      const k = len - j;
      const h = this.#node(ctx, j, len);
      if (h < 0) break;
      const g = this.#gamma[k - 1][h];
      for (let w = 0; w < V; w++) res[w] *= g;
      const child = this.#child[k - 1], words = this.#words[k], prob = this.#prob[k];
      for (let c = child[h]; c < child[h + 1]; c++) res[words[c]] = prob[c];
    }
    return res;
  }

  score(ids: Int32Array): KneserNeyScore {
    const N = this.order, ctx = this.#ctx, keep = N - 1;
    const sentence = this.bos >= 0;
    if (ids.length < (sentence ? 1 : 2)) {
      throw new UserError(
        `a text of ${ids.length} tokens has nothing to score; ` +
          `give at least ${sentence ? 1 : 2} tokens`,
      );
    }
    let len = 0, logProb = 0, oov = 0, from = 0;
    const push = (w: number) => {
      if (keep === 0) return;
      if (len === keep) {
        ctx.copyWithin(0, 1, keep);
        ctx[keep - 1] = w;
      } else ctx[len++] = w;
    };
    if (sentence) push(this.bos);
    else {
      push(this.#known(ids[0]));
      from = 1;
    }
    for (let t = from; t < ids.length; t++) {
      const id = ids[t];
      if (id < 0 || id >= this.vocabSize) oov++;
      const w = this.#known(id);
      logProb += Math.log(this.#p(w, ctx, len));
      if (sentence && w === this.#eos) {
        len = 0;
        push(this.bos);
      } else push(w);
    }
    const predictions = ids.length - from;
    return { perplexity: Math.exp(-logProb / predictions), logProb, predictions, oov };
  }

  perplexity(ids: Int32Array): number {
    return this.score(ids).perplexity;
  }

  summary(): KneserNeySummary {
    return {
      order: this.order,
      vocabSize: this.vocabSize,
      history: this.history,
      trainTokens: this.#trainTokens,
      orders: this.#orders.map((o) => ({
        ...o,
        countOfCounts: [...o.countOfCounts],
        discounts: [...o.discounts],
      })),
    };
  }
}
