/**
 * Chapter 6's improved language model: two stacked LSTMs, dropout between the layers, and the
 * output layer tied to the embedding.
 *
 * Layers: TimeEmbedding -> TimeDropout -> TimeLSTM -> TimeDropout -> TimeLSTM -> TimeDropout ->
 * TimeAffine (the embedding's `(V, D)` matrix, transposed, with a bias of its own) ->
 * TimeSoftmaxWithLoss.
 *
 * Weight tying: the shared matrix is one {@linkcode Param}, listed once in `params`. Backward
 * runs the output affine first, which overwrites `embed.W.grad` with its weight gradient; the
 * embedding's backward comes last and adds its scatter into the same buffer (`addToGrad`), so the
 * shared gradient is the sum of both uses (docs/model.md#weight-tying) without a private `(V, D)` buffer, a zeroing
 * pass or an extra addition pass.
 *
 * @module
 */

import { addMemory, type Memory } from "../core/memory.ts";
import { Param } from "../core/param.ts";
import { UserError } from "../core/errors.ts";
import type { Rng } from "../core/random.ts";
import { TimeAffine } from "../layers/affine.ts";
import { TimeDropout } from "../layers/dropout.ts";
import { initEmbedding, TimeEmbedding } from "../layers/embedding.ts";
import { TimeLSTM } from "../layers/lstm.ts";
import { TimeSoftmaxWithLoss } from "../layers/softmax_loss.ts";
import type { LanguageModel } from "./model.ts";

/** Sizes and dropout ratio of {@linkcode BetterRnnlm}. */
export interface BetterRnnlmConfig {
  /** Vocabulary size `V`. */
  vocabSize: number;
  /** Word-vector size `D` (must equal `hiddenSize`: the output layer is tied to the embedding). */
  wordvecSize: number;
  /** Hidden size `H`. */
  hiddenSize: number;
  /** Dropout ratio of the three dropout layers; default 0.5. */
  dropout?: number;
}

/**
 * The two-layer LSTM language model with dropout and weight tying. Parameters (docs/model.md#initialisation, drawn
 * from `rng` in this order): `embed.W (V, D)`, `lstm0.Wx (D, 4H)`, `lstm0.Wh (H, 4H)`, `lstm0.b`,
 * `lstm1.Wx (H, 4H)`, `lstm1.Wh (H, 4H)`, `lstm1.b`, `affine.b (V)`. The dropout masks are then
 * drawn from the same `rng`, which the model keeps.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@rnnlab/rnnlab";
 * import { BetterRnnlm } from "@rnnlab/rnnlab";
 * const config = { vocabSize: 20, wordvecSize: 8, hiddenSize: 8, dropout: 0.5 };
 * const model = new BetterRnnlm(config, new Rng(0));
 * const xs = new Int32Array(3 * 2).fill(1), ts = new Int32Array(3 * 2).fill(2); // T=3, N=2
 * const loss = model.forward(xs, ts, 2, 3, true); // dropout on
 * model.backward(); // embed.W.grad = output layer's part + embedding's part
 * assert.equal(model.params.length, 8);
 * assert.equal(model.getState().length, 4);
 * ```
 */
export class BetterRnnlm implements LanguageModel {
  /**
   * What the model holds for `config` and batches of `N` streams by `T` steps, in bytes; the
   * dropout buffers only when `train` (evaluation passes values through).
   */
  static memory(config: BetterRnnlmConfig, N: number, T: number, train = true): Memory {
    const { vocabSize: V, wordvecSize: D, hiddenSize: H } = config;
    const R = N * T;
    const dropout = (
      size: number,
    ) => (train ? TimeDropout.memory(size) : { params: 0, activations: 0 });
    return addMemory(
      TimeEmbedding.memory(V, D, R),
      dropout(R * D),
      TimeLSTM.memory(D, H, N, T),
      dropout(R * H),
      TimeLSTM.memory(H, H, N, T),
      dropout(R * H),
      TimeAffine.memory(H, V, R, true),
    );
  }

  /** `[embed.W, lstm0.Wx, lstm0.Wh, lstm0.b, lstm1.Wx, lstm1.Wh, lstm1.b, affine.b]`. */
  readonly params: Param[];
  /** Vocabulary size. */
  readonly V: number;
  /** The layers, in order. */
  readonly embed: TimeEmbedding;
  /** The dropout layers after the embedding, after the first LSTM and after the second. */
  readonly dropouts: [TimeDropout, TimeDropout, TimeDropout];
  /** The two stacked stateful LSTMs, `lstm0 (D → H)` and `lstm1 (H → H)`. */
  readonly lstms: [TimeLSTM, TimeLSTM];
  /** The output layer: the embedding's `(V, D)` matrix used transposed, plus `affine.b (V)`. */
  readonly affine: TimeAffine;
  /** Softmax with cross-entropy over the scores. */
  readonly loss: TimeSoftmaxWithLoss;

  /**
   * Builds the model for the sizes in `config`, drawing weights and then dropout masks from `rng`.
   * Throws a {@linkcode UserError} when `wordvecSize` differs from `hiddenSize`.
   */
  constructor(config: BetterRnnlmConfig, rng: Rng) {
    const { vocabSize: V, wordvecSize: D, hiddenSize: H } = config;
    const ratio = config.dropout ?? 0.5;
    if (D !== H) {
      throw new UserError(
        `BetterRnnlm ties its output layer to the embedding, so wordvecSize (${D}) must equal hiddenSize (${H})`,
      );
    }
    this.V = V;
    const W = initEmbedding("embed.W", V, D, rng);
    this.embed = new TimeEmbedding("embed", W, { addToGrad: true });
    this.lstms = [
      new TimeLSTM("lstm0", D, H, rng, { stateful: true }),
      new TimeLSTM("lstm1", H, H, rng, { stateful: true }),
    ];
    const b = new Param("affine.b", [V]);
    this.affine = new TimeAffine("affine", W, b, { transposed: true });
    this.dropouts = [
      new TimeDropout(ratio, rng),
      new TimeDropout(ratio, rng),
      new TimeDropout(ratio, rng),
    ];
    this.loss = new TimeSoftmaxWithLoss();
    this.params = [W, ...this.lstms[0].params, ...this.lstms[1].params, b];
  }

  #scores(xs: Int32Array, N: number, T: number, train: boolean): Float32Array {
    const rows = N * T;
    const [d0, d1, d2] = this.dropouts;
    let h = this.embed.forward(xs, rows); // (T*N, D)
    h = d0.forward(h, train);
    h = this.lstms[0].forward(h, N, T); // (T*N, H)
    h = d1.forward(h, train);
    h = this.lstms[1].forward(h, N, T); // (T*N, H)
    h = d2.forward(h, train);
    return this.affine.forward(h, rows); // (T*N, V)
  }

  /** Mean loss over the rows whose target is not -1; `train` turns dropout on. */
  forward(
    xs: Int32Array,
    ts: Int32Array,
    batchSize: number,
    timeSize: number,
    train: boolean,
  ): number {
    const scores = this.#scores(xs, batchSize, timeSize, train);
    return this.loss.forward(scores, ts, batchSize * timeSize, this.V, train);
  }

  /** Overwrites every `param.grad`; the tied `embed.W.grad` gets both contributions. */
  backward(): void {
    const [d0, d1, d2] = this.dropouts;
    let d = this.loss.backward(); // (T*N, V)
    d = this.affine.backward(d); // (T*N, H); overwrites embed.W.grad with the output layer's part
    d = d2.backward(d);
    d = this.lstms[1].backward(d); // (T*N, H)
    d = d1.backward(d);
    d = this.lstms[0].backward(d); // (T*N, D)
    d = d0.backward(d);
    this.embed.backward(d); // + the embedding's scatter-add
  }

  /** Scores `(T*N, V)` in a reused buffer, dropout off. */
  predict(xs: Int32Array, batchSize: number, timeSize: number): Float32Array {
    return this.#scores(xs, batchSize, timeSize, false);
  }

  /** Forgets both LSTMs' carried `h` and `c`. */
  resetState(): void {
    for (const l of this.lstms) l.resetState();
  }

  /** `[h0, c0, h1, c1]` (copies, `(N, H)` each), or `[]` before the first forward. */
  getState(): Float32Array[] {
    const s0 = this.lstms[0].getState(), s1 = this.lstms[1].getState();
    return s0.length === 0 || s1.length === 0 ? [] : [...s0, ...s1];
  }

  /** Restores `[h0, c0, h1, c1]`; `[]` resets. */
  setState(state: Float32Array[]): void {
    if (state.length === 0) return this.resetState();
    if (state.length !== 4) throw new Error("BetterRnnlm.setState: expected [h0, c0, h1, c1]");
    this.lstms[0].setState(state.slice(0, 2));
    this.lstms[1].setState(state.slice(2, 4));
  }
}
