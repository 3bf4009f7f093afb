/**
 * `deno task reproduce <run-dir> [--epochs N] [--out DIR] [--data-dir DIR]`: reruns a recorded run
 * from its configuration and seed, with the record's OpenBLAS kernels, threads and worker count
 * where this machine can run them, and prints one of three verdicts (`run/reproduce.ts`):
 * BIT-IDENTICAL, WITHIN SEED SPREAD (exit 0) or NOT REPRODUCED (exit 1). The rerun goes to a
 * temporary folder (removed afterwards) unless `--out` is given.
 *
 * @module
 */

import { dirname } from "node:path";
import { UserError } from "../core/errors.ts";
import { configurationKey, readMetrics, readRunRecord } from "../run/record.ts";
import { findExperiment } from "../experiments/mod.ts";
import { startRun } from "../run/run.ts";
import { startNgramRun } from "../run/ngram_run.ts";
import { recordedDataSource } from "../run/data.ts";
import { judgeReproduction, type RecordedRun, SPREAD_RULE } from "../run/reproduce.ts";
import { listRuns } from "../views/runs_index.ts";
import { oneRunDir, parseCliArgs, runCli, shownPath, userPath } from "./main.ts";

const USAGE = "deno task reproduce RUN_DIR [--epochs N] [--out DIR] [--data-dir DIR]";

/** The other completed runs of `dir`'s configuration, from its results root and `results`. */
async function seedGroup(dir: string, original: RecordedRun): Promise<RecordedRun[]> {
  const root = dirname(dirname(dir));
  const { runs } = await listRuns([...new Set([root, userPath("results")])]);
  const key = configurationKey(original.record);
  const self = await Deno.realPath(dir);
  const group: RecordedRun[] = [];
  const seeds = new Set<number>([original.record.seed]);
  for (const r of runs) {
    if (r.status !== "completed" || configurationKey(r.record) !== key) continue;
    if ((await Deno.realPath(r.dir)) === self || seeds.has(r.record.seed)) continue;
    seeds.add(r.record.seed); // replicates are distinct seeds: a same-seed rerun counts once
    group.push({ record: r.record, lines: await readMetrics(r.dir) });
  }
  return group;
}

/** Entry point; returns 0 when the rerun reproduces the record, 1 when it does not. */
export async function main(args: string[], print = (s: string) => console.log(s)): Promise<number> {
  const parsed = parseCliArgs({
    args,
    options: {
      epochs: { type: "string" },
      out: { type: "string" },
      "data-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  }, USAGE);
  const { values, positionals } = parsed;
  if (values.help) {
    print(`usage: ${USAGE}`);
    return 0;
  }
  const dir = userPath(oneRunDir(positionals, USAGE));
  const record = await readRunRecord(dir);
  const lines = await readMetrics(dir);
  const recordedEpochs = record.summary.epochs_completed;
  let epochs: number | undefined;
  if (values.epochs !== undefined) {
    epochs = Number(values.epochs);
    if (!/^\d+$/.test(values.epochs) || epochs < 1 || epochs > recordedEpochs) {
      throw new UserError(
        recordedEpochs === 0
          ? `--epochs ${values.epochs}: ${dir} finished no epoch, so there is nothing to reproduce yet; resume it first`
          : `--epochs ${values.epochs}: must be an integer in [1, ${recordedEpochs}]`,
      );
    }
  } else if (record.status !== "completed") {
    throw new UserError(
      recordedEpochs === 0
        ? `${dir} is ${record.status} and finished no epoch, so there is nothing to reproduce yet; resume it first`
        : `${dir} is ${record.status}; reproduce its first epochs with --epochs N (N <= ${recordedEpochs})`,
    );
  }

  const { experiment } = findExperiment(record.experiment);
  const hp = { ...record.hyperparameters };
  if (epochs !== undefined) hp.max_epoch = epochs;
  const out = values.out !== undefined
    ? userPath(values.out)
    : await Deno.makeTempDir({ prefix: "rnnlab-reproduce-" });
  print(
    `rerunning ${record.experiment} (seed ${record.seed}${
      epochs ? `, ${epochs} epoch${epochs === 1 ? "" : "s"}` : ""
    })...`,
  );
  // A rerun in a temporary folder is thrown away whole, the checkpoints it kept outside the work
  // tree (RNNLAB_CHECKPOINT_DIR) included.
  let rerunCheckpoints: string | undefined;
  try {
    const rerunOptions = {
      hyperparameters: hp,
      overrides: record.overrides,
      seed: record.seed,
      out,
      quiet: true,
      data: recordedDataSource(
        record,
        values["data-dir"] === undefined ? undefined : userPath(values["data-dir"]),
      ),
      reproduces: { record, dir },
    };
    // A count-based run computes in double precision without BLAS: nothing to pin.
    const rerun = experiment.kind === "ngram"
      ? await startNgramRun({ experiment, ...rerunOptions })
      : await startRun({ experiment, ...rerunOptions });
    rerunCheckpoints = rerun.record.checkpoint_dir;
    if (rerun.status !== "completed") {
      print(`NOT REPRODUCED: the rerun ended as ${rerun.status}: ${rerun.record.exit_reason}`);
      return 1;
    }
    const was = record.environment, now = rerun.record.environment;
    const o = now.openblas;
    if (experiment.kind === "ngram") {
      print("counted again (no BLAS: nothing to pin)");
    } else if (rerun.pin?.why) {
      print(`not pinned: ${rerun.pin.why}; judged by the seed spread instead of bit for bit`);
    } else {
      print(
        `pinned to the record's OpenBLAS ${o.core} kernels, ${o.threads} thread(s), ${
          now.workers ?? 1
        } helper worker(s)`,
      );
    }
    const sameComputation = !rerun.pin?.why && was.code_sha256 === now.code_sha256 &&
      was.deno === now.deno;
    const original = { record, lines };
    const group = await seedGroup(dir, original);
    const j = judgeReproduction({
      original,
      rerun: { record: rerun.record, lines: await readMetrics(rerun.dir) },
      sameComputation,
      group,
      checkpoints: experiment.checkpoints ?? null,
      epochs,
    });
    const where = values.out !== undefined ? `; rerun in ${shownPath(rerun.dir)}` : "";
    if (j.verdict === "BIT-IDENTICAL") {
      print(`BIT-IDENTICAL: ${j.compared} values compared, all equal${where}`);
      return 0;
    }
    const summary = `${j.differing} of ${j.compared} values differ, the largest by ${
      j.maxRelDiff.toExponential(2)
    } relative`;
    if (j.verdict === "WITHIN SEED SPREAD") {
      print(
        `WITHIN SEED SPREAD: ${summary}; rule: ${SPREAD_RULE} (${group.length + 1} seeds)${where}`,
      );
      for (const r of j.reasons) print(`  ${r}`);
      return 0;
    }
    print(`NOT REPRODUCED: ${summary}${where}`);
    for (const r of j.reasons.slice(0, 10)) print(`  ${r}`);
    if (j.reasons.length > 10) print(`  ... and ${j.reasons.length - 10} more`);
    return 1;
  } finally {
    if (values.out === undefined) {
      await Deno.remove(out, { recursive: true }).catch(() => {});
      if (rerunCheckpoints) {
        await Deno.remove(rerunCheckpoints, { recursive: true }).catch(() => {});
      }
    }
  }
}

if (import.meta.main) await runCli(() => main(Deno.args));
