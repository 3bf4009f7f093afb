/**
 * The experiments, by name. Each lives in `experiments/<name>.ts` as a default export declared with
 * {@linkcode defineExperiment}; adding one means writing its file and listing it here. The list is
 * static so that the package needs no dynamic import.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import type { AnyExperiment, Experiment } from "./define.ts";
import ch05SimpleRnnlm from "./ch05_simple_rnnlm.ts";
import ch05SimpleRnnlmFull from "./ch05_simple_rnnlm_full.ts";
import ch06BetterRnnlm from "./ch06_better_rnnlm.ts";
import ch06Gru from "./ch06_gru.ts";
import ch06Rnnlm from "./ch06_rnnlm.ts";
import jaSosekiBetterRnnlm from "./ja_soseki_better_rnnlm.ts";
import jaSosekiRnnlm from "./ja_soseki_rnnlm.ts";
import knNgram from "./kn_ngram.ts";

const EXPERIMENTS: readonly AnyExperiment[] = [
  ch05SimpleRnnlm,
  ch05SimpleRnnlmFull,
  ch06BetterRnnlm,
  ch06Gru,
  ch06Rnnlm,
  jaSosekiBetterRnnlm,
  jaSosekiRnnlm,
  knNgram,
];

/** The experiment run when none is named. */
export const DEFAULT_EXPERIMENT = "ch05_simple_rnnlm";

/**
 * Names of the available experiments, sorted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listExperiments } from "@rnnlab/rnnlab";
 * assert.ok(listExperiments().includes("ch06_rnnlm"));
 * ```
 */
export function listExperiments(): string[] {
  return EXPERIMENTS.map((e) => e.name).sort();
}

/**
 * Experiment `name` (a neural one or a count-based one) and the URL of its file (hashed into
 * every run record); an unknown name is a {@linkcode UserError} that lists the available ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findExperiment } from "@rnnlab/rnnlab";
 * assert.equal(findExperiment("kn_ngram").experiment.kind, "ngram");
 * ```
 */
export function findExperiment(name: string): { experiment: AnyExperiment; url: URL } {
  const experiment = EXPERIMENTS.find((e) => e.name === name);
  if (!experiment) {
    throw new UserError(`unknown experiment '${name}'; available: ${listExperiments().join(", ")}`);
  }
  return { experiment, url: new URL(`./${name}.ts`, import.meta.url) };
}

/**
 * Neural experiment `name` and the URL of its file. An unknown name, or a count-based
 * experiment (which has no model to train, resume, sample from or score), is a
 * {@linkcode UserError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "@rnnlab/rnnlab";
 * const { experiment, url } = loadExperiment("ch06_rnnlm");
 * assert.equal(experiment.hyperparameters.lr.default, 20);
 * assert.ok(url.pathname.endsWith("/experiments/ch06_rnnlm.ts"));
 * assert.throws(() => loadExperiment("kn_ngram"), /count-based/);
 * ```
 */
export function loadExperiment(name: string): { experiment: Experiment; url: URL } {
  const { experiment, url } = findExperiment(name);
  if (experiment.kind === "ngram") {
    throw new UserError(
      `${name} is a count-based n-gram model, not a network: it has no checkpoints to resume, sample from or score; run it again with deno task experiment ${name} (it takes seconds)`,
    );
  }
  return { experiment, url };
}
