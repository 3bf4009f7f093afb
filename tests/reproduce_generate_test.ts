/**
 * `reproduce` (bit-identical when the fingerprint matches, within tolerance otherwise, non-zero on
 * a mismatch) and `generate` (deterministic per seed, never `<unk>` unless asked).
 */
import assert from "node:assert/strict";
import { type MetricLine, readMetrics, readRunRecord, type RunRecord } from "../run/record.ts";
import { main as reproduce } from "../cli/reproduce.ts";
import { main as generate } from "../cli/generate.ts";
import { tempDir, tinyRnnlmRun, writeSyntheticCorpus } from "./fixtures.ts";

/** Copies a run's record to `to`, with `edit` applied to `run.json` and `editLines` to its metrics. */
async function copyRun(
  from: string,
  to: string,
  edit: (r: RunRecord) => void,
  editLines: (lines: MetricLine[]) => void = () => {},
) {
  await Deno.mkdir(to, { recursive: true });
  const lines = await readMetrics(from);
  editLines(lines);
  await Deno.writeTextFile(
    `${to}/metrics.jsonl`,
    lines.map((l) => JSON.stringify(l) + "\n").join(""),
  );
  const rec = await readRunRecord(from);
  edit(rec);
  await Deno.writeTextFile(`${to}/run.json`, JSON.stringify(rec));
}

Deno.test("reproduce: bit-identical with a matching fingerprint, tolerance otherwise, non-zero on a mismatch", async () => {
  await using corpusDir = await writeSyntheticCorpus({ train: 2000, valid: 800, test: 800 });
  const corpus = corpusDir.path;
  await using outDir = await tempDir();
  const out = outDir.path;
  const run = await tinyRnnlmRun(corpus, out, { eval_interval: "25" });
  assert.equal(run.status, "completed");

  const lines: string[] = [];
  assert.equal(await reproduce([run.dir], (s) => lines.push(s)), 0);
  assert.ok(lines.some((l) => /fingerprint matches: the curves must be bit-identical/.test(l)));
  assert.match(
    lines.at(-1)!,
    /^REPRODUCED: \d+ values compared, max relative difference 0\.00e\+0/,
  );

  // Another environment: the same curve passes within tolerance.
  const moved = `${out}/moved`;
  await copyRun(run.dir, moved, (r) => (r.environment.openblas.threads = 64));
  lines.length = 0;
  assert.equal(await reproduce([moved], (s) => lines.push(s)), 0);
  assert.ok(lines.some((l) => /openblas_threads: 64 -> \d+/.test(l)));
  assert.ok(lines.some((l) => /relative tolerance of 0.02/.test(l)));

  // Another environment whose last epoch's training perplexity was 0.5 % higher: within 2 %.
  const moveAway = (r: RunRecord) => (r.environment.openblas.threads = 64);
  const lastEpoch = (ls: MetricLine[]) => ls.findLast((l) => l.kind === "epoch")!;
  const original = lastEpoch(await readMetrics(run.dir));
  assert.equal(original.epoch, 2);
  const near = `${out}/near`;
  await copyRun(run.dir, near, moveAway, (ls) => (lastEpoch(ls).ppl *= 1.005));
  lines.length = 0;
  assert.equal(await reproduce([near], (s) => lines.push(s)), 0);
  assert.ok(!lines.some((l) => /mismatch/.test(l)));
  // |1.005 x - x| / 1.005 x = 4.98e-3: the largest difference, every other value being equal.
  assert.match(
    lines.at(-1)!,
    /^REPRODUCED: \d+ values compared, max relative difference 4\.98e-3$/,
  );

  // 5 % higher: a mismatch naming the line, exit 1; accepted when --rtol allows 5 %.
  const far = `${out}/far`;
  await copyRun(run.dir, far, moveAway, (ls) => (lastEpoch(ls).ppl *= 1.05));
  const farPpl = lastEpoch(await readMetrics(far)).ppl;
  lines.length = 0;
  assert.equal(await reproduce([far], (s) => lines.push(s)), 1);
  assert.deepEqual(lines.filter((l) => /mismatch/.test(l)), [
    `  mismatch: end of epoch 2 iter ${original.iter} ppl: recorded ${farPpl}, ` +
    `rerun ${original.ppl} (relative difference 4.76e-2)`,
  ]);
  assert.match(
    lines.at(-1)!,
    /^NOT REPRODUCED: \d+ values compared, max relative difference 4\.76e-2$/,
  );
  lines.length = 0;
  assert.equal(await reproduce([far, "--rtol", "0.05"], (s) => lines.push(s)), 0);
  assert.ok(lines.some((l) => /relative tolerance of 0.05/.test(l)));

  // A record whose test perplexity is off by 0.1 %: not bit-identical.
  const off = `${out}/off`;
  await copyRun(run.dir, off, (r) => (r.summary.test_ppl! *= 1.001));
  lines.length = 0;
  assert.equal(await reproduce([off], (s) => lines.push(s)), 1);
  assert.ok(lines.some((l) => /mismatch: summary test_ppl/.test(l)));
  assert.match(lines.at(-1)!, /^NOT REPRODUCED/);

  // Only the first epoch of it: the test figure is not compared, the curve matches.
  lines.length = 0;
  assert.equal(await reproduce([off, "--epochs", "1"], (s) => lines.push(s)), 0);
});

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
  await assert.rejects(gen("--start", "nonword"), /start word 'nonword' is not in the vocabulary/);
});
