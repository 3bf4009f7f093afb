/**
 * Bad input of every kind gets one line that says what to do, a non-zero exit and nothing
 * written: changed data under a resumed run, corpora without words, options given twice or in
 * hexadecimal, sizes that cannot fit in memory, perplexities that are not finite, paths typed
 * from another folder, and names that are not experiments.
 */
import assert from "node:assert/strict";
import { loadExperiment } from "../experiments/mod.ts";
import { type Experiment, resolveHyperparameters } from "../experiments/define.ts";
import type { LanguageModel } from "../models/model.ts";
import { Param } from "../core/param.ts";
import { readRunRecord } from "../run/record.ts";
import { startRun } from "../run/run.ts";
import { estimateRunMemory } from "../run/memory.ts";
import {
  assertOneLineError,
  corpusFiles,
  dirEntries,
  ROOT,
  runCliProcess,
  tempDir,
  writeSyntheticCorpus,
} from "./fixtures.ts";

Deno.test("--resume and reproduce refuse a corpus edited since the run was made, naming the file", async () => {
  await using corpus = await writeSyntheticCorpus({ train: 3000, valid: 400, test: 400 });
  await using out = await tempDir();
  const mine = `${corpus.path}/mine.txt`;
  await Deno.copyFile(`${corpus.path}/train.txt`, mine);
  const args = ["ch05_simple_rnnlm", "--corpus", mine, "--out", out.path, "--quiet"];
  const first = await runCliProcess("experiment.ts", [...args, "--max-epoch", "2"]);
  assert.equal(first.code, 0, first.stderr);
  const done = first.stdout.trim();
  // A run stopped after 20 iterations, to be resumed.
  const { experiment } = loadExperiment("ch05_simple_rnnlm");
  const run = await startRun({
    experiment,
    hyperparameters: resolveHyperparameters(experiment, { max_epoch: "5" }),
    seed: 1,
    out: out.path,
    quiet: true,
    data: { corpus: { path: mine, split: [0.8, 0.1, 0.1] } },
    stopAfterIters: 20,
  });
  assert.equal(run.status, "interrupted");
  const before = await Deno.readTextFile(`${run.dir}/run.json`);
  await Deno.writeTextFile(mine, (await Deno.readTextFile(mine)).replace("w1 ", "w2 "));
  const resumed = await runCliProcess("experiment.ts", ["--resume", run.dir]);
  assertOneLineError(
    resumed,
    new RegExp(
      `^error: ${
        mine.replaceAll("/", "\\/")
      } has changed since .* was made \\(SHA-256 [0-9a-f]{12}… recorded, [0-9a-f]{12}… now\\); put the original file back, or start a new run$`,
    ),
  );
  assert.equal(await Deno.readTextFile(`${run.dir}/run.json`), before);
  const reproduced = await runCliProcess("reproduce.ts", [done]);
  assertOneLineError(reproduced, /mine\.txt has changed since .* was made/);
});

Deno.test("a corpus of blank lines is refused, naming the file", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/blank.txt`, "\n\n\n".repeat(2000));
  const r = await runCliProcess("experiment.ts", [
    "ch05_simple_rnnlm",
    "--corpus",
    `${dir.path}/blank.txt`,
    "--out",
    `${dir.path}/out`,
  ]);
  assertOneLineError(r, /blank\.txt has 1 distinct word; a language model needs at least two/);
  assert.deepEqual(await dirEntries(`${dir.path}/out`), []);
});

Deno.test("options given twice, in hexadecimal, or out of their place are refused", async () => {
  await using dir = await tempDir();
  const out = ["--out", `${dir.path}/out`];
  const cases: [string, string[], RegExp][] = [
    [
      "experiment.ts",
      ["ch05_simple_rnnlm", "--lr", "0.1", "--lr", "0.2", ...out],
      /^error: --lr is given twice \(0\.1, 0\.2\); give it once$/,
    ],
    [
      "experiment.ts",
      ["ch05_simple_rnnlm", "--max-epoch", "0x3", ...out],
      /^error: --max-epoch 0x3: must be an integer in \[1, 100000\]/,
    ],
    [
      "experiment.ts",
      ["ch05_simple_rnnlm", "--lr", "1e-1e", ...out],
      /^error: --lr 1e-1e: must be a number/,
    ],
    [
      "experiment.ts",
      ["ch05_simple_rnnlm", "--split", "0.8,0.1,0.1", ...out],
      /^error: --split cuts a --corpus file; give --corpus FILE with it, or drop --split$/,
    ],
    [
      "experiment.ts",
      ["ch05_simple_rnnlm", "--seed", "4294967296", ...out],
      /^error: --seed 4294967296: must be an integer in \[0, 4294967295\]$/,
    ],
    [
      "generate.ts",
      [dir.path, "--seed", "4294967297"],
      /^error: --seed 4294967297: must be an integer in \[0, 4294967295\]$/,
    ],
    [
      "generate.ts",
      [dir.path, "--words", "3", "--words", "4"],
      /^error: --words is given twice \(3, 4\); give it once$/,
    ],
    ["runs.ts", ["--json", "--json"], /^error: --json is given twice; give it once$/],
  ];
  for (const [script, args, re] of cases) {
    assertOneLineError(await runCliProcess(script, args), re);
  }
  assert.deepEqual(await dirEntries(`${dir.path}/out`), []);
});

Deno.test("sizes that cannot fit are refused before anything is allocated, with the estimate and what the machine has", async () => {
  await using dir = await tempDir();
  await using corpus = await writeSyntheticCorpus({ train: 600000, valid: 800, test: 800 });
  // N = 1000, T = 500, H = 4096: tens of GB of activations.
  const r = await runCliProcess("experiment.ts", [
    "ch06_rnnlm",
    "--corpus",
    corpus.path,
    "--hidden-size",
    "4096",
    "--batch-size",
    "1000",
    "--time-size",
    "500",
    "--out",
    `${dir.path}/out`,
  ]);
  assertOneLineError(
    r,
    /^error: ch06_rnnlm with these settings needs about \d+\.\d GB of memory \(.* parameters, .* activations\), but this machine has .* available of .*; lower --batch-size, --time-size or the layer sizes$/,
  );
  assert.deepEqual(await dirEntries(`${dir.path}/out`), []);
  const help = await runCliProcess("experiment.ts", ["ch06_rnnlm", "--help"]);
  assert.match(help.stdout, /^memory: about \d+ MB with these defaults on PTB/m);
});

/**
 * Bytes a fresh process allocates (ArrayBuffers and shared buffers) to build `name`'s model at
 * small sizes and run one training step (`mode` "train") or one evaluation (`"eval"`), next to the
 * model's own estimate for the same. A fresh process has no garbage of earlier tests to collect.
 */
async function probeMemory(name: string, mode: "train" | "eval"): Promise<[number, number]> {
  const code = `
    import { evalPerplexity, loadExperiment, resolveHyperparameters, Rng, sharedBytesAllocated, Trainer }
      from "${ROOT}/mod.ts";
    const { experiment } = loadExperiment("${name}");
    const hp = resolveHyperparameters(experiment, {
      wordvec_size: "64", hidden_size: "64", batch_size: "8", time_size: "12",
    });
    const V = 3000;
    const corpus = Int32Array.from({ length: 4000 }, (_, i) => (i * 7919) % V);
    const bytes = () => Deno.memoryUsage().external + sharedBytesAllocated();
    const before = bytes();
    const model = experiment.model(hp, V, new Rng(1));
    if ("${mode}" === "train") {
      const plan = { ...experiment.plan(hp), maxGrad: null };
      new Trainer(model, plan, corpus.subarray(0, 3999), corpus.subarray(1)).step();
    } else {
      evalPerplexity(model, corpus);
    }
    const m = "${mode}" === "train"
      ? experiment.memory(hp, V, 8, 12, true)
      : experiment.memory(hp, V, 10, 35, false);
    console.log(JSON.stringify([bytes() - before, m.params + m.activations]));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    env: { NO_COLOR: "1", RNNLAB_WORKERS: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

Deno.test("each model's memory estimate is what it allocates, for a training step and for an evaluation", async () => {
  for (const name of ["ch05_simple_rnnlm", "ch06_rnnlm", "ch06_gru", "ch06_better_rnnlm"]) {
    for (const mode of ["train", "eval"] as const) {
      const [allocated, estimate] = await probeMemory(name, mode);
      const ratio = allocated / estimate;
      assert.ok(
        ratio > 0.95 && ratio < 1.05,
        `${name} ${mode}: allocated ${allocated}, estimated ${estimate}`,
      );
    }
  }
  // The run's estimate adds a checkpoint's copy of the parameters and the process itself.
  const { experiment } = loadExperiment("ch06_rnnlm");
  const hp = resolveHyperparameters(experiment, {});
  const plan = experiment.plan(hp);
  const m = experiment.memory(hp, 10000, 20, 35, true);
  const run = estimateRunMemory(experiment, hp, plan, 10000);
  assert.equal(run.total, run.params + run.activations + run.base);
  assert.equal(run.params, 1.5 * m.params);
});

/** A model whose training loss is 1 and whose evaluation loss is `evalLoss`. */
function constantModel(evalLoss: number): LanguageModel {
  return {
    params: [new Param("w", [1])],
    forward: (_x, _t, _n, _T, train) => (train ? 1 : evalLoss),
    backward() {},
    resetState() {},
    getState: () => [],
    setState() {},
    predict: () => new Float32Array(0),
  };
}

Deno.test("a valid or test perplexity that is infinite or NaN ends the run as diverged, exit 3", async () => {
  await using corpus = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
  await using out = await tempDir();
  for (
    const [name, loss, re] of [
      ["ch06_rnnlm", Infinity, /^test perplexity became Infinity; lower --lr or --max-grad$/],
      ["ch06_rnnlm", NaN, /^test perplexity became NaN; lower --lr or --max-grad$/],
      [
        "ch06_better_rnnlm",
        Infinity,
        /^valid perplexity became Infinity after epoch 1; lower --lr or --max-grad$/,
      ],
    ] as const
  ) {
    const { experiment } = loadExperiment(name);
    const exp: Experiment = { ...experiment, model: () => constantModel(loss) };
    const res = await startRun({
      experiment: exp,
      hyperparameters: resolveHyperparameters(exp, {
        max_epoch: "2",
        batch_size: "4",
        time_size: "5",
      }),
      seed: 1,
      out: out.path,
      quiet: true,
      print: () => {},
      data: { corpus: corpusFiles(corpus.path) },
    });
    assert.equal(res.status, "diverged");
    assert.equal(res.exitCode, 3);
    assert.match(res.record.exit_reason!, re);
    assert.equal((await readRunRecord(res.dir)).summary.test_ppl, null);
  }
});

Deno.test("paths typed by the user resolve against the folder they ran deno task from", async () => {
  await using here = await tempDir();
  await using corpus = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
  await Deno.mkdir(`${here.path}/sub`);
  await Deno.copyFile(`${corpus.path}/train.txt`, `${here.path}/sub/mine.txt`);
  // deno task runs in the project root and names the caller's folder in INIT_CWD.
  const env = { INIT_CWD: `${here.path}/sub` };
  const r = await runCliProcess(
    "experiment.ts",
    ["ch05_simple_rnnlm", "--corpus", "mine.txt", "--max-epoch", "2", "--out", "myout", "--quiet"],
    env,
    ROOT,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await dirEntries(`${here.path}/sub/myout`), ["ch05_simple_rnnlm"]);
  const shown = r.stdout.trim();
  assert.match(shown, /^myout\/ch05_simple_rnnlm\/\d{8}-\d{6}-[a-z0-9]{6}$/);
  const rec = await readRunRecord(`${here.path}/sub/${shown}`);
  assert.equal(
    rec.data?.text_corpus && "path" in rec.data.text_corpus && rec.data.text_corpus.path,
    `${here.path}/sub/mine.txt`,
  );
  // From a subfolder of that folder, "../" reaches it.
  await Deno.mkdir(`${here.path}/sub/deeper`);
  const c = await runCliProcess("compare.ts", [`../${shown}`, "--no-svg", "--no-chart"], {
    INIT_CWD: `${here.path}/sub/deeper`,
  }, ROOT);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /ch05_simple_rnnlm/);
});

Deno.test("what is not an experiment, or not yet reproducible, is said so", async () => {
  await using out = await tempDir();
  const r = await runCliProcess("runs.ts", ["nosuchexp", "--root", out.path]);
  assertOneLineError(
    r,
    /^error: 'nosuchexp' is not an experiment; experiments: ch05_simple_rnnlm, /,
  );
  await using corpus = await writeSyntheticCorpus({ train: 3000, valid: 400, test: 400 });
  const { experiment } = loadExperiment("ch05_simple_rnnlm");
  const early = await startRun({
    experiment,
    hyperparameters: resolveHyperparameters(experiment, {}),
    seed: 1,
    out: out.path,
    quiet: true,
    data: { corpus: corpusFiles(corpus.path) },
    stopAfterIters: 3,
  });
  const rep = await runCliProcess("reproduce.ts", [early.dir]);
  assertOneLineError(
    rep,
    /is interrupted and finished no epoch, so there is nothing to reproduce yet; resume it first$/,
  );
  // Without the task's permissions, the command says which one is missing and which task grants it.
  const bare = await new Deno.Command(Deno.execPath(), {
    args: ["run", `${ROOT}/cli/runs.ts`],
    cwd: out.path,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertOneLineError(
    { code: bare.code, stdout: "", stderr: new TextDecoder().decode(bare.stderr) },
    /^error: Requires read access to .*; run it as `deno task runs`, which grants it$/,
  );
});
