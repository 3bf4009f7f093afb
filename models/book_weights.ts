/**
 * The book's published trained weights of chapter 6's `Rnnlm` (`ch06/Rnnlm.pkl` of *Deep
 * Learning from Scratch 2*), loaded into rnnlab's {@linkcode Rnnlm}.
 *
 * The file is a pickled list of six float16 NumPy arrays in the order of the book's
 * `Rnnlm.params`. They map one to one, with no transpose, onto rnnlab's parameters, which follow
 * the same order and the same layouts:
 *
 * | # | book (`ch06/rnnlm.py`) | rnnlab | shape |
 * |---|---|---|---|
 * | 0 | `embed_W` | `embed.W` | `(V, D)`, row = word id |
 * | 1 | `lstm_Wx` | `lstm.Wx` | `(D, 4H)`, used as `x @ Wx` |
 * | 2 | `lstm_Wh` | `lstm.Wh` | `(H, 4H)`, used as `h @ Wh` |
 * | 3 | `lstm_b` | `lstm.b` | `(4H)` |
 * | 4 | `affine_W` | `affine.W` | `(H, V)`, used as `h @ W` |
 * | 5 | `affine_b` | `affine.b` | `(V)` |
 *
 * Both slice the LSTM's `4H` columns in the order f, g, i, o (the book's `LSTM.forward` in
 * `common/time_layers.py`; rnnlab's `layers/lstm.ts`). The word ids are the book's too: both
 * number the PTB vocabulary in order of first appearance in `ptb.train.txt` (`dataset/ptb.py`;
 * `data/vocab.ts`), so the weights score {@linkcode loadPtb}'s corpus as they are.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import type { NumpyArray } from "../data/pickle.ts";
import { readNumpyPickle } from "../data/pickle.ts";
import type { RnnlmConfig } from "./single_layer_lm.ts";
import { Rnnlm } from "./rnnlm.ts";

/** rnnlab's names of the book's `Rnnlm.params`, in the book's order. */
export const BOOK_RNNLM_PARAMS: readonly string[] = [
  "embed.W",
  "lstm.Wx",
  "lstm.Wh",
  "lstm.b",
  "affine.W",
  "affine.b",
];

/** A named float32 tensor (the same fields as a checkpoint's tensors). */
export interface NamedTensor {
  /** The rnnlab parameter it belongs to, e.g. `"lstm.Wx"`. */
  name: string;
  /** Dimensions, e.g. `[100, 400]`. */
  shape: number[];
  /** The values, row-major. */
  data: Float32Array;
}

/** The book's Rnnlm weights: the model sizes they imply and the tensors under rnnlab's names. */
export interface BookRnnlmWeights {
  /** `V`, `D` and `H` read off the shapes. */
  config: RnnlmConfig;
  /** The six tensors, named as {@linkcode BOOK_RNNLM_PARAMS}. */
  tensors: NamedTensor[];
}

/**
 * Names the arrays of a book `Rnnlm.pkl` (already read, e.g. by {@linkcode readNumpyPickle}) and
 * checks that their shapes belong to one Rnnlm; `source` names the file in errors. A different
 * number of arrays or an inconsistent shape is a one-line {@linkcode UserError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bookRnnlmWeights } from "@rnnlab/rnnlab";
 * const V = 5, D = 3, H = 2;
 * const arr = (...shape: number[]) => ({
 *   dtype: "float16" as const,
 *   shape,
 *   data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
 * });
 * const arrays = [arr(V, D), arr(D, 4 * H), arr(H, 4 * H), arr(4 * H), arr(H, V), arr(V)];
 * const { config, tensors } = bookRnnlmWeights(arrays, "tiny.pkl");
 * assert.deepEqual(config, { vocabSize: 5, wordvecSize: 3, hiddenSize: 2 });
 * assert.equal(tensors[2].name, "lstm.Wh");
 * assert.throws(() => bookRnnlmWeights(arrays.slice(1), "tiny.pkl"), /holds 5 arrays/);
 * ```
 */
export function bookRnnlmWeights(arrays: NumpyArray[], source: string): BookRnnlmWeights {
  if (arrays.length !== BOOK_RNNLM_PARAMS.length) {
    throw new UserError(
      `${source} holds ${arrays.length} arrays, not the ${BOOK_RNNLM_PARAMS.length} of the ` +
        `book's chapter 6 Rnnlm (${BOOK_RNNLM_PARAMS.join(", ")}); is it another model's weights?`,
    );
  }
  // V and D from the embedding, H from the bias; then every shape must agree with them.
  const embed = arrays[0], b = arrays[3];
  if (embed.shape.length !== 2 || b.shape.length !== 1 || b.shape[0] % 4 !== 0) {
    throw new UserError(
      `${source}: embed.W has shape [${embed.shape}] and lstm.b [${b.shape}], expected ` +
        `[V, D] and [4H]; it is not the book's Rnnlm weights`,
    );
  }
  const [V, D] = embed.shape, H = b.shape[0] / 4;
  const expected = [[V, D], [D, 4 * H], [H, 4 * H], [4 * H], [H, V], [V]];
  const symbols = ["[V, D]", "[D, 4H]", "[H, 4H]", "[4H]", "[H, V]", "[V]"];
  const tensors = arrays.map((a, i) => {
    const name = BOOK_RNNLM_PARAMS[i];
    if (a.shape.join(",") !== expected[i].join(",")) {
      throw new UserError(
        `${source}: ${name} (array ${i}) has shape [${a.shape}], expected ${symbols[i]} = ` +
          `[${expected[i]}] for V = ${V}, D = ${D}, H = ${H}; it is not the book's Rnnlm weights`,
      );
    }
    return { name, shape: [...a.shape], data: a.data };
  });
  return { config: { vocabSize: V, wordvecSize: D, hiddenSize: H }, tensors };
}

/**
 * Reads a book `Rnnlm.pkl` (its `ch06/Rnnlm.pkl`, or one its `BaseModel.save_params` wrote for
 * an `Rnnlm`): the sizes and the six tensors under rnnlab's names.
 *
 * @example
 * ```ts ignore
 * import { readBookRnnlmWeights } from "@rnnlab/rnnlab";
 * const { config, tensors } = await readBookRnnlmWeights("dlfs2/ch06/Rnnlm.pkl");
 * console.log(config); // { vocabSize: 10000, wordvecSize: 100, hiddenSize: 100 }
 * ```
 */
export async function readBookRnnlmWeights(path: string): Promise<BookRnnlmWeights> {
  return bookRnnlmWeights(await readNumpyPickle(path), path);
}

/**
 * Copies `weights` into `model`'s parameters, by name; a model of other sizes is a one-line
 * {@linkcode UserError} that says which sizes the weights need. `source` names the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bookRnnlmWeights, Rng, Rnnlm, setBookRnnlmWeights } from "@rnnlab/rnnlab";
 * const V = 5, D = 3, H = 2;
 * const arr = (...shape: number[]) => ({
 *   dtype: "float16" as const,
 *   shape,
 *   data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5),
 * });
 * const weights = bookRnnlmWeights(
 *   [arr(V, D), arr(D, 4 * H), arr(H, 4 * H), arr(4 * H), arr(H, V), arr(V)],
 *   "tiny.pkl",
 * );
 * const model = new Rnnlm(weights.config, new Rng(0));
 * setBookRnnlmWeights(model, weights, "tiny.pkl");
 * assert.ok(model.params.every((p) => p.value.every((v) => v === 0.5)));
 * const other = new Rnnlm({ vocabSize: V, wordvecSize: 4, hiddenSize: H }, new Rng(0));
 * assert.throws(() => setBookRnnlmWeights(other, weights, "tiny.pkl"), /wordvecSize 3/);
 * ```
 */
export function setBookRnnlmWeights(
  model: Rnnlm,
  weights: BookRnnlmWeights,
  source: string,
): void {
  const { vocabSize: V, wordvecSize: D, hiddenSize: H } = weights.config;
  const byName = new Map(weights.tensors.map((t) => [t.name, t]));
  for (const p of model.params) {
    const t = byName.get(p.name);
    if (t === undefined || t.shape.join(",") !== p.shape.join(",")) {
      throw new UserError(
        `${source}: ${p.name} is [${t?.shape ?? "missing"}] but the model's is [${p.shape}]; ` +
          `build the Rnnlm with vocabSize ${V}, wordvecSize ${D}, hiddenSize ${H}`,
      );
    }
  }
  for (const p of model.params) p.value.set(byName.get(p.name)!.data);
  model.resetState();
}

/**
 * Builds an {@linkcode Rnnlm} of the sizes in a book `Rnnlm.pkl` and loads its weights, ready to
 * score PTB with {@linkcode evalPerplexity} (the book's `ch06/eval.py`).
 *
 * @example
 * ```ts ignore
 * import { evalPerplexity, loadBookRnnlm, loadPtb } from "@rnnlab/rnnlab";
 * const model = await loadBookRnnlm("dlfs2/ch06/Rnnlm.pkl");
 * const ptb = await loadPtb({ splits: ["test"] });
 * console.log(evalPerplexity(model, ptb.test)); // 136.08, as the book's eval.py
 * ```
 */
export async function loadBookRnnlm(path: string): Promise<Rnnlm> {
  const weights = await readBookRnnlmWeights(path);
  // The generator only fills the weights that the file's then overwrite.
  const model = new Rnnlm(weights.config, new Rng(0));
  setBookRnnlmWeights(model, weights, path);
  return model;
}
