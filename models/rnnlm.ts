/**
 * Chapter 6's LSTM language model: TimeEmbedding → TimeLSTM → TimeAffine → TimeSoftmaxWithLoss.
 *
 * @module
 */

import { TimeAffine } from "../layers/affine.ts";
import { TimeEmbedding } from "../layers/embedding.ts";
import { addMemory, type Memory } from "../core/memory.ts";
import type { Rng } from "../core/random.ts";
import { TimeLSTM } from "../layers/lstm.ts";
import { type RnnlmConfig, SingleLayerLm } from "./single_layer_lm.ts";

export type { RnnlmConfig } from "./single_layer_lm.ts";

/**
 * The LSTM language model. Parameters (docs/model.md#initialisation, drawn from `rng` in this order):
 * `embed.W (V, D)`, `lstm.Wx (D, 4H)`, `lstm.Wh (H, 4H)`, `lstm.b (4H)`, `affine.W (H, V)`,
 * `affine.b (V)`. The LSTM is stateful: `h` and `c` carry from batch to batch.
 *
 * @example
 * ```ts
 * import { Rng } from "@rnnlab/rnnlab";
 * import { Rnnlm } from "@rnnlab/rnnlab";
 * const model = new Rnnlm({ vocabSize: 20, wordvecSize: 8, hiddenSize: 8 }, new Rng(0));
 * const xs = new Int32Array(3 * 2).fill(1), ts = new Int32Array(3 * 2).fill(2); // T=3, N=2
 * const loss = model.forward(xs, ts, 2, 3, true); // about log(20) at initialisation
 * model.backward();
 * const [h, c] = model.getState(); // (N, H) each
 * ```
 */
export class Rnnlm extends SingleLayerLm<TimeLSTM> {
  /** What the model holds for `config` and batches of `N` streams by `T` steps, in bytes. */
  static memory(config: RnnlmConfig, N: number, T: number): Memory {
    const { vocabSize: V, wordvecSize: D, hiddenSize: H } = config;
    return addMemory(
      TimeEmbedding.memory(V, D, N * T),
      TimeLSTM.memory(D, H, N, T),
      TimeAffine.memory(H, V, N * T),
    );
  }

  /** Builds the model for the sizes in `config`, drawing the weights from `rng`. */
  constructor(config: RnnlmConfig, rng: Rng) {
    super(config, rng, (D, H, r) => new TimeLSTM("lstm", D, H, r, { stateful: true }));
  }

  /** The LSTM layer. */
  get lstm(): TimeLSTM {
    return this.recurrent;
  }
}
