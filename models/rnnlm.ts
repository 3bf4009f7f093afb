/**
 * Chapter 6's LSTM language model: TimeEmbedding -> TimeLSTM -> TimeAffine -> TimeSoftmaxWithLoss.
 *
 * @module
 */

import type { Param } from "../core/param.ts";
import type { Rng } from "../core/random.ts";
import { initAffine, TimeAffine } from "../layers/affine.ts";
import { initEmbedding, TimeEmbedding } from "../layers/embedding.ts";
import { TimeLSTM } from "../layers/lstm.ts";
import { TimeSoftmaxWithLoss } from "../layers/softmax_loss.ts";
import type { LanguageModel } from "./model.ts";

/** Sizes of {@linkcode Rnnlm} (and of {@linkcode GruRnnlm}). */
export interface RnnlmConfig {
  /** Vocabulary size `V`. */
  vocabSize: number;
  /** Word-vector size `D`. */
  wordvecSize: number;
  /** Hidden size `H`. */
  hiddenSize: number;
}

/**
 * The LSTM language model. Parameters (SPEC §4, drawn from `rng` in this order):
 * `embed.W (V, D)`, `lstm.Wx (D, 4H)`, `lstm.Wh (H, 4H)`, `lstm.b (4H)`, `affine.W (H, V)`,
 * `affine.b (V)`. The LSTM is stateful: `h` and `c` carry from batch to batch.
 *
 * @example
 * ```ts
 * import { Rng } from "../core/random.ts";
 * import { Rnnlm } from "./rnnlm.ts";
 * const model = new Rnnlm({ vocabSize: 20, wordvecSize: 8, hiddenSize: 8 }, new Rng(0));
 * const xs = new Int32Array(3 * 2).fill(1), ts = new Int32Array(3 * 2).fill(2); // T=3, N=2
 * const loss = model.forward(xs, ts, 2, 3, true); // about log(20) at initialisation
 * model.backward();
 * const [h, c] = model.getState(); // (N, H) each
 * ```
 */
export class Rnnlm implements LanguageModel {
  /** `[embed.W, lstm.Wx, lstm.Wh, lstm.b, affine.W, affine.b]`. */
  readonly params: Param[];
  /** Vocabulary size. */
  readonly V: number;
  /** The layers, in order. */
  readonly embed: TimeEmbedding;
  readonly lstm: TimeLSTM;
  readonly affine: TimeAffine;
  readonly loss: TimeSoftmaxWithLoss;

  constructor(config: RnnlmConfig, rng: Rng) {
    const { vocabSize: V, wordvecSize: D, hiddenSize: H } = config;
    this.V = V;
    this.embed = new TimeEmbedding("embed", initEmbedding("embed.W", V, D, rng));
    this.lstm = new TimeLSTM("lstm", D, H, rng, { stateful: true });
    const { W, b } = initAffine("affine", H, V, rng);
    this.affine = new TimeAffine("affine", W, b);
    this.loss = new TimeSoftmaxWithLoss();
    this.params = [...this.embed.params, ...this.lstm.params, ...this.affine.params];
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
    const dxs = this.lstm.backward(dhs); // (T*N, D)
    this.embed.backward(dxs);
  }

  /** Scores `(T*N, V)` in a reused buffer. */
  predict(xs: Int32Array, batchSize: number, timeSize: number): Float32Array {
    const rows = batchSize * timeSize;
    const e = this.embed.forward(xs, rows); // (T*N, D)
    const hs = this.lstm.forward(e, batchSize, timeSize); // (T*N, H)
    return this.affine.forward(hs, rows); // (T*N, V)
  }

  /** Forgets the carried `h` and `c`. */
  resetState(): void {
    this.lstm.resetState();
  }

  /** `[h, c]` (copies, `(N, H)` each), or `[]` before the first forward. */
  getState(): Float32Array[] {
    return this.lstm.getState();
  }

  /** Restores `[h, c]`; `[]` resets. */
  setState(state: Float32Array[]): void {
    this.lstm.setState(state);
  }
}
