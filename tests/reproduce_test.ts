/**
 * `reproduce` prints exactly one of three verdicts: BIT-IDENTICAL (every value equal, the summary
 * included), WITHIN SEED SPREAD (values differ but lie in the spread of the committed seed group)
 * or NOT REPRODUCED (exit 1). A rerun (and a resume) computes with the record's kernels, pinned
 * whatever the environment says.
 */
import assert from "node:assert/strict";
import { type MetricLine, readMetrics, readRunRecord, type RunRecord } from "../run/record.ts";
import { main as reproduce } from "../cli/reproduce.ts";
import {
  corpusFiles,
  runCliProcess,
  spawnTask,
  tempDir,
  tinyRnnlmRun,
  waitForLines,
  writeSyntheticCorpus,
} from "./fixtures.ts";
import { loadExperiment } from "../experiments/mod.ts";
import { resolveHyperparameters } from "../experiments/define.ts";
import { startRun } from "../run/run.ts";

/**
 * Copies a run's record to a new run directory beside it (so that its seed group is found), with
 * `edit` applied to `run.json` and `editLines` to its metrics; returns the copy.
 */
async function copyRun(
  from: string,
  name: string,
  edit: (r: RunRecord) => void,
  editLines: (lines: MetricLine[]) => void = () => {},
): Promise<string> {
  const to = `${from.slice(0, from.lastIndexOf("/"))}/${name}`;
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
  return to;
}

const run = async (args: string[]) => {
  const lines: string[] = [];
  const code = await reproduce(args, (s) => lines.push(s));
  return { code, lines, verdict: lines.find((l) => /^[A-Z][A-Z -]+:/.test(l)) ?? "" };
};

Deno.test("reproduce: BIT-IDENTICAL on the same code and kernels; an edited record is NOT REPRODUCED", async () => {
  await using corpus = await writeSyntheticCorpus({ train: 2000, valid: 800, test: 800 });
  await using out = await tempDir();
  const r = await tinyRnnlmRun(corpus.path, out.path, { eval_interval: "25" });
  assert.equal(r.status, "completed");

  const same = await run([r.dir]);
  assert.equal(same.code, 0);
  assert.ok(same.lines.some((l) => /^pinned to the record's OpenBLAS \w+ kernels/.test(l)));
  assert.match(same.verdict, /^BIT-IDENTICAL: \d+ values compared, all equal$/);

  // A test perplexity edited to a better figure: the same computation gives other bits.
  const better = await copyRun(r.dir, "better", (x) => (x.summary.test_ppl! *= 0.9));
  const b = await run([better]);
  assert.equal(b.code, 1);
  assert.match(b.verdict, /^NOT REPRODUCED: 1 of \d+ values differ/);
  assert.ok(b.lines.some((l) => /not deterministic, or the record was changed/.test(l)));
  assert.ok(b.lines.some((l) => /summary test_ppl: recorded/.test(l)));
  // Its first epoch alone (the summary is not compared) is bit-identical.
  assert.match((await run([better, "--epochs", "1"])).verdict, /^BIT-IDENTICAL/);

  // A summary that contradicts the record's own metrics.
  const edited = await copyRun(r.dir, "edited", (x) => (x.summary.final_train_ppl! *= 0.9));
  const e = await run([edited]);
  assert.equal(e.code, 1);
  assert.ok(
    e.lines.some((l) => /the record's summary final_train_ppl is .*, but its metrics say/.test(l)),
  );
});

Deno.test("reproduce: a rerun in a temporary folder leaves nothing behind, its outside checkpoints included", async () => {
  await using corpus = await writeSyntheticCorpus({ train: 2000, valid: 800, test: 800 });
  await using out = await tempDir();
  const r = await tinyRnnlmRun(corpus.path, out.path, {});
  await using outside = await tempDir();
  Deno.env.set("RNNLAB_CHECKPOINT_DIR", outside.path);
  try {
    assert.match((await run([r.dir])).verdict, /^BIT-IDENTICAL/);
  } finally {
    Deno.env.delete("RNNLAB_CHECKPOINT_DIR");
  }
  const left = await Array.fromAsync(Deno.readDir(`${outside.path}/${r.record.experiment}`));
  assert.deepEqual(left.map((e) => e.name), []);
});

Deno.test("reproduce: off the record's kernels, values are judged by the seed group: WITHIN SEED SPREAD, or NOT REPRODUCED outside it or without a group", async () => {
  await using corpus = await writeSyntheticCorpus({ train: 2000, valid: 800, test: 800 });
  await using out = await tempDir();
  const first = await tinyRnnlmRun(corpus.path, out.path);
  // A record "made on kernels this CPU cannot run": the rerun cannot be pinned. Its test
  // perplexity is nudged, as another kernel's rounding would.
  const unpinnable = (x: RunRecord) => (x.environment.openblas.core = "SapphireRapids");
  const close = await copyRun(first.dir, "close", (x) => {
    unpinnable(x);
    x.summary.test_ppl! *= 1 + 1e-6;
  });
  const alone = await run([close]);
  assert.equal(alone.code, 1);
  // (In this process OpenBLAS is loaded already; a fresh process would say the CPU lacks AMX.)
  assert.ok(
    alone.lines.some((l) => /^not pinned: .*SapphireRapids/.test(l)),
    alone.lines.join("\n"),
  );
  assert.ok(alone.lines.some((l) => /fewer than 3; commit a seed group/.test(l)));

  // The seed group: three more seeds of the same configuration beside it.
  const { experiment } = loadExperiment("ch06_rnnlm");
  const hp = resolveHyperparameters(experiment, {
    wordvec_size: "10",
    hidden_size: "10",
    batch_size: "4",
    time_size: "5",
    max_epoch: "2",
    eval_interval: "0",
  });
  for (const seed of [4, 5, 6]) {
    const s = await startRun({
      experiment,
      hyperparameters: hp,
      seed,
      out: out.path,
      quiet: true,
      data: { corpus: corpusFiles(corpus.path) },
    });
    assert.equal(s.status, "completed");
  }
  const within = await run([close]);
  assert.equal(within.code, 0, within.lines.join("\n"));
  assert.match(within.verdict, /^WITHIN SEED SPREAD: \d+ of \d+ values differ, .* \(4 seeds\)$/);
  assert.ok(
    within.lines.some((l) => /^ {2}test_ppl: rerun .* inside \[.*\] from 3 seeds$/.test(l)),
  );

  // Far from every seed: NOT REPRODUCED, naming the checkpoints.
  const far = await copyRun(first.dir, "far", (x) => {
    unpinnable(x);
    x.summary.test_ppl! *= 100;
  });
  const f = await run([far]);
  assert.equal(f.code, 1);
  assert.ok(f.lines.some((l) => /the record's own .* lies outside/.test(l)), f.lines.join("\n"));
});

Deno.test("a rerun and a resume compute with the record's kernels, whatever OPENBLAS_CORETYPE now says", async () => {
  await using corpus = await writeSyntheticCorpus({ train: 3000, valid: 800, test: 800 });
  await using out = await tempDir();
  const args = (to: string) => [
    "ch05_simple_rnnlm",
    "--corpus",
    corpus.path,
    "--max-epoch",
    "300",
    "--out",
    to,
  ];
  // Made on the Sandybridge kernels (AVX), which every x86-64 CPU of this machine type runs.
  const sandy = { OPENBLAS_CORETYPE: "Sandybridge" }, haswell = { OPENBLAS_CORETYPE: "Haswell" };
  const made = await runCliProcess("experiment.ts", [...args(`${out.path}/a`), "--quiet"], sandy);
  assert.equal(made.code, 0, made.stderr);
  const dir = made.stdout.trim();
  const rec = await readRunRecord(dir);
  assert.equal(rec.environment.openblas.core, "Sandybridge");
  assert.equal(rec.environment.openblas.core_source, "environment");

  const again = await runCliProcess("reproduce.ts", [dir], haswell);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /pinned to the record's OpenBLAS Sandybridge kernels/);
  assert.match(again.stdout, /^BIT-IDENTICAL/m);

  // Interrupted on Sandybridge, resumed where the environment says Haswell: the same curve.
  const child = spawnTask("experiment", args(`${out.path}/b`), sandy);
  const stopped = await waitForLines(`${out.path}/b`, "ch05_simple_rnnlm", 3);
  Deno.kill(-child.pid, "SIGINT");
  assert.equal((await child.output()).code, 130);
  const resumed = await runCliProcess("experiment.ts", ["--resume", stopped, "--quiet"], haswell);
  assert.equal(resumed.code, 0, resumed.stderr);
  const after = await readRunRecord(stopped);
  const env = after.resumes[0].environment!;
  assert.equal(env.openblas.core, "Sandybridge");
  assert.equal(env.openblas.core_source, "pinned");
  assert.equal(env.openblas.pinned_from, stopped);
  assert.deepEqual(
    (await readMetrics(stopped)).map((l) => l.ppl),
    (await readMetrics(dir)).map((l) => l.ppl),
  );
});
