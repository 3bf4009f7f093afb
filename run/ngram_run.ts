/**
 * Running a count-based experiment ({@linkcode NgramExperiment}): the Kneser-Ney n-gram model is
 * counted from the run's training tokens and scored on its valid and test tokens, the very ids a
 * neural run of the same data reads, so that its perplexity stands beside theirs.
 *
 * The run gets an ordinary run directory and record (`run.json`, an empty `metrics.jsonl`: there
 * are no epochs), under the same lock and with the same writes as a neural run. Counting takes
 * seconds, so there are no checkpoints: a stop signal between two steps (counting, valid, test)
 * ends the run as `interrupted`, and `--resume` counts again in the same directory.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import type { Hyperparameters, NgramExperiment } from "../experiments/define.ts";
import { findExperiment } from "../experiments/mod.ts";
import { type KneserNeyModel, trainKneserNey } from "../models/kneser_ney.ts";
import { assertSameData, loadRunData, recordedDataSource, type RunData } from "./data.ts";
import { collectEnvironment } from "./environment.ts";
import { RunLock } from "./lock.ts";
import { referenceVerdict } from "./reference.ts";
import { emptySummary, readRunRecord, type RunRecord } from "./record.ts";
import type { RunOutcome, StartOptions } from "./run.ts";
import { RunSession } from "./session.ts";
import { refuseIfStopped, stopExitCode, type StopSignal, StopSignals } from "./stop.ts";
import { safePrint } from "./progress.ts";

/** What {@linkcode startNgramRun} needs. */
export type StartNgramRunOptions = StartOptions<NgramExperiment>;

/** What loading the data for counting asks of it: valid and test, no batch larger than a token. */
const COUNT_PLAN = { batchSize: 1, timeSize: 1, validEachEpoch: true, testAtEnd: true };

/**
 * Counts and scores an n-gram experiment into a new run directory `out/<experiment>/<run-id>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   findExperiment,
 *   type NgramExperiment,
 *   resolveHyperparameters,
 *   Rng,
 *   startNgramRun,
 * } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * // 3,000 words of 500, the frequent ones far more often (a skewed unigram source), 10 a line.
 * const rng = new Rng(1);
 * for (const split of ["train", "valid", "test"]) {
 *   let text = "";
 *   for (let i = 1; i <= 3000; i++) text += `w${Math.floor(500 * rng.uniform() ** 4)}${i % 10 ? " " : "\n"}`;
 *   await Deno.writeTextFile(`${dir}/${split}.txt`, text);
 * }
 * const experiment = findExperiment("kn_ngram").experiment as NgramExperiment;
 * const hyperparameters = resolveHyperparameters(experiment, { order: "2" });
 * const corpus = { train: `${dir}/train.txt`, valid: `${dir}/valid.txt`, test: `${dir}/test.txt` };
 * const run = await startNgramRun({
 *   experiment,
 *   hyperparameters,
 *   seed: 1,
 *   out: `${dir}/results`,
 *   data: { corpus, vocabSize: 300 }, // the 299 most frequent words and <unk>
 *   quiet: true,
 * });
 * assert.equal(run.status, "completed");
 * const { test_ppl, final_valid_ppl } = run.record.summary;
 * assert.ok(test_ppl! > 1 && test_ppl! < 300, `test ${test_ppl}`); // better than uniform
 * assert.ok(Math.abs(final_valid_ppl! / test_ppl! - 1) < 0.1); // the same source
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function startNgramRun(o: StartNgramRunOptions): Promise<RunOutcome> {
  using stop = await StopSignals.listen();
  const startedAt = new Date();
  const exp = o.experiment, hp = o.hyperparameters;
  const data = await loadRunData(exp.data(hp), COUNT_PLAN, o.data ?? {}, 0);
  if (data.valid.length < 2 && data.test.length < 2) {
    throw new UserError(
      "the corpus has no valid or test text to score the counts on; give valid.txt or test.txt beside train.txt, or cut one file with --split",
    );
  }
  if (o.reproduces) assertSameData(o.reproduces.record, data, o.reproduces.dir);
  const environment = await collectEnvironment(findExperiment(exp.name).url);
  const say = progressLines(o);
  const counted = countNgrams(exp, o.hyperparameters, data, say);
  refuseIfStopped(stop.requested);
  const fields = {
    experiment: exp,
    seed: o.seed,
    hyperparameters: hp,
    overrides: o.overrides,
    data: data.info,
    environment,
    startedAt,
  };
  const session = await RunSession.start(o.out, fields, { runId: o.runId, purpose: "counting" });
  return await score(counted, data, session, stop, say);
}

/**
 * Counts an interrupted (or failed) n-gram run again, in its own directory, with its recorded
 * settings and data.
 */
export async function resumeNgramRun(
  dir: string,
  o: { dataDir?: string; print?: (line: string) => void; quiet?: boolean } = {},
): Promise<RunOutcome> {
  using stop = await StopSignals.listen();
  const lock = RunLock.acquire(dir, "resuming");
  try {
    const record = await readRunRecord(dir);
    if (record.status === "completed") {
      throw new UserError(`${dir} has already completed; nothing to resume`);
    }
    const { experiment: exp, url } = findExperiment(record.experiment);
    if (exp.kind !== "ngram") throw new Error(`${dir} is not an n-gram run`);
    const data = await loadRunData(
      exp.data(record.hyperparameters),
      COUNT_PLAN,
      recordedDataSource(record, o.dataDir),
      0,
    );
    assertSameData(record, data, dir);
    const environment = await collectEnvironment(url);
    const say = progressLines(o);
    const counted = countNgrams(exp, record.hyperparameters, data, say);
    refuseIfStopped(stop.requested);
    record.summary = emptySummary(); // counted again from nothing
    const session = await RunSession.resume(dir, record, [], lock, { environment, from: 0 });
    return await score(counted, data, session, stop, say);
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** A counted model and the seconds counting took. */
interface Counted {
  lm: KneserNeyModel;
  seconds: number;
}

/**
 * Counts the n-grams of the training tokens, before the run directory exists: a text too small
 * for the order is a {@linkcode UserError} that leaves nothing behind.
 */
function countNgrams(
  exp: NgramExperiment,
  hp: Hyperparameters,
  data: RunData,
  say: (line: string) => void,
): Counted {
  const { order, history } = exp.ngram(hp);
  const t0 = performance.now();
  const eos = data.idToWord.indexOf("<eos>"), unk = data.idToWord.indexOf("<unk>");
  const train = new Int32Array(data.xs.length + 1); // the whole training stream (L,)
  train.set(data.xs);
  train[train.length - 1] = data.ts[data.ts.length - 1];
  say(`counting ${order}-grams of ${train.length} training tokens (${history} histories)...`);
  const lm = trainKneserNey(train, data.vocabSize, {
    order,
    history,
    eos: eos >= 0 ? eos : undefined,
    unk: unk >= 0 ? unk : undefined,
  });
  return { lm, seconds: (performance.now() - t0) / 1000 };
}

/** Scores valid and test, and writes the final record, whatever the end. */
async function score(
  counted: Counted,
  data: RunData,
  session: RunSession,
  stop: StopSignals,
  say: (line: string) => void,
): Promise<RunOutcome> {
  const record = session.record;
  const { lm } = counted;
  const t0 = performance.now() - counted.seconds * 1000;
  let signal: StopSignal | null = stop.requested;
  record.ngram = lm.summary();
  try {
    if (signal === null && data.valid.length > 0) {
      const v = lm.perplexity(data.valid);
      record.summary.final_valid_ppl = v;
      record.summary.best_valid_ppl = v;
      say(`valid perplexity: ${v.toFixed(2)}`);
      signal = stop.requested;
    }
    if (signal === null && data.test.length > 0) {
      record.summary.test_ppl = lm.perplexity(data.test);
      say(`test perplexity: ${record.summary.test_ppl.toFixed(2)}`);
      signal = stop.requested;
    }
  } catch (e) {
    record.status = "failed";
    record.exit_reason = e instanceof Error ? e.message : String(e);
    finishTimes(record, t0);
    try {
      await session.writeRecord();
    } catch { /* the record stays as it was */ }
    session.close();
    throw e;
  }
  finishTimes(record, t0);
  if (signal !== null) {
    record.status = "interrupted";
    record.exit_reason = `interrupted by ${signal} while counting`;
  } else {
    record.status = "completed";
    record.exit_reason = "completed";
  }
  record.reference = referenceVerdict(findExperiment(record.experiment).experiment, record, []);
  try {
    await session.writeRecord();
  } finally {
    session.close();
  }
  if (signal !== null) {
    say(`interrupted; resume with: deno task experiment --resume ${session.dir}`);
  }
  return {
    dir: session.dir,
    status: record.status,
    exitCode: signal === null ? 0 : stopExitCode(signal),
    record: { ...record },
    pin: null,
  };
}

function finishTimes(record: RunRecord, t0: number): void {
  const now = new Date().toISOString();
  const seconds = (performance.now() - t0) / 1000;
  record.finished_at = now;
  record.heartbeat_at = now;
  record.summary.train_time_s = seconds;
  record.summary.wall_time_s = (Date.parse(now) - Date.parse(record.started_at)) / 1000;
}

/** Where the progress lines go: nowhere when quiet, else `print` (standard output), never throwing. */
function progressLines(
  io: { print?: (line: string) => void; quiet?: boolean },
): (line: string) => void {
  return io.quiet ? () => {} : safePrint(io.print ?? ((l: string) => console.log(l)));
}
