/**
 * Whether one run reproduced its experiment's reference figure. It applies only to a run of the
 * reference configuration (the experiment's defaults, on PTB; fewer epochs are allowed where the
 * figure is per epoch); any other run is `not_applicable`, with the reason, never "outside".
 *
 * Against the book code's seeds (`distribution`), a run is `inside_book_range` when every value
 * it has at the book's checkpoints lies within the book's lowest and highest seed there. Against a
 * single figure, `within_band` or `outside_band` as before. A seed group is judged by its
 * distribution instead (`views/compare.ts`).
 *
 * @module
 */

import type { ExperimentBase } from "../experiments/define.ts";
import type { MetricLine, ReferenceVerdict, RunRecord } from "./record.ts";

/** Hyperparameters that say how to compute, not what: they never make a run another configuration. */
export const EXECUTION_KEYS: ReadonlySet<string> = new Set(["blas_threads"]);

/**
 * Why a run is not of its experiment's reference configuration, or null when it is. `partial`
 * allows fewer epochs (a per-epoch figure can be judged on the epochs the run has).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment, referenceMismatch, resolveHyperparameters } from "@rnnlab/rnnlab";
 * const { experiment } = loadExperiment("ch05_simple_rnnlm");
 * const hp = resolveHyperparameters(experiment, { hidden_size: "30" });
 * const record = { hyperparameters: hp, data: { corpus: "ptb" } };
 * assert.equal(referenceMismatch(experiment, record, true), "its hyperparameters are not the reference configuration's (hidden_size 30, not 100)");
 * ```
 */
export function referenceMismatch(
  exp: ExperimentBase,
  record: Pick<RunRecord, "hyperparameters"> & {
    data: Partial<NonNullable<RunRecord["data"]>> | null;
  },
  partial: boolean,
): string | null {
  const data = record.data;
  if (!data || data.text_corpus || data.corpus !== "ptb") {
    return `it trained on ${data?.corpus ?? "unrecorded data"}, not on PTB`;
  }
  if (data.vocab_before_cap !== undefined) {
    return `its vocabulary was capped to ${data.vocab_size} words (from ${data.vocab_before_cap})`;
  }
  const diffs: string[] = [];
  for (const [k, spec] of Object.entries(exp.hyperparameters)) {
    if (EXECUTION_KEYS.has(k)) continue;
    const v = record.hyperparameters[k];
    if (k === "max_epoch" && partial && typeof v === "number" && v <= Number(spec.default)) {
      continue;
    }
    if (v !== spec.default) diffs.push(`${k} ${v}, not ${spec.default}`);
  }
  return diffs.length === 0
    ? null
    : `its hyperparameters are not the reference configuration's (${diffs.join("; ")})`;
}

/**
 * The reference verdict of a run from its record and metric lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySummary, loadExperiment, referenceVerdict, resolveHyperparameters } from "@rnnlab/rnnlab";
 * const { experiment } = loadExperiment("ch05_simple_rnnlm");
 * const hyperparameters = resolveHyperparameters(experiment, { max_epoch: "1" });
 * const record = { hyperparameters, data: { corpus: "ptb" }, summary: emptySummary() };
 * const line = { kind: "epoch" as const, epoch: 1, iter: 19, total_iters: 19, ppl: 390, lr: 0.1, elapsed_s: 0 };
 * const v = referenceVerdict(experiment, record, [line]);
 * assert.equal(v.verdict, "inside_book_range"); // 390 lies within the book's 338.19-406.94 at epoch 1
 * ```
 */
export function referenceVerdict(
  exp: ExperimentBase,
  record: Pick<RunRecord, "hyperparameters" | "summary"> & {
    data: Partial<NonNullable<RunRecord["data"]>> | null;
  },
  lines: readonly MetricLine[],
): ReferenceVerdict {
  const ref = exp.reference;
  const none = (reason: string | null): ReferenceVerdict => ({
    verdict: "not_applicable",
    metric: ref?.metric ?? null,
    value: null,
    band: ref?.band ?? null,
    source: ref?.source ?? null,
    ...(reason ? { reason } : {}),
  });
  if (!ref) return none("the experiment has no reference figure");
  const dist = ref.distribution;
  const perEpoch = dist?.metric === "train_ppl" && dist.epochs !== undefined;
  const mismatch = referenceMismatch(exp, record, perEpoch);
  if (mismatch) return none(mismatch);
  if (perEpoch) {
    const epochLines = new Map(lines.filter((l) => l.kind === "epoch").map((l) => [l.epoch, l]));
    const checkpoints = Object.entries(dist!.epochs!)
      .map(([e, values]) => ({ epoch: Number(e), values }))
      .filter((c) => epochLines.has(c.epoch))
      .map((c) => {
        const range: [number, number] = [Math.min(...c.values), Math.max(...c.values)];
        const value = epochLines.get(c.epoch)!.ppl;
        return { epoch: c.epoch, value, range, inside: value >= range[0] && value <= range[1] };
      });
    if (checkpoints.length === 0) return none("it has no epoch at which the book has a figure");
    const last = checkpoints.at(-1)!;
    return {
      verdict: checkpoints.every((c) => c.inside) ? "inside_book_range" : "outside_book_range",
      metric: ref.metric,
      value: last.value,
      band: last.range,
      source: ref.source,
      checkpoints,
    };
  }
  const value = record.summary[ref.metric];
  if (value === null) return none(`it has no ${ref.metric} yet`);
  if (dist?.metric === "test_ppl" && dist.values) {
    const range: [number, number] = [Math.min(...dist.values), Math.max(...dist.values)];
    const inside = value >= range[0] && value <= range[1];
    return {
      verdict: inside ? "inside_book_range" : "outside_book_range",
      metric: ref.metric,
      value,
      band: range,
      source: ref.source,
    };
  }
  const inside = value >= ref.band[0] && value <= ref.band[1];
  return {
    verdict: inside ? "within_band" : "outside_band",
    metric: ref.metric,
    value,
    band: ref.band,
    source: ref.source,
  };
}
