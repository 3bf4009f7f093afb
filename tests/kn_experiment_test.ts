/**
 * `deno task experiment kn_ngram`: the Kneser-Ney baseline as a run, scored on the very ids the
 * neural models read, with an ordinary record that `runs`, `compare` and `reproduce` understand.
 */
import assert from "node:assert/strict";
import { assertOneLineError, HAVE_PTB, runCliProcess, tempDir } from "./fixtures.ts";

Deno.test({
  name:
    "kn_ngram on PTB: test 141.06 from one stream, 141.19 per sentence; a record like any run's",
  ignore: !HAVE_PTB,
  async fn() {
    await using dir = await tempDir();
    const out = `${dir.path}/results`;
    const run = async (...args: string[]) => {
      const r = await runCliProcess("experiment.ts", [
        "kn_ngram",
        "--out",
        out,
        "--quiet",
        ...args,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const runDir = r.stdout.trim().split("\n").at(-1)!;
      return { runDir, record: JSON.parse(await Deno.readTextFile(`${runDir}/run.json`)) };
    };
    const stream = await run();
    assert.equal(stream.record.status, "completed");
    assert.ok(Math.abs(stream.record.summary.test_ppl - 141.06) < 0.01);
    assert.ok(Math.abs(stream.record.summary.final_valid_ppl - 147.73) < 0.01);
    assert.equal(stream.record.reference.verdict, "within_band");
    assert.equal(stream.record.ngram.order, 5);
    assert.equal(stream.record.data.vocab_size, 10000);
    assert.equal(stream.record.data.test_tokens, 82430);
    // The wall time covers the counting, which happens before the record exists.
    const { wall_time_s, train_time_s } = stream.record.summary;
    assert.ok(wall_time_s >= train_time_s, `wall ${wall_time_s} s < counting ${train_time_s} s`);
    // As for a neural run, a dirty tree leaves its diff beside the record; a clean one leaves none.
    const patch = await Deno.readTextFile(`${stream.runDir}/diff.patch`).catch(() => null);
    if (stream.record.environment.git.dirty) assert.match(patch ?? "", /^diff --git /m);
    else assert.equal(patch, null);
    const sentence = await run("--sentence", "true");
    assert.ok(Math.abs(sentence.record.summary.test_ppl - 141.19) < 0.01);

    // Counting is exact arithmetic on the same ids: a rerun is bit for bit the record.
    const again = await runCliProcess("reproduce.ts", [stream.runDir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /BIT-IDENTICAL/);
    const list = await runCliProcess("runs.ts", ["--root", out]);
    assert.match(list.stdout, /kn_ngram .* 141\.06/);
    assertOneLineError(
      await runCliProcess("experiment.ts", ["--resume", stream.runDir]),
      /has already completed; nothing to resume/,
    );
    assertOneLineError(
      await runCliProcess("generate.ts", [stream.runDir]),
      /kn_ngram is a count-based n-gram model, not a network/,
    );
  },
});

Deno.test("kn_ngram refuses seed groups, an order it cannot count, nothing to score, too little text", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/train.txt`, "a b c\n".repeat(200));
  const run = (...args: string[]) =>
    runCliProcess("experiment.ts", ["kn_ngram", "--out", `${dir.path}/r`, ...args]);
  const file = ["--corpus", `${dir.path}/train.txt`]; // cut 0.8, 0.1, 0.1
  assertOneLineError(await run(...file, "--seeds", "1-3"), /draws nothing at random/);
  assertOneLineError(
    await run(...file, "--order", "11"),
    /--order 11: must be an integer in \[1, 10\]/,
  );
  // A folder with train.txt only: nothing to score the counts on.
  assertOneLineError(await run("--corpus", dir.path), /no valid or test text to score/);
  assertOneLineError(
    await run(...file),
    /discounts cannot be estimated .* use a lower order or more text/,
  );
  // Nothing was left behind by the refusals.
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["train.txt"]);
});
