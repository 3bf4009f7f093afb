/**
 * A sweep before it runs: grid axes parsed and refused, the expansion's order and its checks of
 * every combination, the planned manifest (a fresh run id per run, each run's command), the
 * manifest on disk, and what `sweep resume` decides for a run from its record and its backend.
 * No run is started here.
 */
import assert from "node:assert/strict";
import {
  decideRun,
  expandSweep,
  experimentCommand,
  firstLaunches,
  loadExperiment,
  manifestFile,
  MAX_SWEEP_RUNS,
  nextLaunches,
  parseGridAxis,
  planSweep,
  readManifest,
  type RunStatus,
  type SweepManifest,
  type SweepStatus,
  sweepStatus,
  UserError,
  writeManifest,
} from "@rnnlab/rnnlab";
import { dirEntries, tempDir } from "./fixtures.ts";

const ch05 = loadExperiment("ch05_simple_rnnlm").experiment;
const ch06 = loadExperiment("ch06_rnnlm").experiment;

/** Asserts that `fn` throws a one-line `UserError` matching `re`. */
function assertRefused(fn: () => unknown, re: RegExp) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof UserError, `not a UserError: ${e}`);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, re);
    return true;
  });
}

Deno.test("a grid axis: kebab or snake keys, values checked one by one, refusals that say what to do", () => {
  assert.deepEqual(parseGridAxis("max-epoch=1,2,3", ch05), {
    key: "max_epoch",
    values: ["1", "2", "3"],
  });
  assert.deepEqual(parseGridAxis("lr=0.1, 1", ch05).values, ["0.1", "1"]);
  assertRefused(
    () => parseGridAxis("dropout=0.5", ch05),
    /^unknown grid key dropout for ch05_simple_rnnlm; valid keys: batch_size, .*lr, max_epoch/,
  );
  assertRefused(
    () => parseGridAxis("hidden_size=100,0", ch06),
    /^--grid hidden_size=100,0: hidden_size=0 must be an integer in \[1, 4096\]/,
  );
  assertRefused(() => parseGridAxis("lr=0x10", ch06), /lr=0x10 must be a number/);
  assertRefused(() => parseGridAxis("lr=10,10.0", ch06), /10 and 10\.0 are the same value/);
  assertRefused(() => parseGridAxis("lr=10,,20", ch06), /a value is empty/);
  assertRefused(() => parseGridAxis("lr", ch06), /write an axis as key=value,value/);
  assertRefused(() => parseGridAxis("seed=1,2", ch06), /give the seeds with --seeds/);
});

Deno.test("the expansion: first axis slowest, seeds innermost, every combination checked", () => {
  const axes = [parseGridAxis("lr=10,20", ch06), parseGridAxis("hidden_size=100,200", ch06)];
  const runs = expandSweep(ch06, { seeds: [1, 2], axes, fixed: { max_epoch: "1" } });
  assert.deepEqual(
    runs.map((r) => `${r.grid.lr} ${r.grid.hidden_size} ${r.seed}`),
    [
      "10 100 1",
      "10 100 2",
      "10 200 1",
      "10 200 2",
      "20 100 1",
      "20 100 2",
      "20 200 1",
      "20 200 2",
    ],
  );
  assert.deepEqual(runs[5].overrides, { max_epoch: "1", lr: "20", hidden_size: "100" });
  assert.equal(runs[5].hyperparameters.lr, 20);
  assert.equal(runs[5].hyperparameters.max_epoch, 1);

  assertRefused(
    () => expandSweep(ch06, { seeds: [1], axes, fixed: { lr: "5" } }),
    /^lr is both on the grid and fixed \(--lr 5\); give it one way$/,
  );
  assertRefused(
    () => expandSweep(ch06, { seeds: [1], axes: [axes[0], axes[0]], fixed: {} }),
    /--grid names lr twice/,
  );
  assertRefused(
    () => expandSweep(ch06, { seeds: [1], axes, fixed: { max_epoch: "0" } }),
    /^--max-epoch 0: must be an integer in \[1, /,
  );
  const big = [1, 2, 3].map((i) => ({ key: `k${i}`, values: Array.from({ length: 50 }, String) }));
  assertRefused(
    () => expandSweep(ch06, { seeds: [1], axes: big, fixed: {} }),
    new RegExp(`^this sweep has 125000 runs, more than ${MAX_SWEEP_RUNS}; split it`),
  );
});

Deno.test("planning: a fresh run id per run, each command lands where the manifest says", async () => {
  await using out = await tempDir();
  const m = await planSweep({
    experiment: ch05,
    seeds: [1, 2, 3],
    axes: [parseGridAxis("lr=0.1,1", ch05)],
    fixed: { max_epoch: "2" },
    out: out.path,
    data: { data_dir: "/shared/ptb data" },
    backend: "local",
    jobs: 2,
  }, new Date("2026-12-01T10:15:00Z"));
  assert.match(m.sweep_id, /^ch05_simple_rnnlm-20261201-101500-[a-z0-9]{6}$/);
  assert.equal(m.log_dir, `${out.path}/sweeps/${m.sweep_id}/logs`);
  assert.deepEqual(m.grid, { lr: ["0.1", "1"] });
  assert.deepEqual([m.backend, m.jobs, m.job_arrays], ["local", 2, []]);
  assert.equal(m.runs.length, 6);
  const ids = m.runs.map((r) => r.run_dir.split("/").pop()!);
  assert.equal(new Set(ids).size, 6);
  for (const [i, r] of m.runs.entries()) {
    assert.equal(r.index, i);
    assert.match(ids[i], /^20261201-101500-[a-z0-9]{6}$/);
    assert.equal(r.run_dir, `${out.path}/ch05_simple_rnnlm/${ids[i]}`);
    assert.deepEqual(r.attempts, []);
  }
  assert.equal(
    m.runs[4].command,
    `deno task experiment ch05_simple_rnnlm --seed 2 --max-epoch 2 --lr 1 --out ${out.path} ` +
      `--run-id ${ids[4]} --data-dir '/shared/ptb data'`,
  );
  const launches = firstLaunches(m);
  assert.equal(experimentCommand(launches[4].args), m.runs[4].command);
  assert.deepEqual(await dirEntries(out.path), [], "planning writes nothing");
});

Deno.test("the manifest on disk: written whole, read back, refused when it is not one", async () => {
  await using dir = await tempDir();
  const m = await planSweep({
    experiment: ch05,
    seeds: [1],
    axes: [],
    fixed: {},
    out: dir.path,
    backend: "slurm",
    slurm: { partition: "cpu", time: "30", sbatch_args: ["--mem=2G"] },
  });
  const path = `${dir.path}/manifest.json`;
  await writeManifest(path, m);
  assert.deepEqual(await readManifest(dir.path), m);
  assert.equal(await manifestFile(dir.path), path);
  assert.deepEqual(await dirEntries(dir.path), ["manifest.json"], "no temporary file left");
  await Deno.writeTextFile(path, JSON.stringify({ ...m, runs: undefined }));
  await assert.rejects(
    readManifest(path),
    /manifest\.json is not a sweep manifest \(no "runs" list\)/,
  );
  await Deno.writeTextFile(path, JSON.stringify({ ...m, schema_version: 99 }));
  await assert.rejects(readManifest(path), /has layout 99, newer than this rnnlab reads \(1\)/);
  await assert.rejects(readManifest(`${dir.path}/nowhere`), { name: "UserError" });
});

Deno.test("what resume does: completed and diverged are final, queued and running left alone", () => {
  const cases: [RunStatus | null, boolean, Parameters<typeof decideRun>[0]["backend"], string][] = [
    ["completed", true, "ended", "completed none"],
    ["completed", true, "running", "completed none"], // the task is only finishing
    ["diverged", true, "ended", "diverged none"],
    [null, false, "queued", "pending none"],
    ["interrupted", true, "queued", "pending none"], // its resume waits in the queue
    [null, false, "running", "running none"],
    ["running", true, "running", "running none"],
    ["running", true, "ended", "crashed resume"], // Slurm ended it; the record never heard
    ["running", true, "lost", "running none"], // the record's heartbeat decides
    ["interrupted", true, "ended", "interrupted resume"],
    ["crashed", true, "lost", "crashed resume"],
    ["failed", true, "ended", "failed rerun"],
    [null, false, "ended", "failed start"], // failed before it made its directory
    [null, true, "ended", "failed rerun"], // its directory exists without a record
    [null, false, "lost", "failed start"],
    [null, false, "never", "planned start"],
    [null, false, "unasked", "unknown none"], // Slurm down: nothing is resubmitted
    ["interrupted", true, "unasked", "interrupted none"],
  ];
  for (const [record, dirExists, backend, want] of cases) {
    const { phase, action } = decideRun({ record, dirExists, backend });
    assert.equal(`${phase} ${action}`, want, `${record} ${dirExists} ${backend}`);
  }
});

Deno.test("the launches of a resume: fresh directories for reruns, refusals for runs named in vain", async () => {
  await using out = await tempDir();
  const m: SweepManifest = await planSweep({
    experiment: ch05,
    seeds: [1, 2, 3, 4, 5],
    axes: [],
    fixed: { max_epoch: "2" },
    out: out.path,
    data: { data_dir: "/shared/ptb" },
    backend: "local",
  });
  const actions = ["none", "resume", "rerun", "start", "none"] as const;
  const phases = ["completed", "interrupted", "failed", "failed", "running"] as const;
  const status = {
    runs: m.runs.map((r, i) => ({ index: r.index, action: actions[i], phase: phases[i] })),
  } as unknown as SweepStatus;
  const launches = nextLaunches(m, status);
  assert.deepEqual(launches.map((l) => `${l.index} ${l.action}`), [
    "1 resume",
    "2 rerun",
    "3 start",
  ]);
  assert.deepEqual(launches[0].args, ["--resume", m.runs[1].run_dir, "--data-dir", "/shared/ptb"]);
  assert.notEqual(launches[1].runDir, m.runs[2].run_dir);
  assert.ok(launches[1].args.includes(launches[1].runDir.split("/").pop()!));
  assert.equal(launches[2].runDir, m.runs[3].run_dir);
  assert.deepEqual(nextLaunches(m, status, new Set([3])).map((l) => l.index), [3]);
  assertRefused(
    () => nextLaunches(m, status, new Set([0])),
    /^run 0 is not resumed: it has completed, and a completed run is never run again$/,
  );
  assertRefused(() => nextLaunches(m, status, new Set([4])), /it is running; wait for it/);
  assertRefused(() => nextLaunches(m, status, new Set([9])), /no run 9; its runs are 0 to 4/);

  // Never launched: every run planned, to be started where the manifest says.
  const planned = await sweepStatus(m, `${out.path}/sweeps/${m.sweep_id}`);
  assert.deepEqual(planned.counts, { planned: 5 });
  assert.deepEqual(
    nextLaunches(m, planned).map((l) => l.runDir),
    m.runs.map((r) => r.run_dir),
  );
});
