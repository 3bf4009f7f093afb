/**
 * Chapter 5's language model: TimeEmbedding → TimeRNN → TimeAffine → TimeSoftmaxWithLoss.
 *
 * @module
 */

import { TimeAffine } from "../layers/affine.ts";
import { TimeEmbedding } from "../layers/embedding.ts";
import { addMemory, type Memory } from "../core/memory.ts";
import type { Rng } from "../core/random.ts";
import { TimeRNN } from "../layers/rnn.ts";
import { type RnnlmConfig, SingleLayerLm } from "./single_layer_lm.ts";

/**
 * The simple RNN language model, constructed like the book's
 * `SimpleRnnlm(vocab_size, wordvec_size, hidden_size)`. Parameters (docs/model.md#initialisation, drawn from `rng` in
 * this order): `embed.W (V, D)`, `rnn.Wx (D, H)`, `rnn.Wh (H, H)`, `rnn.b (H)`, `affine.W (H, V)`,
 * `affine.b (V)`.
 *
 * @example
 * ```ts
 * import { Rng } from "@rnnlab/rnnlab";
 * import { SimpleRnnlm } from "@rnnlab/rnnlab";
 * const model = new SimpleRnnlm(20, 8, 8, new Rng(0));
 * const xs = new Int32Array(2 * 3).fill(1), ts = new Int32Array(2 * 3).fill(2); // T=3, N=2
 * const loss = model.forward(xs, ts, 2, 3, true); // about log(20) at initialisation
 * model.backward();
 * ```
 */
export class SimpleRnnlm extends SingleLayerLm<TimeRNN> {
  /** What the model holds for `config` and batches of `N` streams by `T` steps, in bytes. */
  static memory(config: RnnlmConfig, N: number, T: number): Memory {
    const { vocabSize: V, wordvecSize: D, hiddenSize: H } = config;
    return addMemory(
      TimeEmbedding.memory(V, D, N * T),
      TimeRNN.memory(D, H, N, T),
      TimeAffine.memory(H, V, N * T),
    );
  }

  /** Builds the model with vocabulary `V`, word vectors `D` and hidden size `H`, weights from `rng`. */
  constructor(V: number, D: number, H: number, rng: Rng) {
    super(
      { vocabSize: V, wordvecSize: D, hiddenSize: H },
      rng,
      (d, h, r) => new TimeRNN("rnn", d, h, r, { stateful: true }),
    );
  }

  /** The RNN layer. */
  get rnn(): TimeRNN {
    return this.recurrent;
  }
}
