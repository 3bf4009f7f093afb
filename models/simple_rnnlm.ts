/**
 * Chapter 5's language model: TimeEmbedding -> TimeRNN -> TimeAffine -> TimeSoftmaxWithLoss.
 *
 * @module
 */

import type { Param } from "../core/param.ts";
import type { Rng } from "../core/random.ts";
import { initAffine, TimeAffine } from "../layers/affine.ts";
import { initEmbedding, TimeEmbedding } from "../layers/embedding.ts";
import { TimeRNN } from "../layers/rnn.ts";
import { TimeSoftmaxWithLoss } from "../layers/softmax_loss.ts";
import type { LanguageModel } from "./model.ts";

/**
 * The simple RNN language model. Parameters (SPEC §4, drawn from `rng` in this order):
 * `embed.W (V, D)`, `rnn.Wx (D, H)`, `rnn.Wh (H, H)`, `rnn.b (H)`, `affine.W (H, V)`,
 * `affine.b (V)`.
 *
 * @example
 * ```ts
 * import { Rng } from "../core/random.ts";
 * import { SimpleRnnlm } from "./simple_rnnlm.ts";
 * const model = new SimpleRnnlm(20, 8, 8, new Rng(0));
 * const xs = new Int32Array(2 * 3).fill(1), ts = new Int32Array(2 * 3).fill(2); // T=3, N=2
 * const loss = model.forward(xs, ts, 2, 3, true); // about log(20) at initialisation
 * model.backward();
 * ```
 */
export class SimpleRnnlm implements LanguageModel {
  /** `[embed.W, rnn.Wx, rnn.Wh, rnn.b, affine.W, affine.b]`. */
  readonly params: Param[];
  /** Vocabulary size. */
  readonly V: number;
  /** The layers, in order. */
  readonly embed: TimeEmbedding;
  readonly rnn: TimeRNN;
  readonly affine: TimeAffine;
  readonly loss: TimeSoftmaxWithLoss;

  constructor(V: number, D: number, H: number, rng: Rng) {
    this.V = V;
    this.embed = new TimeEmbedding("embed", initEmbedding("embed.W", V, D, rng));
    this.rnn = new TimeRNN("rnn", D, H, rng, { stateful: true });
    const { W, b } = initAffine("affine", H, V, rng);
    this.affine = new TimeAffine("affine", W, b);
    this.loss = new TimeSoftmaxWithLoss();
    this.params = [...this.embed.params, ...this.rnn.params, ...this.affine.params];
  }

  /** Mean loss over the rows whose target is not -1. */
  forward(
    xs: Int32Array,
    ts: Int32Array,
    batchSize: number,
    timeSize: number,
    train: boolean,
  ): number {
    const scores = this.predict(xs, batchSize, timeSize);
    return this.loss.forward(scores, ts, batchSize * timeSize, this.V, train);
  }

  /** Overwrites every `param.grad`. */
  backward(): void {
    const dscores = this.loss.backward(); // (T*N, V)
    const dhs = this.affine.backward(dscores); // (T*N, H)
    const dxs = this.rnn.backward(dhs); // (T*N, D)
    this.embed.backward(dxs);
  }

  /** Scores `(T*N, V)` in a reused buffer. */
  predict(xs: Int32Array, batchSize: number, timeSize: number): Float32Array {
    const rows = batchSize * timeSize;
    const e = this.embed.forward(xs, rows); // (T*N, D)
    const hs = this.rnn.forward(e, batchSize, timeSize); // (T*N, H)
    return this.affine.forward(hs, rows); // (T*N, V)
  }

  /** Forgets the carried hidden state. */
  resetState(): void {
    this.rnn.resetState();
  }

  /** `[h]` (a copy), or `[]` before the first forward. */
  getState(): Float32Array[] {
    const h = this.rnn.getState();
    return h ? [h] : [];
  }

  /** Restores `[h]`; `[]` resets. */
  setState(state: Float32Array[]): void {
    this.rnn.setState(state.length > 0 ? state[0] : null);
  }
}
