/** `generate`: deterministic per seed, never `<unk>` unless asked. */
import assert from "node:assert/strict";
import { main as generate } from "../cli/generate.ts";
import { tempDir, tinyRnnlmRun, writeSyntheticCorpus } from "./fixtures.ts";

Deno.test("generate: same seed same text, another seed other text, no <unk> unless asked", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 2000, valid: 800, test: 800 });
  const corpus = corpusDir.path;
  // Make <unk> a frequent training word so that the model would sample it.
  const train = await Deno.readTextFile(`${corpus}/train.txt`);
  await Deno.writeTextFile(`${corpus}/train.txt`, train.replaceAll("w3 ", "<unk> "));
  await using outDir = await tempDir();
  const out = outDir.path;
  const run = await tinyRnnlmRun(corpus, out, { eval_interval: "25" });
  const gen = async (...args: string[]) => {
    const text: string[] = [];
    assert.equal(await generate([run.dir, "--words", "300", ...args], (s) => text.push(s)), 0);
    return text.join("\n");
  };
  const a = await gen("--start", "w0", "--seed", "1");
  const b = await gen("--start", "w0", "--seed", "1");
  const c = await gen("--start", "w0", "--seed", "2");
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.match(a, /^w0\s/);
  assert.equal(a.split(/\s+/).filter((w) => w !== "").length + (a.match(/\n/g) ?? []).length, 301);
  assert.ok(!a.includes("<unk>"));
  const withUnk = await gen("--start", "w0", "--seed", "1", "--allow-unk", "--temperature", "2");
  assert.ok(withUnk.includes("<unk>"));
  await assert.rejects(
    gen("--start", "nonword"),
    /start word 'nonword' is not among the \d+ words of ch06_rnnlm's vocabulary/,
  );
});
