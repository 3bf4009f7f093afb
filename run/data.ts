/**
 * The data a run trains and scores on: the corpus an experiment names (PTB) or the user's own
 * (`--corpus`), cut as the experiment's {@linkcode DataSpec} says, with what the record keeps about
 * it (corpus name, token counts, each file's SHA-256). Runs, resumes, `reproduce`, `generate` and
 * `bench:train` all load their data here, so they see the same tokens.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { firstTrainTokens, loadTextCorpus, type TextCorpusOptions } from "../data/corpus.ts";
import { loadPtb } from "../data/ptb.ts";
import type { DataSpec } from "../experiments/define.ts";
import type { TrainPlan } from "../training/plan.ts";
import type { RunRecord } from "./record.ts";

/** Where a run's data comes from: the PTB folder, or a text corpus of the user's. */
export interface DataSource {
  /** PTB folder (the `--data-dir` option); else `PTB_DIR`, the cache, a download. */
  dataDir?: string;
  /** Train on this text corpus instead of PTB (the `--corpus` option). */
  corpus?: TextCorpusOptions;
}

/** The data of a run, ready for the trainer and the evaluator. */
export interface RunData {
  /** Training inputs `corpus[0 .. L-2]`. */
  xs: Int32Array;
  /** Training targets `corpus[1 .. L-1]`. */
  ts: Int32Array;
  /** Validation ids (empty when the plan never scores valid, or the corpus has none). */
  valid: Int32Array;
  /** Test ids (empty when the plan never scores test, or the corpus has none). */
  test: Int32Array;
  /** The model's vocabulary size `V`. */
  vocabSize: number;
  /** Words by id, `V` of them. */
  idToWord: string[];
  /** What the run record keeps about the data. */
  info: NonNullable<RunRecord["data"]>;
}

/**
 * Loads the corpus `spec` names (or `source.corpus`) and cuts it for `plan`: inputs/targets for
 * training, valid and test ids when the plan scores them, and the vocabulary. Refuses a corpus
 * too small for one batch or one evaluation window, or with fewer than two distinct words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment, loadRunData, resolveHyperparameters } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/train.txt`, "the cat sat on the mat\n".repeat(100));
 * const { experiment } = loadExperiment("ch05_simple_rnnlm");
 * const hp = resolveHyperparameters(experiment, { corpus_size: "500" });
 * const source = { corpus: { train: `${dir}/train.txt` } }; // {} would load PTB: vocabSize 418
 * const data = await loadRunData(experiment.data(hp), experiment.plan(hp), source);
 * assert.equal(data.xs.length, 499); // the first 500 tokens, as inputs and shifted targets
 * assert.equal(data.ts[0], data.xs[1]);
 * assert.equal(data.vocabSize, 6);
 * assert.deepEqual(data.idToWord, ["the", "cat", "sat", "on", "mat", "<eos>"]);
 * assert.equal(data.info.train_tokens, 500);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadRunData(
  spec: DataSpec,
  plan: TrainPlan,
  source: DataSource,
): Promise<RunData> {
  let train: Int32Array, vocabSize: number, corpus;
  if (source.corpus) {
    corpus = await loadTextCorpus(source.corpus);
    train = corpus.train;
    vocabSize = corpus.vocabSize;
    if (spec.trainTokens !== undefined) {
      ({ tokens: train, vocabSize } = firstTrainTokens(corpus, spec.trainTokens));
    }
  } else {
    // Tokenise only what the run uses (every file's checksum is still verified).
    corpus = await loadPtb({
      dataDir: source.dataDir,
      splits: [
        "train",
        ...(plan.validEachEpoch ? ["valid" as const] : []),
        ...(plan.testAtEnd ? ["test" as const] : []),
      ],
      trainTokens: spec.trainTokens,
    });
    train = corpus.train;
    vocabSize = corpus.vocabSize;
  }
  const trainFile = corpus.files.find((f) => f.split === "train")?.path ?? corpus.name;
  if (vocabSize < 2) {
    throw new UserError(
      `${trainFile} has ${vocabSize} distinct word${
        vocabSize === 1 ? "" : "s"
      }; a language model needs at least two: give it real text`,
    );
  }
  const rows = plan.batchSize * plan.timeSize;
  if (train.length - 1 < rows) {
    throw new UserError(
      `the training corpus (${train.length} tokens) is shorter than one batch of ` +
        `${plan.batchSize} x ${plan.timeSize} + 1; lower --batch-size or --time-size`,
    );
  }
  const scored: [string, Int32Array, boolean][] = [
    ["valid", corpus.valid, plan.validEachEpoch],
    ["test", corpus.test, plan.testAtEnd],
  ];
  for (const [split, ids, needed] of scored) {
    if (needed && ids.length < 351) {
      throw new UserError(
        `the ${split} split has ${ids.length} tokens, fewer than one evaluation window ` +
          `(10 x 35 + 1 = 351); give the corpus a longer ${split} part`,
      );
    }
  }
  return {
    xs: train.subarray(0, train.length - 1),
    ts: train.subarray(1),
    valid: corpus.valid,
    test: corpus.test,
    vocabSize,
    idToWord: corpus.idToWord.slice(0, vocabSize),
    info: {
      corpus: corpus.name,
      train_tokens: train.length,
      valid_tokens: corpus.valid.length,
      test_tokens: corpus.test.length,
      vocab_size: vocabSize,
      files: corpus.files.map((f) => ({ split: f.split, sha256: f.sha256 })),
      ...(source.corpus ? { text_corpus: source.corpus } : {}),
    },
  };
}

/**
 * Checks that `data` is the data `record` was made with: the same files (by SHA-256) and the same
 * counts. A file edited since is a {@linkcode UserError} that names it, so that a resumed or
 * reproduced run never silently trains on other text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   assertSameData,
 *   loadExperiment,
 *   loadRunData,
 *   resolveHyperparameters,
 *   type RunRecord,
 * } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/train.txt`, "the cat sat on the mat\n".repeat(100));
 * const { experiment } = loadExperiment("ch05_simple_rnnlm");
 * const hp = resolveHyperparameters(experiment, { corpus_size: "500" });
 * const source = { corpus: { train: `${dir}/train.txt` } };
 * const load = () => loadRunData(experiment.data(hp), experiment.plan(hp), source);
 * const record = { data: (await load()).info } as RunRecord; // a run's record keeps this
 * assertSameData(record, await load(), "the run"); // the same file: passes
 * await Deno.writeTextFile(`${dir}/train.txt`, "the dog sat on the mat\n".repeat(100));
 * const edited = await load();
 * assert.throws(() => assertSameData(record, edited, "the run"), {
 *   name: "UserError",
 *   message: /train\.txt has changed since the run was made/,
 * });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function assertSameData(record: RunRecord, data: RunData, dir: string): void {
  const was = record.data;
  if (!was) return;
  const now = data.info;
  const where = (split: string) => {
    const c = was.text_corpus;
    if (!c) return `PTB's ${split} file`;
    if ("path" in c) return c.path;
    return (c as Record<string, string | undefined>)[split] ?? split;
  };
  for (const f of was.files) {
    const g = now.files.find((x) => x.split === f.split);
    if (g && g.sha256 !== f.sha256) {
      throw new UserError(
        `${where(f.split)} has changed since ${dir} was made (SHA-256 ${f.sha256.slice(0, 12)}… ` +
          `recorded, ${
            g.sha256.slice(0, 12)
          }… now); put the original file back, or start a new run`,
      );
    }
  }
  for (const k of ["train_tokens", "vocab_size"] as const) {
    if (was[k] !== now[k]) {
      throw new UserError(
        `the data of ${dir} had ${k} ${was[k]}, but it now loads with ${
          now[k]
        }; put the original files back, or start a new run`,
      );
    }
  }
}
