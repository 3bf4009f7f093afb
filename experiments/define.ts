/**
 * How an experiment is declared: typed hyperparameters with defaults and allowed ranges, a seed,
 * the book's reference figure, the data it trains on, the model it builds and its training plan.
 *
 * An experiment file is declarative; {@linkcode resolveHyperparameters} checks a user's overrides
 * against the declaration and the runner does the rest.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import type { Rng } from "../core/random.ts";
import type { LanguageModel } from "../models/model.ts";

/** One hyperparameter's type, default and allowed range. */
export type HyperSpec =
  | {
    type: "int" | "number";
    default: number;
    /** Smallest allowed value. */
    min?: number;
    /** When true, `min` itself is not allowed (e.g. a learning rate must be > 0). */
    minExclusive?: boolean;
    max?: number;
    help: string;
  }
  | { type: "boolean"; default: boolean; help: string };

/** Resolved hyperparameters: key → value. Keys are snake_case; the command line uses kebab-case. */
export type Hyperparameters = Record<string, number | boolean>;

/** The book's figure an experiment should reproduce, and the band that counts as reproduced. */
export interface ReferenceFigure {
  /** Which summary metric is compared, e.g. `"final_train_ppl"` or `"test_ppl"`. */
  metric: "final_train_ppl" | "test_ppl" | "test_ppl_best";
  /** Inclusive band `[low, high]` of values that reproduce the figure. */
  band: [number, number];
  /** Where the figure comes from (SPEC §7). */
  source: string;
}

/** Which corpus an experiment reads. */
export interface DataSpec {
  /** The corpus to train on; a `--corpus` on the command line replaces it. */
  corpus: "ptb";
  /** Train on only the first this many training tokens (chapter 5's small experiment). */
  trainTokens?: number;
}

/** The training schedule the runner follows. */
export interface TrainPlan {
  /** Parallel streams `N` per batch. */
  batchSize: number;
  /** Time steps `T` per batch (the truncated-BPTT length). */
  timeSize: number;
  /** Initial SGD learning rate. */
  lr: number;
  /** Epochs to train. */
  maxEpoch: number;
  /** Global-norm clipping threshold, or null for none. */
  maxGrad: number | null;
  /** Report training perplexity every this many iterations, or null for once per epoch. */
  evalInterval: number | null;
  /** Score valid perplexity after every epoch. */
  validEachEpoch: boolean;
  /** When valid does not improve, divide lr by this (BetterRnnlm: 4); null to keep lr. */
  lrDecay: number | null;
  /** Score test perplexity at the end. */
  testAtEnd: boolean;
  /** Book batching (true) or padded streams that never wrap (false). */
  wrap: boolean;
  /** Restart the streams at every epoch (the book calls `fit` once per epoch for BetterRnnlm). */
  restartEachEpoch: boolean;
  /** OpenBLAS threads for this run (tiny products run faster on one); 0 or absent: the library's. */
  blasThreads?: number;
}

/** A complete experiment declaration. */
export interface Experiment {
  /** File name without `.ts`, e.g. `"ch05_simple_rnnlm"`. */
  name: string;
  /** One line for listings. */
  title: string;
  /** The default seed (overridable with `--seed`). */
  seed: number;
  /** The hyperparameters it accepts, by snake_case key. */
  hyperparameters: Record<string, HyperSpec>;
  /** The book's figure the run should reproduce, or null when there is none. */
  reference: ReferenceFigure | null;
  /** Which corpus to train on, given the resolved hyperparameters. */
  data(hp: Hyperparameters): DataSpec;
  /** Builds the model for a vocabulary of `vocabSize` words, drawing its initial weights from `rng`. */
  model(hp: Hyperparameters, vocabSize: number, rng: Rng): LanguageModel;
  /** The training schedule, given the resolved hyperparameters. */
  plan(hp: Hyperparameters): TrainPlan;
}

/**
 * Identity function that gives an experiment file its type checking.
 *
 * @example
 * ```ts ignore
 * export default defineExperiment({ name: "ch05_simple_rnnlm", ... });
 * ```
 */
export function defineExperiment(e: Experiment): Experiment {
  return e;
}

/** The command-line spelling of a key: `hidden_size` → `--hidden-size`. */
export function flagName(key: string): string {
  return "--" + key.replaceAll("_", "-");
}

/** Describes the allowed values of a spec, e.g. `"a number > 0"`, `"an integer in [1, 1000]"`. */
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

/**
 * Parses one override value against its spec; throws a {@linkcode UserError} naming the key and
 * the allowed range when it does not fit.
 */
export function parseValue(key: string, spec: HyperSpec, raw: string): number | boolean {
  const bad = () =>
    new UserError(`${flagName(key)} ${raw}: must be ${describeRange(spec)} (${spec.help})`);
  if (spec.type === "boolean") {
    if (raw === "true" || raw === "1" || raw === "") return true;
    if (raw === "false" || raw === "0") return false;
    throw bad();
  }
  const s = raw.trim();
  const v = s === "" ? NaN : Number(s);
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
 * ```ts ignore
 * const hp = resolveHyperparameters(experiment, { lr: "0.05" });
 * ```
 */
export function resolveHyperparameters(
  experiment: Experiment,
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
