/**
 * `deno task sweep --backend slurm` on a real Slurm: three tiny chapter 5 runs submitted as one job
 * array, waited for, three completed records where the manifest said they would land, the
 * manifest's job id, tasks and commands, `sweep status` and `sweep resume` after it; and a
 * controller that does not answer, refused with one line and nothing left behind.
 *
 * Like tests/slurm_test.ts, these run when a controller answers `scontrol ping`
 * (`deploy/slurm/start` starts one on this machine; CI does) and are skipped with a message
 * otherwise; with RNNLAB_SLURM_REQUIRED=1 (set by CI) they fail instead. On a cluster of several
 * nodes, set TMPDIR to a folder every node sees.
 */
import assert from "node:assert/strict";
import {
  buildComparison,
  cancelJobArray,
  listRuns,
  readManifest,
  readRunRecord,
  type SweepManifest,
  taskFiles,
} from "@rnnlab/rnnlab";
import {
  assertOneLineError,
  type CommandResult,
  dirEntries,
  EXPERIMENT_PERMISSIONS,
  ptbDir,
  ROOT,
  runCliProcess,
  tempDir,
  writeSyntheticCorpus,
} from "./fixtures.ts";
import { deadControllerConf, slurmTests } from "./slurm_fixtures.ts";

const slurmTest = await slurmTests("the Slurm sweep tests");

/** `deno task sweep <args>`, killed if it has not ended after `ms`. */
async function sweep(args: string[], ms: number): Promise<CommandResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...EXPERIMENT_PERMISSIONS, `${ROOT}/cli/sweep.ts`, ...args],
    env: { NO_COLOR: "1" },
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(ms),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

slurmTest(
  "a sweep of three tiny ch05 runs on Slurm: submitted, waited for, three completed records and the manifest",
  async () => {
    await using outDir = await tempDir();
    await using corpus = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
    const out = `${outDir.path}/results`;
    const ptb = ptbDir();
    const data = ptb ? ["--data-dir", ptb] : ["--corpus", corpus.path];
    let m: SweepManifest | null = null;
    try {
      const r = await sweep([
        "ch05_simple_rnnlm",
        "--seeds",
        "1-3",
        "--max-epoch",
        "2",
        ...data,
        "--out",
        out,
        "--backend",
        "slurm",
        "--time",
        "5",
        "--cpus-per-task",
        "1",
        "--sbatch-arg",
        "--comment=rnnlab sweep test",
        "--wait",
      ], 180_000);
      const path = r.stdout.trim().split("\n").at(-1)!;
      m = await readManifest(path);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(
        r.stdout,
        /3 runs of ch05_simple_rnnlm \(seeds 1-3\) submitted to Slurm as job array \d+/,
      );
      assert.match(r.stdout, /^3 runs: 3 completed$/m);
      assert.equal(
        r.stdout.split("\n").filter((l) => /\sCOMPLETED\s+completed\s+2\/2\s/.test(l)).length,
        3,
      );

      // The manifest: one array of three tasks, task i running run i, each where it said it would.
      assert.equal(m.backend, "slurm");
      assert.deepEqual(m.slurm, {
        sbatch_args: ["--comment=rnnlab sweep test"],
        time: "5",
        cpus_per_task: 1,
      });
      assert.equal(m.job_arrays.length, 1);
      const job = m.job_arrays[0];
      assert.match(job.job_id, /^\d+$/);
      assert.equal(job.tasks, 3);
      const script = await Deno.readTextFile(job.script);
      for (const line of ["--array=0-2", "--time=5", "--cpus-per-task=1", `--chdir=${ROOT}`]) {
        assert.ok(script.includes(`#SBATCH ${line}\n`), line);
      }
      assert.ok(script.includes('#SBATCH --comment="rnnlab sweep test"\n'));
      for (const [i, run] of m.runs.entries()) {
        assert.equal(run.seed, i + 1);
        const [a] = run.attempts;
        assert.deepEqual([run.attempts.length, a.action, a.backend, a.job_id, a.task], [
          1,
          "start",
          "slurm",
          job.job_id,
          i,
        ]);
        assert.equal(a.command, `OPENBLAS_NUM_THREADS=1 RNNLAB_WORKERS=0 ${run.command}`);
        assert.ok(script.includes(`  ${i}) command='${a.command}' ;;\n`));
        const rec = await readRunRecord(run.run_dir);
        assert.deepEqual([rec.status, rec.seed, rec.summary.epochs_completed], [
          "completed",
          i + 1,
          2,
        ]);
        assert.equal(rec.run_id, run.run_dir.split("/").pop());
        assert.deepEqual(rec.overrides, { max_epoch: 2 });
        assert.equal(rec.environment.openblas.threads, 1);
        assert.equal(rec.environment.workers, 0);
        const files = taskFiles(m.log_dir, job.job_id, i);
        assert.equal(await Deno.readTextFile(files.exit), "0\n");
        assert.match(await Deno.readTextFile(files.out), new RegExp(`${rec.run_id}\\n$`));
      }
      // The three seeds are one seed group on the shared root.
      const { runs, warnings } = await listRuns([out]);
      assert.deepEqual(warnings, []);
      const c = buildComparison(runs);
      assert.deepEqual(c.rows.map((row) => [...row.seeds].sort()), [[1, 2, 3]]);

      const status = await runCliProcess("sweep.ts", ["status", path]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, new RegExp(`on Slurm \\(job array ${job.job_id}\\)`));
      assert.match(status.stdout, /^3 runs: 3 completed$/m);
      const resume = await runCliProcess("sweep.ts", ["resume", path]);
      assert.equal(resume.code, 0, resume.stderr);
      assert.match(resume.stdout, /^nothing to resume: 3 completed$/m);
      assert.equal((await readManifest(path)).job_arrays.length, 1, "nothing submitted again");
    } finally {
      for (const j of m?.job_arrays ?? []) {
        await cancelJobArray({ jobId: j.job_id, tasks: j.tasks, logDir: m!.log_dir, script: "" });
      }
    }
  },
);

slurmTest(
  "a Slurm controller that does not answer: one line saying to start it, nothing written",
  async () => {
    await using dir = await tempDir();
    const conf = await deadControllerConf(dir.path);
    const out = `${dir.path}/results`;
    const r = await runCliProcess(
      "sweep.ts",
      ["ch05_simple_rnnlm", "--seeds", "1-3", "--backend", "slurm", "--out", out],
      { SLURM_CONF: conf },
    );
    assertOneLineError(
      r,
      /^error: the Slurm controller does not answer \(sbatch: .*\); start slurmctld .*deploy\/slurm\/start/,
    );
    assert.deepEqual(await dirEntries(dir.path), ["slurm.conf"]);
  },
);
