/**
 * `deno task sweep` on this machine, as a user runs it: a grid of seeds and learning rates two at a
 * time, whose records `runs`, `compare` and `report` show pooled by seed group; Ctrl-C in the
 * middle of a sweep, `sweep status` naming what is left and `sweep resume` finishing it without
 * touching a completed run; a failed run rerun in a directory of its own; and bad input refused
 * with one line before anything is written. The runs are chapter 5's on a small synthetic corpus.
 */
import assert from "node:assert/strict";
import {
  buildComparison,
  buildReport,
  listRuns,
  readManifest,
  readRunRecord,
  type SweepManifest,
  UserError,
} from "@rnnlab/rnnlab";
import { main } from "../cli/sweep.ts";
import {
  assertOneLineError,
  dirEntries,
  filesUnder,
  runCliProcess,
  spawnTask,
  tempDir,
  waitForLines,
  writeSyntheticCorpus,
} from "./fixtures.ts";

const EXP = "ch05_simple_rnnlm";

/** The manifest path a sweep prints last. */
function manifestOf(stdout: string): string {
  const path = stdout.trim().split("\n").at(-1)!;
  assert.match(path, /\/sweeps\/ch05_simple_rnnlm-\d{8}-\d{6}-[a-z0-9]{6}\/manifest\.json$/);
  return path;
}

/** Each run's `run.json`, as bytes, by run directory. */
async function records(m: SweepManifest): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of m.runs) out.set(r.run_dir, await Deno.readTextFile(`${r.run_dir}/run.json`));
  return out;
}

Deno.test("a local sweep: lr 0.1,0.5 × seeds 1-2 two at a time; manifest, records, runs pooled by seed group", async () => {
  await using corpus = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
  await using outDir = await tempDir();
  const out = outDir.path;
  const r = await runCliProcess("sweep.ts", [
    EXP,
    "--corpus",
    corpus.path,
    "--seeds",
    "1-2",
    "--grid",
    "lr=0.1,0.5",
    "--max-epoch",
    "2",
    "--jobs",
    "2",
    "--out",
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /4 runs of ch05_simple_rnnlm \(lr 0\.1,0\.5 × seeds 1-2\), 2 at a time/);
  assert.match(r.stdout, /^4 runs: 4 completed$/m);
  const path = manifestOf(r.stdout);
  const m = await readManifest(path);
  assert.deepEqual([m.backend, m.jobs, m.seeds, m.grid], ["local", 2, [1, 2], {
    lr: ["0.1", "0.5"],
  }]);
  assert.deepEqual(m.data, { corpus: corpus.path });
  const threads = String(Math.max(1, Math.floor((navigator.hardwareConcurrency ?? 1) / 2)));
  for (const [i, run] of m.runs.entries()) {
    const [lr, seed] = [["0.1", "0.1", "0.5", "0.5"][i], [1, 2, 1, 2][i]];
    assert.deepEqual([run.seed, run.grid, run.overrides], [seed, { lr }, { max_epoch: "2", lr }]);
    assert.equal(run.attempts.length, 1);
    const a = run.attempts[0];
    assert.deepEqual([a.action, a.backend, a.state, a.exit_code], ["start", "local", "exited", 0]);
    assert.equal(a.run_dir, run.run_dir);
    assert.equal(
      a.command,
      `OPENBLAS_NUM_THREADS=${threads} RNNLAB_WORKERS=0 ${run.command}`,
    );
    const rec = await readRunRecord(run.run_dir);
    assert.equal(rec.status, "completed");
    assert.equal(rec.run_id, run.run_dir.split("/").pop());
    assert.deepEqual([rec.seed, rec.overrides], [seed, { max_epoch: 2, lr: Number(lr) }]);
    assert.equal(rec.summary.epochs_completed, 2);
    assert.equal(rec.environment.workers, 0); // the sweep's environment reached the run
    assert.match(await Deno.readTextFile(a.out!), new RegExp(`${rec.run_id}\\n$`));
  }
  const sweepFiles = await filesUnder(`${out}/sweeps/${m.sweep_id}`);
  assert.deepEqual(sweepFiles, [
    ...m.runs.flatMap((r) => [`logs/${r.index}.1.err`, `logs/${r.index}.1.out`]).sort(),
    "manifest.json",
  ]);

  // runs, compare and report on the root: the sweep's four runs, the seeds of each lr pooled.
  const { runs, warnings } = await listRuns([out]);
  assert.deepEqual(warnings, []);
  assert.equal(runs.length, 4);
  const c = buildComparison(runs);
  assert.deepEqual(c.varying, ["lr"]);
  assert.deepEqual(c.rows.map((row) => [row.hyperparameters.lr, [...row.seeds].sort()]), [
    [0.1, [1, 2]],
    [0.5, [1, 2]],
  ]);
  assert.ok(c.rows.every((row) => row.metrics.final_train_ppl.n === 2));
  const report = await buildReport([out]);
  assert.deepEqual([report.runs, report.warnings], [4, []]);

  // status shows each run; resume has nothing to do and changes nothing.
  const before = await records(m);
  const status = await runCliProcess("sweep.ts", ["status", path]);
  assert.equal(status.code, 0, status.stderr);
  const table = status.stdout.split("\n");
  assert.match(table[1], /^run\s+seed\s+lr\s+local\s+record\s+epochs\s+train ppl\s+test ppl/);
  assert.equal(
    table.filter((l) => /^\s+\d\s+[12]\s+0\.[15]\s+exited 0\s+completed\s+2\/2\s/.test(l)).length,
    4,
  );
  assert.match(status.stdout, /^4 runs: 4 completed$/m);
  const again = await runCliProcess("sweep.ts", ["resume", `${out}/sweeps/${m.sweep_id}`]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^nothing to resume: 4 completed$/m);
  assert.deepEqual(await records(m), before);
  assert.deepEqual(await readManifest(path), m);
});

Deno.test("Ctrl-C stops a local sweep; status names what is left; resume finishes it and reruns a failed run, never a completed one", async () => {
  await using corpus = await writeSyntheticCorpus({ train: 3000, valid: 400, test: 400 });
  await using outDir = await tempDir();
  const out = outDir.path;
  // Runs of 250 epochs of about 4 ms: the signal comes long before the first run ends.
  const child = spawnTask("sweep", [
    EXP,
    "--corpus",
    corpus.path,
    "--seeds",
    "1-3",
    "--max-epoch",
    "250",
    "--out",
    out,
  ]);
  await waitForLines(out, EXP, 3);
  Deno.kill(-child.pid, "SIGINT");
  const stopped = await child.output();
  const stdout = new TextDecoder().decode(stopped.stdout);
  assert.equal(stopped.code, 130, new TextDecoder().decode(stopped.stderr));
  const path = manifestOf(stdout);
  let m = await readManifest(path);
  assert.deepEqual(m.runs.map((r) => r.attempts.map((a) => [a.state, a.exit_code ?? null])), [
    [["exited", 130]],
    [["queued", null]],
    [["queued", null]],
  ]);
  assert.equal((await readRunRecord(m.runs[0].run_dir)).status, "interrupted");
  assert.deepEqual(await dirEntries(`${out}/${EXP}`), [m.runs[0].run_dir.split("/").pop()]);
  assert.deepEqual(await dirEntries(`${out}/sweeps/${m.sweep_id}`).then((e) => e.sort()), [
    "logs",
    "manifest.json",
  ], "the sweep's lock is gone with its process");

  const status = await runCliProcess("sweep.ts", ["status", path]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^3 runs: 2 planned, 1 interrupted$/m);
  assert.match(
    status.stdout,
    /^ {2}run 0 \(seed 1\) interrupted: interrupted by SIGINT at iteration \d+$/m,
  );
  assert.match(status.stdout, /^ {2}run 1 \(seed 2\) planned$/m);
  assert.match(
    status.stdout,
    /to resume 1, start 2 of them \(never a completed run\): deno task sweep resume /,
  );

  const resumed = await runCliProcess("sweep.ts", ["resume", path, "--jobs", "2"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resuming 1, starting 2 of 3 runs, 2 at a time/);
  m = await readManifest(path);
  assert.deepEqual(m.runs.map((r) => r.attempts.map((a) => a.action)), [
    ["start", "resume"],
    ["start", "start"],
    ["start", "start"],
  ]);
  for (const r of m.runs) {
    const rec = await readRunRecord(r.run_dir);
    assert.deepEqual([rec.status, rec.summary.epochs_completed], ["completed", 250]);
  }
  assert.equal((await readRunRecord(m.runs[0].run_dir)).resumes.length, 1);

  // Run 1 failed (as if its disk had filled): resume runs it again in a new directory, and only it.
  const failedDir = m.runs[1].run_dir;
  const rec = JSON.parse(await Deno.readTextFile(`${failedDir}/run.json`));
  await Deno.writeTextFile(
    `${failedDir}/run.json`,
    JSON.stringify({ ...rec, status: "failed", exit_reason: "failed: the disk is full" }),
  );
  const others = [m.runs[0].run_dir, m.runs[2].run_dir];
  const before = await Promise.all(others.map((d) => Deno.readTextFile(`${d}/run.json`)));
  await assert.rejects(main(["resume", path, "--runs", "0", "--quiet"]), {
    name: "UserError",
    message: "run 0 is not resumed: it has completed, and a completed run is never run again",
  });
  await assert.rejects(main(["resume", path, "--data-dir", corpus.path]), {
    message: "--data-dir is PTB's folder; this sweep reads a --corpus of its own",
  });
  const rerun = await runCliProcess("sweep.ts", ["resume", path]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout, /rerunning 1 of 3 runs/);
  m = await readManifest(path);
  assert.notEqual(m.runs[1].run_dir, failedDir);
  assert.deepEqual(m.runs[1].attempts.map((a) => a.action), ["start", "start", "rerun"]);
  assert.equal((await readRunRecord(m.runs[1].run_dir)).status, "completed");
  assert.equal((await readRunRecord(failedDir)).status, "failed", "what happened stays");
  assert.deepEqual(
    await Promise.all(others.map((d) => Deno.readTextFile(`${d}/run.json`))),
    before,
  );
});

Deno.test("bad input refuses the whole sweep with one line, before anything is written", async () => {
  await using outDir = await tempDir();
  const out = `${outDir.path}/results`;
  const refused = async (args: string[], re: RegExp) => {
    await assert.rejects(main([...args, "--out", out]), (e) => {
      assert.ok(e instanceof UserError, `not a UserError: ${e}`);
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.message, re);
      return true;
    });
  };
  await refused([EXP, "--grid", "lr=0.1", "hidden=10,20"], /^unknown grid key hidden for ch05/);
  await refused([EXP, "--grid", "lr=0.1,500"], /^--grid lr=0\.1,500: lr=500 must be a number in/);
  await refused(
    [EXP, "--grid", "lr=0.1,1", "--grid", "hidden_size=10,1,0"],
    /^--grid hidden_size=10,1,0: hidden_size=0 must be an integer in \[1, 4096\]/,
  );
  await refused([EXP, "--hidden-size", "0"], /^--hidden-size 0: must be an integer in \[1, 4096\]/);
  await refused([EXP, "--dropout", "0.5"], /^unknown option --dropout for a sweep of ch05/);
  await refused([EXP, "--seeds", "3-1"], /^--seeds 3-1: give seeds as a range or a list/);
  await refused([EXP, "--seed", "3"], /takes its seeds as --seeds/);
  await refused(
    [EXP, "--seeds", "1-501", "--grid", "lr=0.1,1"],
    /^this sweep is 1002 runs of ch05_simple_rnnlm \(lr 0\.1,1 × seeds 1-501\), more than 1000; give --yes/,
  );
  await refused([EXP, "--time", "30"], /^--time goes with --backend slurm/);
  await refused([EXP, "--backend", "pbs"], /^--backend pbs: choose local .* or slurm/);
  await refused([EXP, "--backend", "slurm", "--time", "2h"], /^--time 2h: write it as Slurm does/);
  await refused(
    [EXP, "--backend", "slurm", "--sbatch-arg", "mem=2G"],
    /^sbatch argument "mem=2G" is not a long option/,
  );
  await refused([EXP, "--backend", "slurm", "--cpus-per-task", "0"], /^--cpus-per-task 0: must be/);
  await refused([EXP, "--jobs", "0"], /^--jobs 0: must be an integer >= 1/);
  await refused(
    [EXP, "--corpus", `${outDir.path}/none.txt`],
    /^--corpus .*none\.txt does not exist/,
  );
  // The corpus is checked as experiment checks it, not in every run of the sweep.
  await Deno.mkdir(`${outDir.path}/texts`);
  await refused([EXP, "--corpus", `${outDir.path}/texts`], /^--corpus .*texts has no train\.txt/);
  await Deno.writeTextFile(`${outDir.path}/texts/all.txt`, "a b c\n");
  await refused(
    [EXP, "--corpus", `${outDir.path}/texts/all.txt`, "--split", "0.8,0.2"],
    /^--split 0\.8,0\.2: give three fractions/,
  );
  await refused(
    [EXP, "--corpus", `${outDir.path}/texts`, "--split", "0.8,0.1,0.1"],
    /^--split goes with a single --corpus file/,
  );
  await Deno.remove(`${outDir.path}/texts`, { recursive: true });
  await refused([EXP, "--grid"], /^--grid needs axes after it/);
  await assert.rejects(main(["status"]), /^UserError: give one sweep manifest/);
  await assert.rejects(main(["status", outDir.path]), /^UserError: no sweep manifest at /);
  assert.deepEqual(await dirEntries(outDir.path), [], "nothing written");

  // A dry run shows the runs and writes nothing; --yes lets a large sweep through.
  const lines: string[] = [];
  const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
  const big = [EXP, "--seeds", "1-501", "--grid", "lr=0.1,1", "--dry-run", "--out", out];
  assert.equal(await main(big, io), 0);
  assert.match(lines[0], /^1002 runs of ch05_simple_rnnlm .*; nothing is written or started/);
  assert.equal(lines[1].split("\n").length, 1003);
  assert.deepEqual(await dirEntries(outDir.path), []);

  // As a process: the one line on stderr, no stack trace.
  const r = await runCliProcess("sweep.ts", [EXP, "--grid", "hidden=10", "--out", out]);
  assertOneLineError(r, /^error: unknown grid key hidden for ch05_simple_rnnlm; valid keys: /);
});

Deno.test("without sbatch on PATH a Slurm sweep is refused with what to install, and leaves nothing", async () => {
  await using bin = await tempDir();
  await using outDir = await tempDir();
  await Deno.symlink(Deno.execPath(), `${bin.path}/deno`); // Deno, but no Slurm
  const out = `${outDir.path}/results`;
  const r = await runCliProcess(
    "sweep.ts",
    [EXP, "--seeds", "1-3", "--backend", "slurm", "--out", out],
    { PATH: bin.path },
  );
  assertOneLineError(r, /^error: sbatch not found on PATH: install .*apt-get install slurm-client/);
  assert.deepEqual(await dirEntries(outDir.path), []);
});

Deno.test("experiment --run-id names the run's folder beforehand; a folder already there is refused", async () => {
  await using corpus = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
  await using outDir = await tempDir();
  const args = [EXP, "--corpus", corpus.path, "--max-epoch", "1", "--out", outDir.path, "--quiet"];
  const r = await runCliProcess("experiment.ts", [...args, "--run-id", "sweep-7"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `${outDir.path}/${EXP}/sweep-7`);
  assert.equal((await readRunRecord(`${outDir.path}/${EXP}/sweep-7`)).run_id, "sweep-7");
  const before = await filesUnder(outDir.path);
  assertOneLineError(
    await runCliProcess("experiment.ts", [...args, "--run-id", "sweep-7"]),
    /^error: .*\/sweep-7 already exists; choose another --run-id, or continue that run with --resume /,
  );
  assertOneLineError(
    await runCliProcess("experiment.ts", [...args, "--run-id", "../x"]),
    /^error: run id "\.\.\/x" is not a folder name/,
  );
  assertOneLineError(
    await runCliProcess("experiment.ts", [...args, "--seeds", "1-2", "--run-id", "y"]),
    /^error: --run-id names one run; give it with --seed N, not --seeds$/,
  );
  assert.deepEqual(await filesUnder(outDir.path), before);
});
