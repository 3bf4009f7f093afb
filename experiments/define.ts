/**
 * How an experiment is declared: typed hyperparameters with defaults and allowed ranges, a seed,
 * the book's reference figure, the data it trains on, the model it builds and its training plan.
 *
 * An experiment file is declarative; {@linkcode resolveHyperparameters} checks a user's overrides
 * against the declaration and the runner does the rest. {@linkcode defineExperiment} types the
 * functions' `hp` argument from the declared hyperparameters, so an experiment reads `hp.lr` as a
 * number and `hp.wrap` as a boolean without casts.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import type { Rng } from "../core/random.ts";
import type { Memory } from "../core/memory.ts";
import type { LanguageModel } from "../models/model.ts";
import type { TrainPlan } from "../training/plan.ts";
import type { NgramHistory } from "../models/kneser_ney.ts";

/** A numeric hyperparameter: an integer or any number, with its default and allowed range. */
export interface NumberSpec {
  /** `"int"` for integers, `"number"` for any finite number. */
  type: "int" | "number";
  /** The value used when the command line does not give one. */
  default: number;
  /** Smallest allowed value. */
  min?: number;
  /** When true, `min` itself is not allowed (e.g. a learning rate must be > 0). */
  minExclusive?: boolean;
  /** Largest allowed value. */
  max?: number;
  /** One line for `--help`. */
  help: string;
}

/** A boolean hyperparameter (`--wrap false`). */
export interface BooleanSpec {
  /** Always `"boolean"`. */
  type: "boolean";
  /** The value used when the command line does not give one. */
  default: boolean;
  /** One line for `--help`. */
  help: string;
}

/** One hyperparameter's type, default and allowed range. */
export type HyperSpec = NumberSpec | BooleanSpec;

/** The hyperparameters an experiment accepts, by snake_case key. */
export type HyperSpecs = Record<string, HyperSpec>;

/** The value type of a spec: `boolean` for a {@linkcode BooleanSpec}, else `number`. */
export type HyperValue<S> = S extends BooleanSpec ? boolean : number;

/** Resolved values of declared specs `S`, typed key by key. */
export type Resolved<S> = { [K in keyof S]: HyperValue<S[K]> };

/** Resolved hyperparameters: key → value. Keys are snake_case; the command line uses kebab-case. */
export type Hyperparameters = Record<string, number | boolean>;

/**
 * What the book's own code reached over several seeds: the values per seed of the training
 * perplexity at some epochs (`train_ppl`), or of the test perplexity at the end (`test_ppl`).
 * A run is judged against their range; a seed group against their distribution.
 */
export interface BookDistribution {
  /** `"train_ppl"` (per epoch, `epochs`) or `"test_ppl"` (`values`). */
  metric: "train_ppl" | "test_ppl";
  /** For `train_ppl`: epoch → the value of each seed. */
  epochs?: Record<number, number[]>;
  /** For `test_ppl`: the value of each seed. */
  values?: number[];
  /** Where the figures come from (a section of docs/references.md). */
  source: string;
}

/**
 * The book's figure an experiment should reproduce. With `distribution`, the book code's seeds;
 * otherwise a single figure and the band that counts as reproducing it (`metric`, `band`).
 */
export interface ReferenceFigure {
  /** Which summary metric is compared, e.g. `"final_train_ppl"` or `"test_ppl"`. */
  metric: "final_train_ppl" | "test_ppl" | "test_ppl_best";
  /** Inclusive band `[low, high]` of values that reproduce the figure (the book's range, with a distribution). */
  band: [number, number];
  /** Where the figure comes from. */
  source: string;
  /** The book code's seeds, when they are known. */
  distribution?: BookDistribution;
}

/** Which corpus an experiment reads. */
export interface DataSpec {
  /**
   * The corpus to train on: PTB, or the fourteen Soseki novels segmented by MeCab (built in
   * memory at the start of every run, from `--data-dir`, `AOZORA_DIR` or the `data/aozora` cache).
   * A `--corpus` on the command line replaces it.
   */
  corpus: "ptb" | "soseki";
  /** Train on only the first this many training tokens (chapter 5's small experiment). */
  trainTokens?: number;
  /** Keep this many words, the rest `<unk>` (`data/vocab_cap.ts`); `--vocab-size` replaces it. */
  vocabSize?: number;
}

/** What every experiment declares, whatever it trains, typed by its hyperparameters `S`. */
export interface ExperimentBase<S extends HyperSpecs = HyperSpecs> {
  /** File name without `.ts`, e.g. `"ch05_simple_rnnlm"`. */
  name: string;
  /** One line for listings. */
  title: string;
  /** The default seed (overridable with `--seed`). */
  seed: number;
  /** The hyperparameters it accepts, by snake_case key. */
  hyperparameters: S;
  /**
   * The figure the run should reproduce, or null when there is none. It applies to runs of the
   * reference configuration only: the defaults (fewer epochs allowed) on PTB.
   */
  reference: ReferenceFigure | null;
  /**
   * The epochs at which runs are compared with each other and with the book (`reproduce`, seed
   * groups); every epoch when absent.
   */
  checkpoints?: number[];
  /** Which corpus to train on, given the resolved hyperparameters. */
  data(hp: Resolved<S>): DataSpec;
}

/** A neural experiment: a model trained by SGD under a plan, its functions typed by `S`. */
export interface Experiment<S extends HyperSpecs = HyperSpecs> extends ExperimentBase<S> {
  /** Absent (or `"neural"`) for a trained network. */
  kind?: "neural";
  /** Builds the model for a vocabulary of `vocabSize` words, drawing its initial weights from `rng`. */
  model(hp: Resolved<S>, vocabSize: number, rng: Rng): LanguageModel;
  /**
   * What that model holds, in bytes, for batches of `N` streams by `T` steps, training (`train`)
   * or evaluating (the model class's own `memory`): how a run knows, before it allocates
   * anything, whether it fits.
   */
  memory(hp: Resolved<S>, vocabSize: number, N: number, T: number, train: boolean): Memory;
  /** The training plan, given the resolved hyperparameters. */
  plan(hp: Resolved<S>): TrainPlan;
}

/**
 * A count-based experiment: an interpolated modified Kneser-Ney n-gram model counted from the
 * training tokens and scored on valid and test, in seconds (no epochs, no checkpoints).
 */
export interface NgramExperiment<S extends HyperSpecs = HyperSpecs> extends ExperimentBase<S> {
  /** Always `"ngram"`. */
  kind: "ngram";
  /** The model's order and history convention, given the resolved hyperparameters. */
  ngram(hp: Resolved<S>): { order: number; history: NgramHistory };
}

/** Any experiment the registry holds. */
export type AnyExperiment = Experiment | NgramExperiment;

/**
 * Gives an experiment file its type checking: `hp` in `data`, `model` and `plan` is typed from the
 * declared `hyperparameters`. Returns the declaration as the runner sees it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { basicPlan, defineExperiment, resolveHyperparameters, SimpleRnnlm } from "@rnnlab/rnnlab";
 * const tiny = defineExperiment({
 *   name: "tiny",
 *   title: "a tiny SimpleRnnlm",
 *   seed: 1,
 *   hyperparameters: {
 *     hidden_size: { type: "int", default: 8, min: 1, help: "hidden size (H)" },
 *     lr: { type: "number", default: 0.1, min: 0, minExclusive: true, help: "SGD learning rate" },
 *   },
 *   reference: null,
 *   data: () => ({ corpus: "ptb", trainTokens: 1000 }),
 *   model: (hp, V, rng) => new SimpleRnnlm(V, hp.hidden_size, hp.hidden_size, rng),
 *   memory: (hp, V, N, T) =>
 *     SimpleRnnlm.memory({ vocabSize: V, wordvecSize: hp.hidden_size, hiddenSize: hp.hidden_size }, N, T),
 *   plan: (hp) => basicPlan({ batchSize: 10, timeSize: 5, lr: hp.lr, maxEpoch: 1 }),
 * });
 * assert.equal(tiny.plan(resolveHyperparameters(tiny, { lr: "0.5" })).lr, 0.5);
 * ```
 */
export function defineExperiment<const S extends HyperSpecs>(e: Experiment<S>): Experiment {
  return e as unknown as Experiment;
}

/**
 * Gives a count-based experiment file its type checking, as {@linkcode defineExperiment} does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineNgramExperiment, resolveHyperparameters } from "@rnnlab/rnnlab";
 * const kn3 = defineNgramExperiment({
 *   kind: "ngram",
 *   name: "kn3",
 *   title: "a Kneser-Ney trigram",
 *   seed: 1,
 *   hyperparameters: { order: { type: "int", default: 3, min: 1, max: 9, help: "order" } },
 *   reference: null,
 *   data: () => ({ corpus: "ptb" }),
 *   ngram: (hp) => ({ order: hp.order, history: "stream" }),
 * });
 * assert.equal(kn3.ngram(resolveHyperparameters(kn3, { order: "4" })).order, 4);
 * ```
 */
export function defineNgramExperiment<const S extends HyperSpecs>(
  e: NgramExperiment<S>,
): NgramExperiment {
  return e as unknown as NgramExperiment;
}

/**
 * The command-line spelling of a key: `hidden_size` → `--hidden-size`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagName } from "@rnnlab/rnnlab";
 * assert.equal(flagName("hidden_size"), "--hidden-size");
 * ```
 */
export function flagName(key: string): string {
  return "--" + key.replaceAll("_", "-");
}

/**
 * The command-line options of an experiment's hyperparameters, as `parseArgs` takes them: one
 * string option per key, spelled as {@linkcode flagName} spells it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hyperparameterOptions, loadExperiment } from "@rnnlab/rnnlab";
 * const options = hyperparameterOptions(loadExperiment("ch06_rnnlm").experiment);
 * assert.deepEqual(options["hidden-size"], { type: "string" });
 * ```
 */
export function hyperparameterOptions(
  e: Pick<ExperimentBase, "hyperparameters">,
): Record<string, { type: "string" }> {
  return Object.fromEntries(
    Object.keys(e.hyperparameters).map((k) => [flagName(k).slice(2), { type: "string" as const }]),
  );
}

/**
 * The hyperparameters given among parsed command-line `values`, as typed, by snake_case key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { givenHyperparameters, loadExperiment } from "@rnnlab/rnnlab";
 * const { experiment } = loadExperiment("ch06_rnnlm");
 * const values = { "hidden-size": "200", quiet: true, lr: "10" };
 * assert.deepEqual(givenHyperparameters(experiment, values), { lr: "10", hidden_size: "200" });
 * ```
 */
export function givenHyperparameters(
  e: Pick<ExperimentBase, "hyperparameters">,
  values: Record<string, string | boolean | undefined>,
): Record<string, string> {
  const given: Record<string, string> = {};
  for (const k of Object.keys(e.hyperparameters)) {
    const v = values[flagName(k).slice(2)];
    if (typeof v === "string") given[k] = v;
  }
  return given;
}

/**
 * Describes the allowed values of a spec, e.g. `"a number > 0"`, `"an integer in [1, 1000]"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeRange } from "@rnnlab/rnnlab";
 * assert.equal(describeRange({ type: "int", default: 1, min: 1, max: 9, help: "" }), "an integer in [1, 9]");
 * ```
 */
export function describeRange(spec: HyperSpec): string {
  if (spec.type === "boolean") return "true or false";
  const kind = spec.type === "int" ? "an integer" : "a number";
  const lo = spec.min, hi = spec.max;
  if (lo !== undefined && hi !== undefined) {
    return `${kind} in ${spec.minExclusive ? "(" : "["}${lo}, ${hi}]`;
  }
  if (lo !== undefined) return `${kind} ${spec.minExclusive ? ">" : ">="} ${lo}`;
  if (hi !== undefined) return `${kind} <= ${hi}`;
  return kind;
}

/** Plain decimal notation: `12`, `-0.5`, `.25`, `1e-3`; not `0x10`, `Infinity` or `1_000`. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses one override value against its spec; throws a {@linkcode UserError} naming the key and
 * the allowed range when it does not fit. Numbers must be written in decimal (`0x3` is refused,
 * not read as 3).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseValue, UserError } from "@rnnlab/rnnlab";
 * const spec = { type: "int", default: 4, min: 1, max: 1000, help: "epochs" } as const;
 * assert.equal(parseValue("max_epoch", spec, "12"), 12);
 * assert.throws(() => parseValue("max_epoch", spec, "0x3"), UserError);
 * ```
 */
export function parseValue(key: string, spec: HyperSpec, raw: string): number | boolean {
  const bad = () =>
    new UserError(`${flagName(key)} ${raw}: must be ${describeRange(spec)} (${spec.help})`);
  if (spec.type === "boolean") {
    if (raw === "true" || raw === "1" || raw === "") return true;
    if (raw === "false" || raw === "0") return false;
    throw bad();
  }
  if (!DECIMAL.test(raw)) throw bad();
  const v = Number(raw);
  if (!Number.isFinite(v)) throw bad();
  if (spec.type === "int" && !Number.isInteger(v)) throw bad();
  if (spec.min !== undefined && (v < spec.min || (spec.minExclusive && v === spec.min))) {
    throw bad();
  }
  if (spec.max !== undefined && v > spec.max) throw bad();
  return v;
}

/**
 * The experiment's defaults with `overrides` (raw strings keyed by snake_case) applied and
 * checked. An unknown key is an error that lists the valid ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment, resolveHyperparameters } from "@rnnlab/rnnlab";
 * const ch05 = loadExperiment("ch05_simple_rnnlm").experiment;
 * const hp = resolveHyperparameters(ch05, { lr: "0.05" });
 * assert.equal(hp.lr, 0.05);
 * assert.equal(hp.hidden_size, 100);
 * ```
 */
export function resolveHyperparameters(
  experiment: ExperimentBase,
  overrides: Record<string, string>,
): Hyperparameters {
  const hp: Hyperparameters = {};
  for (const [k, spec] of Object.entries(experiment.hyperparameters)) hp[k] = spec.default;
  for (const [k, raw] of Object.entries(overrides)) {
    const spec = experiment.hyperparameters[k];
    if (!spec) {
      const valid = ["--seed", ...Object.keys(experiment.hyperparameters).map(flagName)];
      throw new UserError(
        `unknown option ${flagName(k)} for ${experiment.name}; valid keys: ${valid.join(", ")}`,
      );
    }
    hp[k] = parseValue(k, spec, raw);
  }
  return hp;
}
