/**
 * The experiments, by name. Each lives in `experiments/<name>.ts` as a default export declared with
 * {@linkcode defineExperiment}; adding one means writing its file and listing it here. The list is
 * static so that the package needs no dynamic import.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import type { Experiment } from "./define.ts";
import ch05SimpleRnnlm from "./ch05_simple_rnnlm.ts";
import ch05SimpleRnnlmFull from "./ch05_simple_rnnlm_full.ts";
import ch06BetterRnnlm from "./ch06_better_rnnlm.ts";
import ch06Gru from "./ch06_gru.ts";
import ch06Rnnlm from "./ch06_rnnlm.ts";

const EXPERIMENTS: readonly Experiment[] = [
  ch05SimpleRnnlm,
  ch05SimpleRnnlmFull,
  ch06BetterRnnlm,
  ch06Gru,
  ch06Rnnlm,
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
 * Experiment `name` and the URL of its file (hashed into every run record); an unknown name is a
 * {@linkcode UserError} that lists the available ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment } from "@rnnlab/rnnlab";
 * const { experiment, url } = loadExperiment("ch06_rnnlm");
 * assert.equal(experiment.hyperparameters.lr.default, 20);
 * assert.ok(url.pathname.endsWith("/experiments/ch06_rnnlm.ts"));
 * ```
 */
export function loadExperiment(name: string): { experiment: Experiment; url: URL } {
  const experiment = EXPERIMENTS.find((e) => e.name === name);
  if (!experiment) {
    throw new UserError(`unknown experiment '${name}'; available: ${listExperiments().join(", ")}`);
  }
  return { experiment, url: new URL(`./${name}.ts`, import.meta.url) };
}
