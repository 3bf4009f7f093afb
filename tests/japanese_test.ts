/**
 * Japanese end to end: the Soseki corpus segmented at the start of a run, capped to 10,000 words,
 * recorded with what segmented it; the same tokens for the Kneser-Ney baseline; and `generate`
 * on a Japanese run, which segments its start text and writes without spaces.
 */
import assert from "node:assert/strict";
import {
  findExperiment,
  loadExperiment,
  loadRunData,
  type NgramExperiment,
  resolveHyperparameters,
  startRun,
} from "@rnnlab/rnnlab";
import { main as generate } from "../cli/generate.ts";
import { HAVE_AOZORA, HAVE_MECAB } from "./aozora_fixtures.ts";
import { tempDir } from "./fixtures.ts";

const ready = HAVE_AOZORA && HAVE_MECAB;

Deno.test({
  name: "ja_soseki_rnnlm's data: 12 works train, 門 valid, こころ test, 10,000 words, recorded",
  ignore: !ready,
  async fn() {
    const { experiment } = loadExperiment("ja_soseki_rnnlm");
    const hp = resolveHyperparameters(experiment, {});
    const data = await loadRunData(experiment.data(hp), experiment.plan(hp), {});
    assert.equal(data.vocabSize, 10000);
    assert.equal(data.info.corpus, "soseki");
    assert.equal(data.info.vocab_cap, 10000);
    assert.ok(data.info.vocab_before_cap! > 25000, `${data.info.vocab_before_cap} words`);
    assert.ok(data.idToWord.includes("<unk>") && data.idToWord.includes("<eos>"));
    assert.ok(data.idToWord.includes("吾輩"));
    const build = data.info.build!;
    assert.match(build.segmenter, /^MeCab \d/);
    assert.match(build.dictionary, /UTF-8/);
    assert.equal(build.sources.length, 14);
    assert.deepEqual(build.sources.filter((s) => s.split === "valid").map((s) => s.id), [
      "785_ruby_1656",
    ]);
    assert.deepEqual(build.sources.filter((s) => s.split === "test").map((s) => s.id), [
      "773_ruby_5968",
    ]);
    // Train is well over a million tokens; valid and test a few per cent each.
    assert.ok(data.info.train_tokens > 1e6 && data.info.valid_tokens > 5e4);

    // kn_ngram --corpus soseki --vocab-size 10000 reads the very same ids.
    const kn = findExperiment("kn_ngram").experiment as NgramExperiment;
    const knHp = resolveHyperparameters(kn, {});
    const plan = { batchSize: 1, timeSize: 1, validEachEpoch: true, testAtEnd: true };
    const same = await loadRunData(kn.data(knHp), plan, { named: "soseki", vocabSize: 10000 }, 0);
    assert.deepEqual(same.info.files, data.info.files);
    assert.deepEqual(same.test, data.test);
  },
});

Deno.test({
  name: "generate on a Japanese run: the start text segmented, words joined without spaces",
  ignore: !ready,
  async fn() {
    await using dir = await tempDir();
    const { experiment } = loadExperiment("ja_soseki_rnnlm");
    const hyperparameters = resolveHyperparameters(experiment, {
      wordvec_size: "8",
      hidden_size: "8",
      time_size: "5",
    });
    // A few iterations are enough to sample from; the run stops as if interrupted.
    const run = await startRun({
      experiment,
      hyperparameters,
      seed: 1,
      out: dir.path,
      quiet: true,
      stopAfterIters: 3,
    });
    assert.equal(run.status, "interrupted");
    const lines: string[] = [];
    const gen = (...args: string[]) =>
      generate([run.dir, "--words", "40", ...args], (s) => lines.push(s));
    assert.equal(await gen("--start", "吾輩は猫", "--seed", "1"), 0);
    const text = lines.join("\n");
    assert.ok(text.startsWith("吾輩は猫"), text);
    assert.ok(!text.includes(" "), `no spaces between Japanese words: ${text}`);
    await assert.rejects(
      gen("--start", "ｑｗｚｘ"),
      /start word '.*' is not among the 10000 words of ja_soseki_rnnlm's vocabulary/,
    );
  },
});
