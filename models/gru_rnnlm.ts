/**
 * The chapter 6 language model with a GRU instead of the LSTM:
 * TimeEmbedding → TimeGRU → TimeAffine → TimeSoftmaxWithLoss.
 *
 * @module
 */

import { TimeAffine } from "../layers/affine.ts";
import { TimeEmbedding } from "../layers/embedding.ts";
import { addMemory, type Memory } from "../core/memory.ts";
import type { Rng } from "../core/random.ts";
import { TimeGRU } from "../layers/gru.ts";
import { type RnnlmConfig, SingleLayerLm } from "./single_layer_lm.ts";

/**
 * The GRU language model. Parameters (drawn from `rng` in this order): `embed.W (V, D)`
 * `randn/100`, `gru.Wx (D, 3H)` `randn/sqrt(D)`, `gru.Wh (H, 3H)` `randn/sqrt(H)`, `gru.b (3H)`
 * zeros, `affine.W (H, V)` `randn/sqrt(H)`, `affine.b (V)` zeros. The GRU is stateful.
 *
 * @example
 * ```ts
 * import { Rng } from "@rnnlab/rnnlab";
 * import { GruRnnlm } from "@rnnlab/rnnlab";
 * const model = new GruRnnlm({ vocabSize: 20, wordvecSize: 8, hiddenSize: 8 }, new Rng(0));
 * const xs = new Int32Array(3 * 2).fill(1), ts = new Int32Array(3 * 2).fill(2); // T=3, N=2
 * const loss = model.forward(xs, ts, 2, 3, true); // about log(20) at initialisation
 * model.backward();
 * const [h] = model.getState(); // (N, H)
 * ```
 */
export class GruRnnlm extends SingleLayerLm<TimeGRU> {
  /** What the model holds for `config` and batches of `N` streams by `T` steps, in bytes. */
  static memory(config: RnnlmConfig, N: number, T: number): Memory {
    const { vocabSize: V, wordvecSize: D, hiddenSize: H } = config;
    return addMemory(
      TimeEmbedding.memory(V, D, N * T),
      TimeGRU.memory(D, H, N, T),
      TimeAffine.memory(H, V, N * T),
    );
  }

  /** Builds the model for the sizes in `config`, drawing the weights from `rng`. */
  constructor(config: RnnlmConfig, rng: Rng) {
    super(config, rng, (D, H, r) => new TimeGRU("gru", D, H, r, { stateful: true }));
  }

  /** The GRU layer. */
  get gru(): TimeGRU {
    return this.recurrent;
  }
}
