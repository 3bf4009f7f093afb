/**
 * The chapter 6 language model with a GRU instead of the LSTM:
 * TimeEmbedding -> TimeGRU -> TimeAffine -> TimeSoftmaxWithLoss.
 *
 * @module
 */

import type { Param } from "../core/param.ts";
import type { Rng } from "../core/random.ts";
import { initAffine, TimeAffine } from "../layers/affine.ts";
import { initEmbedding, TimeEmbedding } from "../layers/embedding.ts";
import { TimeGRU } from "../layers/gru.ts";
import { TimeSoftmaxWithLoss } from "../layers/softmax_loss.ts";
import type { LanguageModel } from "./model.ts";
import type { RnnlmConfig } from "./rnnlm.ts";

/**
 * The GRU language model. Parameters (drawn from `rng` in this order): `embed.W (V, D)`
 * `randn/100`, `gru.Wx (D, 3H)` `randn/sqrt(D)`, `gru.Wh (H, 3H)` `randn/sqrt(H)`, `gru.b (3H)`
 * zeros, `affine.W (H, V)` `randn/sqrt(H)`, `affine.b (V)` zeros. The GRU is stateful.
 *
 * @example
 * ```ts
 * import { Rng } from "../core/random.ts";
 * import { GruRnnlm } from "./gru_rnnlm.ts";
 * const model = new GruRnnlm({ vocabSize: 20, wordvecSize: 8, hiddenSize: 8 }, new Rng(0));
 * const xs = new Int32Array(3 * 2).fill(1), ts = new Int32Array(3 * 2).fill(2); // T=3, N=2
 * const loss = model.forward(xs, ts, 2, 3, true); // about log(20) at initialisation
 * model.backward();
 * const [h] = model.getState(); // (N, H)
 * ```
 */
export class GruRnnlm implements LanguageModel {
  /** `[embed.W, gru.Wx, gru.Wh, gru.b, affine.W, affine.b]`. */
  readonly params: Param[];
  /** Vocabulary size. */
  readonly V: number;
  /** The layers, in order. */
  readonly embed: TimeEmbedding;
  readonly gru: TimeGRU;
  readonly affine: TimeAffine;
  readonly loss: TimeSoftmaxWithLoss;

  constructor(config: RnnlmConfig, rng: Rng) {
    const { vocabSize: V, wordvecSize: D, hiddenSize: H } = config;
    this.V = V;
    this.embed = new TimeEmbedding("embed", initEmbedding("embed.W", V, D, rng));
    this.gru = new TimeGRU("gru", D, H, rng, { stateful: true });
    const { W, b } = initAffine("affine", H, V, rng);
    this.affine = new TimeAffine("affine", W, b);
    this.loss = new TimeSoftmaxWithLoss();
    this.params = [...this.embed.params, ...this.gru.params, ...this.affine.params];
  }

  /** Mean loss over the rows whose target is not -1. */
  forward(
    xs: Int32Array,
    ts: Int32Array,
    batchSize: number,
    timeSize: number,
    train: boolean,
  ): number {
    const scores = this.predict(xs, batchSize, timeSize); // (T*N, V)
    return this.loss.forward(scores, ts, batchSize * timeSize, this.V, train);
  }

  /** Overwrites every `param.grad`. */
  backward(): void {
    const dscores = this.loss.backward(); // (T*N, V)
    const dhs = this.affine.backward(dscores); // (T*N, H)
    const dxs = this.gru.backward(dhs); // (T*N, D)
    this.embed.backward(dxs);
  }

  /** Scores `(T*N, V)` in a reused buffer. */
  predict(xs: Int32Array, batchSize: number, timeSize: number): Float32Array {
    const rows = batchSize * timeSize;
    const e = this.embed.forward(xs, rows); // (T*N, D)
    const hs = this.gru.forward(e, batchSize, timeSize); // (T*N, H)
    return this.affine.forward(hs, rows); // (T*N, V)
  }

  /** Forgets the carried `h`. */
  resetState(): void {
    this.gru.resetState();
  }

  /** `[h]` (a copy, `(N, H)`), or `[]` before the first forward. */
  getState(): Float32Array[] {
    return this.gru.getState();
  }

  /** Restores `[h]`; `[]` resets. */
  setState(state: Float32Array[]): void {
    this.gru.setState(state);
  }
}
