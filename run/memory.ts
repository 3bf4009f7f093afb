/**
 * Whether a run fits in this machine's memory, decided before anything is allocated.
 *
 * The estimate adds what the model holds ({@linkcode Experiment.memory}: parameters, gradients,
 * and the activations of one training batch and of one evaluation window, which can be alive at
 * the same time), one copy of the parameters for a checkpoint being written, and what the
 * process itself needs (the runtime, the corpus, the helper worker). A run whose estimate exceeds
 * the memory available now is refused with both figures in the message.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import type { Experiment, Hyperparameters } from "../experiments/define.ts";
import type { TrainPlan } from "../training/plan.ts";

/** What a process of rnnlab needs besides its model: Deno, the corpus, the helper worker. */
export const BASE_BYTES = 150e6;

/** A run's memory estimate, in bytes, by part. */
export interface MemoryEstimate {
  /** Parameters, gradients and the checkpoint copy. */
  params: number;
  /** Activations of one training batch `(N, T)` and one evaluation window `(10, 35)`. */
  activations: number;
  /** The process itself. */
  base: number;
  /** The sum. */
  total: number;
}

/**
 * The memory a run of `exp` with `hp` on a vocabulary of `vocabSize` words needs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { estimateRunMemory, loadExperiment, resolveHyperparameters } from "@rnnlab/rnnlab";
 * const { experiment } = loadExperiment("ch06_rnnlm");
 * const hp = resolveHyperparameters(experiment, { hidden_size: "4096", batch_size: "1000" });
 * const m = estimateRunMemory(experiment, hp, experiment.plan(hp), 10000);
 * assert.ok(m.total > 4e9, `${m.total}`); // far more than a small machine has
 * ```
 */
export function estimateRunMemory(
  exp: Experiment,
  hp: Hyperparameters,
  plan: TrainPlan,
  vocabSize: number,
): MemoryEstimate {
  const train = exp.memory(hp, vocabSize, plan.batchSize, plan.timeSize, true);
  const evaluate = exp.memory(hp, vocabSize, 10, 35, false);
  // `params` counts values and gradients; a checkpoint being written copies the values once.
  const params = train.params * 1.5;
  const activations = train.activations +
    (plan.validEachEpoch || plan.testAtEnd ? evaluate.activations : 0);
  return { params, activations, base: BASE_BYTES, total: params + activations + BASE_BYTES };
}

/** `bytes` as `"1.2 GB"` or `"340 MB"`. */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}

/** The memory this machine has available now and in all, or null when it cannot be asked. */
export function machineMemory(): { available: number; total: number } | null {
  try {
    const m = Deno.systemMemoryInfo();
    return { available: m.available, total: m.total };
  } catch {
    return null;
  }
}

/**
 * Refuses a run whose estimate exceeds the memory available, naming both and what to lower.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkRunMemory, UserError } from "@rnnlab/rnnlab";
 * const estimate = { params: 1e9, activations: 4e9, base: 1.5e8, total: 5.15e9 };
 * assert.throws(
 *   () => checkRunMemory("ch06_rnnlm", estimate, { available: 2e9, total: 4e9 }),
 *   (e: unknown) => e instanceof UserError && /needs about 5.2 GB/.test(e.message),
 * );
 * checkRunMemory("ch06_rnnlm", { ...estimate, total: 1e9 }, { available: 2e9, total: 4e9 }); // fits
 * ```
 */
export function checkRunMemory(
  name: string,
  estimate: MemoryEstimate,
  machine: { available: number; total: number } | null = machineMemory(),
): void {
  if (machine === null || estimate.total <= machine.available) return;
  throw new UserError(
    `${name} with these settings needs about ${formatBytes(estimate.total)} of memory ` +
      `(${formatBytes(estimate.params)} parameters, ${
        formatBytes(estimate.activations)
      } activations), ` +
      `but this machine has ${formatBytes(machine.available)} available of ${
        formatBytes(machine.total)
      }; ` +
      `lower --batch-size, --time-size or the layer sizes`,
  );
}
