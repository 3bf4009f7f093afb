/**
 * The data a run trains and scores on: the corpus an experiment names (PTB, or the Soseki novels
 * segmented by MeCab) or the user's own (`--corpus`), cut and capped as the experiment's
 * {@linkcode DataSpec} and the command line say, with what the record keeps about it (corpus
 * name, token counts, each file's SHA-256, the vocabulary cap, how a segmented corpus was built).
 * Runs, resumes, `reproduce`, `generate`, `eval` and `bench:train` all load their data here, and
 * take its source from a record with {@linkcode recordedDataSource}, so they see the same tokens.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import {
  assembleCorpus,
  type Corpus,
  firstTrainTokens,
  loadTextCorpus,
  type TextCorpusOptions,
} from "../data/corpus.ts";
import { sha256Hex } from "../core/hash.ts";
import { loadPtb } from "../data/ptb.ts";
import { segmentAozoraCorpus } from "../data/aozora_corpus.ts";
import { scanTokens } from "../data/tokenize.ts";
import { capVocabulary } from "../data/vocab_cap.ts";
import type { DataSpec } from "../experiments/define.ts";
import type { TrainPlan } from "../training/plan.ts";
import type { RunRecord } from "./record.ts";

/** Where a run's data comes from: the PTB folder, or a text corpus of the user's. */
export interface DataSource {
  /**
   * The experiment's corpus folder (the `--data-dir` option): PTB's, else `PTB_DIR`; or the
   * Aozora texts', else `AOZORA_DIR`; then the cache, then a download.
   */
  dataDir?: string;
  /** Train on this text corpus instead of the experiment's (the `--corpus PATH` option). */
  corpus?: TextCorpusOptions;
  /** Train on this built-in corpus instead of the experiment's (`--corpus ptb|soseki`). */
  named?: DataSpec["corpus"];
  /** Keep this many words (`--vocab-size`; 0: every training word); replaces the experiment's cap. */
  vocabSize?: number;
}

/**
 * Where a recorded run's data came from, for a resume, a reproduction, `generate` or `eval`:
 * its corpus and vocabulary cap, with the data folder given on this command line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordedDataSource, type RunRecord } from "@rnnlab/rnnlab";
 * const record = { data: { corpus: "ptb", vocab_cap: 5000 } } as RunRecord;
 * assert.deepEqual(recordedDataSource(record, "/data/ptb"), {
 *   dataDir: "/data/ptb",
 *   corpus: undefined,
 *   named: "ptb",
 *   vocabSize: 5000,
 * });
 * ```
 */
export function recordedDataSource(record: RunRecord, dataDir: string | undefined): DataSource {
  const d = record.data;
  return {
    dataDir,
    corpus: d?.text_corpus,
    ...(d && !d.text_corpus && (d.corpus === "ptb" || d.corpus === "soseki")
      ? { named: d.corpus }
      : {}),
    vocabSize: d?.vocab_cap ?? 0,
  };
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
 * training, valid and test ids when the plan scores them, and the vocabulary. A split the plan
 * scores must hold `minScored` tokens (default: one window of the evaluator). Refuses a corpus
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
  plan: Pick<TrainPlan, "batchSize" | "timeSize" | "validEachEpoch" | "testAtEnd">,
  source: DataSource,
  minScored = EVAL_WINDOW,
): Promise<RunData> {
  let corpus: Corpus, build: SegmentedBuild | undefined;
  const named = source.named ?? spec.corpus;
  const cap = source.vocabSize ?? spec.vocabSize ?? 0;
  if (source.corpus) {
    // Under a cap, a valid or test word unseen in training is <unk> like any word cut.
    corpus = await loadTextCorpus(source.corpus, cap > 0 ? "unk-add" : "unk");
  } else if (named === "soseki") {
    ({ corpus, build } = await loadSoseki(source.dataDir));
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
  }
  let train = corpus.train, vocabSize = corpus.vocabSize;
  if (source.corpus && spec.trainTokens !== undefined) {
    ({ tokens: train, vocabSize } = firstTrainTokens(corpus, spec.trainTokens));
  }
  let { valid, test } = corpus;
  let idToWord = corpus.idToWord.slice(0, vocabSize);
  const uncapped = vocabSize;
  if (cap > 0) {
    const capped = capVocabulary({ train, valid, test, idToWord }, cap);
    ({ train, valid, test, idToWord } = capped);
    vocabSize = idToWord.length;
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
    ["valid", valid, plan.validEachEpoch],
    ["test", test, plan.testAtEnd],
  ];
  for (const [split, ids, needed] of scored) {
    if (needed && ids.length < minScored) {
      throw new UserError(
        `the ${split} split has ${ids.length} tokens, fewer than one evaluation window ` +
          `(10 x 35 + 1 = 351); give the corpus a longer ${split} part`,
      );
    }
  }
  return {
    xs: train.subarray(0, train.length - 1),
    ts: train.subarray(1),
    valid,
    test,
    vocabSize,
    idToWord,
    info: {
      corpus: corpus.name,
      train_tokens: train.length,
      valid_tokens: valid.length,
      test_tokens: test.length,
      vocab_size: vocabSize,
      files: corpus.files.map((f) => ({ split: f.split, sha256: f.sha256 })),
      ...(source.corpus ? { text_corpus: source.corpus } : {}),
      ...(cap > 0 ? { vocab_cap: cap } : {}),
      ...(vocabSize < uncapped ? { vocab_before_cap: uncapped } : {}),
      ...(build ? { build } : {}),
    },
  };
}

/** The tokens of one evaluation window of the evaluator (10 streams x 35 steps, and one more). */
const EVAL_WINDOW = 10 * 35 + 1;

/** How a corpus segmented in memory was made (the record's `data.build`). */
export type SegmentedBuild = NonNullable<NonNullable<RunRecord["data"]>["build"]>;

/** The Soseki novels, cleaned and segmented by MeCab, as a corpus (a few seconds). */
async function loadSoseki(
  dataDir: string | undefined,
): Promise<{ corpus: Corpus; build: SegmentedBuild }> {
  const { texts, manifest } = await segmentAozoraCorpus({ dataDir });
  const splits = await Promise.all((["train", "valid", "test"] as const).map(async (split) => ({
    split,
    path: `${split}.txt of the Soseki corpus`,
    sha256: await sha256Hex(texts[split]),
    bytes: texts[split],
    spans: scanTokens(texts[split]),
  })));
  const corpus = assembleCorpus("soseki", splits, "unk");
  const d = manifest.mecab.dictionary;
  return {
    corpus,
    build: {
      segmenter: `MeCab ${manifest.mecab.version}`,
      dictionary: `${d.name} (${d.charset}, ${d.words} entries)`,
      dictionary_sha256: d.sha256,
      sources: manifest.sources.map((m) => ({ id: m.id, split: m.split, sha256: m.sha256 })),
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
