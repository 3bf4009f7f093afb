/**
 * `deno task eval <run-dir | checkpoint | Rnnlm.pkl> [--split test|valid] [--best] [--data-dir DIR]`:
 * scores a trained model with rnnlab's evaluator (batch 10, 35 steps, state carried from window
 * to window, the tail that does not fill a window dropped; docs/model.md#evaluation-perplexity).
 *
 * - A run directory, or a checkpoint inside its `checkpoints/` folder: the run's model with the
 *   last (or, with `--best`, the best-by-valid) parameters, on the run's own data.
 * - A `.pkl` file: the book's published chapter 6 Rnnlm weights (`ch06/Rnnlm.pkl`), on PTB. The
 *   book's `ch06/eval.py` scores them at 136.0776; rnnlab gives 136.08.
 *
 * ```
 * deno task eval results/ch06_rnnlm/<run-id>
 * deno task eval ../shared/reference/dlfs2/ch06/Rnnlm.pkl --split test
 * ```
 *
 * @module
 */

import { basename, dirname } from "node:path";
import { UserError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import { loadPtb } from "../data/ptb.ts";
import { loadExperiment } from "../experiments/mod.ts";
import type { LanguageModel } from "../models/model.ts";
import { loadBookRnnlm } from "../models/book_weights.ts";
import { loadCheckpoint, restoreParams } from "../run/checkpoint.ts";
import { loadRunData, recordedDataSource } from "../run/data.ts";
import { checkpointPath, readRunRecord } from "../run/record.ts";
import { evalLayout, evalPerplexity } from "../training/evaluate.ts";
import { parseCliArgs, runCli, shownPath, userPath } from "./main.ts";

const USAGE =
  "deno task eval RUN_DIR|CHECKPOINT|Rnnlm.pkl [--split test|valid] [--best] [--data-dir DIR]";

/** What was scored, and how. */
export interface EvalResult {
  /** The perplexity. */
  ppl: number;
  /** The split scored. */
  split: "test" | "valid";
  /** Targets scored, and the windows they came in. */
  scored: number;
  /** Windows of 10 x 35. */
  windows: number;
  /** What was scored, for the message. */
  what: string;
}

/**
 * Scores the model `target` names (see the module) on `split`.
 *
 * @example
 * ```ts ignore
 * const r = await evaluateTarget("../shared/reference/dlfs2/ch06/Rnnlm.pkl", "test", false);
 * console.log(r.ppl.toFixed(2)); // 136.08
 * ```
 */
export async function evaluateTarget(
  target: string,
  split: "test" | "valid",
  best: boolean,
  dataDir?: string,
): Promise<EvalResult> {
  let model: LanguageModel, ids: Int32Array, what: string;
  if (target.endsWith(".pkl")) {
    model = await loadBookRnnlm(target);
    const ptb = await loadPtb({ dataDir, splits: ["train", split] });
    ids = ptb[split];
    what = `the book's weights ${shownPath(target)}`;
  } else {
    let dir = target, ckpt: string | null = null;
    const info = await Deno.stat(target).catch(() => null);
    if (info === null) {
      throw new UserError(
        `${target} does not exist; give a run directory, a checkpoint or Rnnlm.pkl`,
      );
    }
    if (info.isFile) {
      // <run>/checkpoints/last.safetensors
      ckpt = target;
      dir = dirname(dirname(target));
    }
    const record = await readRunRecord(dir);
    const { experiment } = loadExperiment(record.experiment);
    const hp = record.hyperparameters;
    const spec = experiment.data(hp);
    if (spec.trainTokens !== undefined && !record.data?.text_corpus) {
      throw new UserError(
        `${record.experiment} trains on PTB's first ${spec.trainTokens} tokens only (${
          record.data?.vocab_size ?? "a few hundred"
        } words); its model cannot score PTB's ${split} split`,
      );
    }
    const plan = {
      ...experiment.plan(hp),
      validEachEpoch: split === "valid",
      testAtEnd: split === "test",
    };
    const data = await loadRunData(spec, plan, recordedDataSource(record, dataDir));
    ids = data[split];
    if (ids.length === 0) {
      throw new UserError(`the data of ${shownPath(dir)} has no ${split} split to score`);
    }
    let outside = 0;
    for (const id of ids) if (id >= data.vocabSize) outside++;
    if (outside > 0) {
      throw new UserError(
        `${record.experiment}'s model knows ${data.vocabSize} words; ${outside} of the ${split} split's tokens are outside them, so it cannot score ${split}`,
      );
    }
    const path = ckpt ?? checkpointPath(dir, record, best ? "best" : "last");
    model = experiment.model(hp, data.vocabSize, new Rng(record.seed));
    restoreParams(model.params, await loadCheckpoint(path), path);
    what = `${shownPath(dir)} (${basename(path)})`;
  }
  model.resetState();
  const ppl = evalPerplexity(model, ids);
  const layout = evalLayout(ids.length);
  return { ppl, split, scored: layout.scored, windows: layout.windows, what };
}

/** Entry point; prints the perplexity and returns the exit code. */
export async function main(args: string[], print = (s: string) => console.log(s)): Promise<number> {
  const { values, positionals } = parseCliArgs({
    args,
    options: {
      split: { type: "string", default: "test" },
      best: { type: "boolean" },
      "data-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  }, USAGE);
  if (values.help) {
    print(`usage: ${USAGE}`);
    return 0;
  }
  if (positionals.length !== 1) throw new UserError(`give one model to score; usage: ${USAGE}`);
  const split = values.split;
  if (split !== "test" && split !== "valid") {
    throw new UserError(`--split ${split}: give test or valid`);
  }
  if (values.best && positionals[0].endsWith(".pkl")) {
    throw new UserError("--best goes with a run directory; the book's weights are one set");
  }
  const r = await evaluateTarget(
    userPath(positionals[0].replace(/\/+$/, "")),
    split,
    Boolean(values.best),
    values["data-dir"] === undefined ? undefined : userPath(values["data-dir"]),
  );
  print(
    `${split} perplexity ${
      r.ppl.toFixed(2)
    } (${r.ppl}): ${r.what}, ${r.scored} targets in ${r.windows} windows of 10 x 35`,
  );
  return 0;
}

if (import.meta.main) await runCli(() => main(Deno.args));
