/**
 * `deno task reproduce <run-dir> [--epochs N] [--rtol 0.02] [--out DIR]`: reruns a recorded run
 * from its configuration and seed and compares the curves; prints a verdict and exits non-zero on
 * a mismatch. The rerun goes to a temporary folder (removed afterwards) unless `--out` is given.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { readMetrics, readRunRecord } from "../run/record.ts";
import { loadExperiment } from "../experiments/mod.ts";
import { startRun } from "../run/run.ts";
import { compareRuns, DEFAULT_RTOL } from "../run/reproduce.ts";
import { oneRunDir, parseCliArgs, runCli, userPath } from "./main.ts";

const USAGE = "deno task reproduce RUN_DIR [--epochs N] [--rtol 0.02] [--out DIR] [--data-dir DIR]";

/** Entry point; returns 0 when the rerun reproduces the record, 1 when it does not. */
export async function main(args: string[], print = (s: string) => console.log(s)): Promise<number> {
  const parsed = parseCliArgs({
    args,
    options: {
      epochs: { type: "string" },
      rtol: { type: "string" },
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
    if (!Number.isInteger(epochs) || epochs < 1 || epochs > recordedEpochs) {
      throw new UserError(
        `--epochs ${values.epochs}: must be an integer in [1, ${recordedEpochs}]`,
      );
    }
  } else if (record.status !== "completed") {
    throw new UserError(
      recordedEpochs === 0
        ? `${dir} is ${record.status} and finished no epoch, so there is nothing to reproduce yet; resume it first`
        : `${dir} is ${record.status}; reproduce its first epochs with --epochs N (N <= ${recordedEpochs})`,
    );
  }
  const rtol = values.rtol === undefined ? DEFAULT_RTOL : Number(values.rtol);
  if (!(rtol >= 0 && rtol < 1)) throw new UserError(`--rtol ${values.rtol}: must be in [0, 1)`);

  const { experiment } = loadExperiment(record.experiment);
  const hp = { ...record.hyperparameters };
  if (epochs !== undefined) hp.max_epoch = epochs;
  const out = values.out !== undefined
    ? userPath(values.out)
    : await Deno.makeTempDir({ prefix: "rnnlab-reproduce-" });
  print(
    `rerunning ${record.experiment} (seed ${record.seed}${epochs ? `, ${epochs} epochs` : ""})...`,
  );
  try {
    const rerun = await startRun({
      experiment,
      hyperparameters: hp,
      overrides: record.overrides,
      seed: record.seed,
      out,
      quiet: true,
      data: {
        dataDir: values["data-dir"] === undefined ? undefined : userPath(values["data-dir"]),
        corpus: record.data?.text_corpus,
      },
      expectData: { record, dir },
    });
    if (rerun.status !== "completed") {
      print(`rerun ended as ${rerun.status}: ${rerun.record.exit_reason}`);
      return 1;
    }
    const v = compareRuns(record, lines, rerun.record, await readMetrics(rerun.dir), {
      rtol,
      epochs,
    });
    if (v.mode === "bit-identical") {
      print("environment fingerprint matches: the curves must be bit-identical");
    } else {
      print(`environment differs (${v.fingerprintDiffs.join("; ")}):`);
      print(`  the curves must agree within a relative tolerance of ${v.rtol}`);
    }
    for (const m of v.mismatches.slice(0, 20)) print(`  mismatch: ${m}`);
    if (v.mismatches.length > 20) print(`  ... and ${v.mismatches.length - 20} more`);
    print(
      `${v.ok ? "REPRODUCED" : "NOT REPRODUCED"}: ${v.compared} values compared, ` +
        `max relative difference ${v.maxRelDiff.toExponential(2)}` +
        (values.out ? `; rerun in ${rerun.dir}` : ""),
    );
    return v.ok ? 0 : 1;
  } finally {
    if (values.out === undefined) await Deno.remove(out, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await runCli(() => main(Deno.args));
