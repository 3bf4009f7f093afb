/**
 * The vocabulary cap (`--vocab-size N`): the N - 1 most frequent training words and `<unk>`, ties
 * to the word seen first, the rest `<unk>` in train, valid and test; recorded with the run and
 * applied again by resume, reproduce and generate.
 */
import assert from "node:assert/strict";
import { capVocabulary, loadExperiment, loadRunData, resolveHyperparameters } from "@rnnlab/rnnlab";
import { assertOneLineError, corpusFiles, runCliProcess, tempDir } from "./fixtures.ts";

const ids = (s: string) => Int32Array.from(s.split(" ").map(Number));

Deno.test("capVocabulary: frequency first, then first appearance; <unk> keeps its place", () => {
  // words: 0 x, 1 <unk>, 2 y, 3 z, 4 q. Counts: x 2, <unk> 1, y 3, z 2, q 1.
  const idToWord = ["x", "<unk>", "y", "z", "q"];
  const c = capVocabulary({
    train: ids("0 1 2 2 3 0 2 3 4"),
    valid: ids("4 3 0"),
    test: ids("1 2"),
    idToWord,
  }, 3);
  // y (3) first; x and z tie at 2 and x came first; <unk> is the third word, in its own place.
  assert.deepEqual(c.idToWord, ["x", "<unk>", "y"]);
  assert.equal(c.train.join(" "), "0 1 2 2 1 0 2 1 1");
  assert.equal(c.valid.join(" "), "1 1 0");
  assert.equal(c.test.join(" "), "1 2");
  assert.deepEqual(c.replaced, { train: 3, valid: 2, test: 0 });
});

Deno.test("capVocabulary: a corpus within the cap is unchanged; a cap below 2 is refused", () => {
  const corpus = { train: ids("0 1 0"), valid: ids("1"), test: ids("0"), idToWord: ["a", "b"] };
  const same = capVocabulary(corpus, 2);
  assert.equal(same.train, corpus.train);
  assert.deepEqual(same.replaced, { train: 0, valid: 0, test: 0 });
  assert.throws(() => capVocabulary(corpus, 1), /--vocab-size 1: give an integer of at least 2/);
});

Deno.test("a capped run's data: every split mapped, words unseen in training become <unk>", async () => {
  await using dir = await tempDir();
  const train = "a a a b b c d\n".repeat(60), other = "a b e f\n".repeat(100);
  for (const [f, text] of [["train", train], ["valid", other], ["test", other]]) {
    await Deno.writeTextFile(`${dir.path}/${f}.txt`, text);
  }
  const { experiment } = loadExperiment("ch06_rnnlm");
  const hp = resolveHyperparameters(experiment, { batch_size: "2", time_size: "5" });
  const source = { corpus: corpusFiles(dir.path) };
  // Without a cap, e and f (never in training) have nowhere to go.
  await assert.rejects(
    loadRunData(experiment.data(hp), experiment.plan(hp), source),
    /word 'e' .* cap the vocabulary with --vocab-size N/,
  );
  const data = await loadRunData(experiment.data(hp), experiment.plan(hp), {
    ...source,
    vocabSize: 4,
  });
  // a 180, b 120, then c, d and <eos> 60 each: <eos> stays, c and d go.
  assert.deepEqual(data.idToWord, ["a", "b", "<eos>", "<unk>"]);
  assert.equal(data.info.vocab_cap, 4);
  assert.equal(data.info.vocab_before_cap, 6); // a b c d <eos> and the <unk> valid needed
  assert.equal(data.xs.slice(0, 8).join(" "), "0 0 0 1 1 3 3 2");
  assert.equal(data.valid.slice(0, 5).join(" "), "0 1 3 3 2");
});

Deno.test("--vocab-size on the command line: recorded, applied again by reproduce; bad values refused", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/train.txt`, "the cat sat on the mat\n".repeat(100));
  const args = [
    "ch05_simple_rnnlm",
    "--corpus",
    `${dir.path}/train.txt`,
    "--corpus-size",
    "500",
    "--max-epoch",
    "2",
    "--out",
    `${dir.path}/results`,
    "--quiet",
  ];
  const ok = await runCliProcess("experiment.ts", [...args, "--vocab-size", "4"]);
  assert.equal(ok.code, 0, ok.stderr);
  const runDir = ok.stdout.trim().split("\n").at(-1)!;
  const record = JSON.parse(await Deno.readTextFile(`${runDir}/run.json`));
  assert.equal(record.data.vocab_size, 4); // the, cat (first of the ties), <eos> and <unk>
  assert.equal(record.data.vocab_cap, 4);
  assert.equal(record.reference.verdict, "not_applicable");
  const again = await runCliProcess("reproduce.ts", [runDir]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /BIT-IDENTICAL/);
  for (const bad of ["1", "-3", "2.5", "ten"]) {
    const r = await runCliProcess("experiment.ts", [...args, "--vocab-size", bad]);
    assertOneLineError(r, /--vocab-size/);
  }
});
