/**
 * The shape shared by chapter 5's and chapter 6's one-layer models:
 * TimeEmbedding → one recurrent layer (RNN, LSTM or GRU) → TimeAffine → TimeSoftmaxWithLoss.
 * {@linkcode SimpleRnnlm}, {@linkcode Rnnlm} and {@linkcode GruRnnlm} differ only in the
 * recurrent layer they build.
 *
 * @module
 */

import type { Param } from "../core/param.ts";
import type { Rng } from "../core/random.ts";
import { initAffine, TimeAffine } from "../layers/affine.ts";
import { initEmbedding, TimeEmbedding } from "../layers/embedding.ts";
import { TimeSoftmaxWithLoss } from "../layers/softmax_loss.ts";
import type { LanguageModel } from "./model.ts";

/** What a Time recurrent layer (TimeRNN, TimeLSTM, TimeGRU) offers a model. */
export interface RecurrentLayer {
  /** The layer's parameters, e.g. `[Wx, Wh, b]`. */
  readonly params: Param[];
  /** `x (T*N, D)` → `hs (T*N, H)`, carrying the state across calls. */
  forward(x: Float32Array, batchSize: number, timeSize: number): Float32Array;
  /** `dhs (T*N, H)` → `dxs (T*N, D)`; writes the layer's gradients in place. */
  backward(dhs: Float32Array): Float32Array;
  /** Forgets the carried state, so the next `forward` starts from zeros. */
  resetState(): void;
  /** The carried state (copies, each `(N, H)`), or `[]` when there is none. */
  getState(): Float32Array[];
  /** Restores a state from `getState`; `[]` resets. */
  setState(state: Float32Array[]): void;
}

/** Sizes of a one-layer language model. */
export interface RnnlmConfig {
  /** Vocabulary size `V`. */
  vocabSize: number;
  /** Word-vector size `D`. */
  wordvecSize: number;
  /** Hidden size `H`. */
  hiddenSize: number;
}

/**
 * Embedding → `recurrent` → Affine → softmax loss. Parameters are drawn from `rng` in layer
 * order: `embed.W (V, D)` `randn/100`, the recurrent layer's (drawn by `makeRecurrent`), then
 * `affine.W (H, V)` `randn/sqrt(H)` and `affine.b (V)` zeros (docs/model.md#initialisation).
 *
 * @example
 * ```ts
 * import { Rng } from "@rnnlab/rnnlab";
 * import { TimeRNN } from "@rnnlab/rnnlab";
 * import { SingleLayerLm } from "@rnnlab/rnnlab";
 * const model = new SingleLayerLm(
 *   { vocabSize: 20, wordvecSize: 8, hiddenSize: 8 },
 *   new Rng(0),
 *   (D, H, rng) => new TimeRNN("rnn", D, H, rng, { stateful: true }),
 * );
 * const xs = new Int32Array(6).fill(1), ts = new Int32Array(6).fill(2); // T=3, N=2
 * const loss = model.forward(xs, ts, 2, 3, true); // about log(20) at initialisation
 * model.backward();
 * ```
 */
export class SingleLayerLm<R extends RecurrentLayer = RecurrentLayer> implements LanguageModel {
  /** `[embed.W, <recurrent params>, affine.W, affine.b]`. */
  readonly params: Param[];
  /** Vocabulary size. */
  readonly V: number;
  /** The layers, in order. */
  readonly embed: TimeEmbedding;
  /** The recurrent layer built by `makeRecurrent`, `(T*N, D)` → `(T*N, H)`. */
  readonly recurrent: R;
  /** The output layer, `(T*N, H)` → scores `(T*N, V)`. */
  readonly affine: TimeAffine;
  /** Softmax with cross-entropy over the scores. */
  readonly loss: TimeSoftmaxWithLoss;

  /**
   * Builds the layers for the sizes in `config`, drawing the weights from `rng` in layer order;
   * `makeRecurrent(D, H, rng)` builds the recurrent layer.
   */
  constructor(config: RnnlmConfig, rng: Rng, makeRecurrent: (D: number, H: number, rng: Rng) => R) {
    const { vocabSize: V, wordvecSize: D, hiddenSize: H } = config;
    this.V = V;
    this.embed = new TimeEmbedding("embed", initEmbedding("embed.W", V, D, rng));
    this.recurrent = makeRecurrent(D, H, rng);
    const { W, b } = initAffine("affine", H, V, rng);
    this.affine = new TimeAffine("affine", W, b);
    this.loss = new TimeSoftmaxWithLoss();
    this.params = [...this.embed.params, ...this.recurrent.params, ...this.affine.params];
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
    const dxs = this.recurrent.backward(dhs); // (T*N, D)
    this.embed.backward(dxs);
  }

  /** Scores `(T*N, V)` in a reused buffer. */
  predict(xs: Int32Array, batchSize: number, timeSize: number): Float32Array {
    const rows = batchSize * timeSize;
    const e = this.embed.forward(xs, rows); // (T*N, D)
    const hs = this.recurrent.forward(e, batchSize, timeSize); // (T*N, H)
    return this.affine.forward(hs, rows); // (T*N, V)
  }

  /** Forgets the carried state. */
  resetState(): void {
    this.recurrent.resetState();
  }

  /** The recurrent layer's carried state (copies), or `[]` before the first forward. */
  getState(): Float32Array[] {
    return this.recurrent.getState();
  }

  /** Restores a state from {@linkcode SingleLayerLm.getState}; `[]` resets. */
  setState(state: Float32Array[]): void {
    this.recurrent.setState(state);
  }
}
