/**
 * The Slurm backend: the batch script's text and what it does when bash runs it, the task states
 * read from `squeue` and `sacct` printouts, the one-line errors for missing commands and a
 * controller that does not answer, and job arrays run on a real Slurm.
 *
 * The tests that need Slurm run when a controller answers `scontrol ping` (`deploy/slurm/start`
 * starts one on this machine; CI does) and are skipped with a message otherwise; with
 * RNNLAB_SLURM_REQUIRED=1 (set by CI) they fail instead. The tasks write into a temporary folder,
 * so on a cluster of several nodes set TMPDIR to a folder every node sees.
 */
import assert from "node:assert/strict";
import {
  cancelJobArray,
  combineTaskStates,
  jobArrayScript,
  jobArrayStates,
  parseExitFile,
  parseSacct,
  parseSqueue,
  slurmControllerUp,
  slurmStateName,
  submitJobArray,
  taskFiles,
  UserError,
  waitForJobArray,
} from "@rnnlab/rnnlab";
import { dirEntries, tempDir } from "./fixtures.ts";
import { deadControllerConf, slurmTests } from "./slurm_fixtures.ts";

const slurmTest = await slurmTests("the Slurm job tests");

/** Asserts that `p` rejects with a `UserError` of one line matching `re`. */
async function assertUserError(p: Promise<unknown>, re: RegExp) {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof UserError, `not a UserError: ${e}`);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, re);
    return true;
  });
}

Deno.test("the batch script: options as #SBATCH lines, then task i runs command i", () => {
  const script = jobArrayScript({
    commands: ["deno task experiment ch05_simple_rnnlm --seed 1", "echo 'it''s' > x"],
    logDir: "/shared/sweeps/lr 10%/logs",
    jobName: "ch05-seeds",
    partition: "cpu",
    time: "2:00:00",
    cpusPerTask: 2,
    chdir: "/shared/rnnlab",
    maxParallel: 4,
    sbatchArgs: ["--mem=4G", "--comment=lr sweep", "--exclusive"],
  });
  assert.equal(
    script,
    `#!/bin/bash
#SBATCH --job-name=ch05-seeds
#SBATCH --array=0-1%4
#SBATCH --output="/shared/sweeps/lr 10%%/logs/%A_%a.out"
#SBATCH --error="/shared/sweeps/lr 10%%/logs/%A_%a.err"
#SBATCH --partition=cpu
#SBATCH --time=2:00:00
#SBATCH --cpus-per-task=2
#SBATCH --chdir=/shared/rnnlab
#SBATCH --mem=4G
#SBATCH --comment="lr sweep"
#SBATCH --exclusive

# Task i runs command i. Slurm stops a task (scancel, the time limit) with SIGTERM to all its
# processes, then SIGKILL KillWait seconds later; the script passes SIGTERM on and waits for
# the command, which may use the time to finish (an rnnlab run saves a checkpoint). The exit
# status, after "TERM " if the task was stopped, goes to /shared/sweeps/lr 10%/logs/<job>_<task>.exit.
case "$SLURM_ARRAY_TASK_ID" in
  0) command='deno task experiment ch05_simple_rnnlm --seed 1' ;;
  1) command='echo '\\''it'\\'''\\''s'\\'' > x' ;;
  *) echo "no command for array task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;
esac
exit_file='/shared/sweeps/lr 10%/logs'/"$SLURM_ARRAY_JOB_ID"_"$SLURM_ARRAY_TASK_ID".exit
stopped=
trap 'if [ -z "$stopped" ]; then stopped="TERM "; kill -TERM 0 2>/dev/null; fi' TERM
bash -c 'trap exit TERM; eval "$1"' "task $SLURM_ARRAY_TASK_ID" "$command" &
child=$!
wait "$child"
status=$?
if [ -n "$stopped" ]; then
  while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
fi
echo "$stopped$status" > "$exit_file"
exit "$status"
`,
  );
});

Deno.test("the batch script leaves out the options not given and makes the log folder absolute", () => {
  const script = jobArrayScript({ commands: ["true"], logDir: "logs" });
  const options = script.split("\n").filter((l) => l.startsWith("#SBATCH"));
  assert.deepEqual(options, [
    "#SBATCH --job-name=rnnlab",
    "#SBATCH --array=0-0",
    `#SBATCH --output=${Deno.cwd()}/logs/%A_%a.out`,
    `#SBATCH --error=${Deno.cwd()}/logs/%A_%a.err`,
  ]);
});

Deno.test("the batch script refuses what sbatch could not read", () => {
  const spec = { commands: ["true"], logDir: "/tmp/logs" };
  assert.throws(() => jobArrayScript({ ...spec, commands: [] }), /at least one command/);
  assert.throws(() => jobArrayScript({ ...spec, cpusPerTask: 0 }), /positive integer, not 0/);
  assert.throws(() => jobArrayScript({ ...spec, maxParallel: 1.5 }), /positive integer/);
  assert.throws(
    () => jobArrayScript({ ...spec, partition: "a\nb" }),
    (e) => e instanceof UserError && /^--partition "a\\nb" has a line break/.test(e.message),
  );
  assert.throws(() => jobArrayScript({ ...spec, jobName: "a/b" }), /use one word without '\/'/);
  assert.throws(() => jobArrayScript({ ...spec, partition: 'say "x"' }), /double quote/);
  assert.throws(
    () => jobArrayScript({ ...spec, sbatchArgs: ["-A lab"] }),
    (e) => e instanceof UserError && /"-A lab" is not a long option.*--mem=4G/.test(e.message),
  );
});

/**
 * A command that stands for an rnnlab run: it writes `started`, and on SIGTERM takes half a
 * second to write `saved` (its checkpoint) before it exits with 143; the shell would then write
 * `after`, which it must not once SIGTERM has come.
 */
const STOPPABLE = `bash -c 'trap "sleep 0.5; echo saved > saved; exit 143" TERM; ` +
  `echo started > started; sleep 30 & wait'; echo after > after`;

/** Waits until file `path` exists, at most `ms` milliseconds. */
async function fileAppears(path: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await Deno.stat(path).then(() => true, () => false))) {
    assert.ok(Date.now() < deadline, `${path} did not appear within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `script` with bash as task `task` of job 77, in a process group of its own as Slurm does. */
function runTask(script: string, task: number, cwd: string): Deno.ChildProcess {
  return new Deno.Command("setsid", {
    args: ["bash", script],
    cwd,
    env: { SLURM_ARRAY_JOB_ID: "77", SLURM_ARRAY_TASK_ID: String(task) },
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("run by bash, task i runs command i and writes its exit status", async () => {
  await using dir = await tempDir();
  const script = `${dir.path}/job.sbatch`;
  await Deno.writeTextFile(
    script,
    jobArrayScript({ commands: ["echo zero > zero", "exit 3"], logDir: dir.path }),
  );
  assert.equal((await runTask(script, 0, dir.path).status).code, 0);
  assert.equal(await Deno.readTextFile(`${dir.path}/zero`), "zero\n");
  assert.equal(await Deno.readTextFile(taskFiles(dir.path, "77", 0).exit), "0\n");

  assert.equal((await runTask(script, 1, dir.path).status).code, 3);
  assert.equal(await Deno.readTextFile(taskFiles(dir.path, "77", 1).exit), "3\n");

  assert.equal((await runTask(script, 2, dir.path).status).code, 2); // no such task
  assert.equal((await dirEntries(dir.path)).includes("77_2.exit"), false);
});

Deno.test("on SIGTERM the script waits for the command to finish, then writes TERM", async () => {
  await using dir = await tempDir();
  const script = `${dir.path}/job.sbatch`;
  await Deno.writeTextFile(script, jobArrayScript({ commands: [STOPPABLE], logDir: dir.path }));
  // SIGTERM to the batch script alone (scancel --batch), then to all its processes (scancel).
  for (const all of [false, true]) {
    const task = runTask(script, 0, dir.path);
    await fileAppears(`${dir.path}/started`, 10_000);
    if (all) Deno.kill(-task.pid, "SIGTERM");
    else task.kill("SIGTERM");
    assert.equal((await task.status).code, 143);
    assert.equal(await Deno.readTextFile(`${dir.path}/saved`), "saved\n");
    assert.equal(await Deno.readTextFile(taskFiles(dir.path, "77", 0).exit), "TERM 143\n");
    assert.equal((await dirEntries(dir.path)).includes("after"), false);
    for (const f of ["started", "saved", "77_0.exit"]) await Deno.remove(`${dir.path}/${f}`);
  }
});

Deno.test("squeue printouts, with the task ranges of squeue without -r", () => {
  // Captured from squeue -h -t all -j 8 -o '%i|%T' on a job array of 5 tasks, at most 3 at
  // once, task 1 failing: first without -r, then with it.
  const early = parseSqueue("8_1|FAILED\n8_[2-4%3]|PENDING\n8_0|RUNNING\n", "8");
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((t) => early.get(t)?.state),
    ["running", "failed", "pending", "pending", "pending"],
  );
  const later = parseSqueue(
    "8_0|COMPLETED\n8_1|FAILED\n8_3|PENDING\n8_4|PENDING\n8_2|RUNNING\n",
    "8",
  );
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((t) => later.get(t)?.slurmState),
    ["COMPLETED", "FAILED", "RUNNING", "PENDING", "PENDING"],
  );
  // After scancel 8.
  const cancelled = parseSqueue(
    "8_3|CANCELLED\n8_4|CANCELLED\n8_2|CANCELLED\n8_0|COMPLETED\n",
    "8",
  );
  assert.equal(cancelled.get(4)?.state, "cancelled");
  assert.equal(cancelled.has(1), false);
  // Other jobs' lines and a job id that merely starts the same are not this job's.
  assert.equal(parseSqueue("80_1|RUNNING\n9|RUNNING\n", "8").size, 0);
});

Deno.test("sacct printouts: states, exit statuses, ranges of pending tasks", () => {
  // Captured from sacct -n -P -X -j <job> -o JobID,State,ExitCode on the one-node Slurm with
  // accounting (slurmdbd) switched on. Job 44, six tasks on two CPUs, while two ran:
  const running = parseSacct("44_0|RUNNING|0:0\n44_1|RUNNING|0:0\n44_[2-5]|PENDING|0:0\n", "44");
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((t) => running.get(t)?.state),
    ["running", "running", "pending", "pending", "pending", "pending"],
  );
  // Job 38 (five tasks, at most two at once; task 1 exits with 3) after scancel, and job 43,
  // stopped at its time limit:
  const ended = parseSacct(
    "38_0|COMPLETED|0:0\n38_1|FAILED|3:0\n38_2|CANCELLED by 0|0:0\n38_3|CANCELLED by 0|0:0\n" +
      "38_4|CANCELLED by 0|0:0\n43_0|TIMEOUT|0:0\n",
    "38",
  );
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((t) => ended.get(t)?.state),
    ["completed", "failed", "cancelled", "cancelled", "cancelled"],
  );
  assert.deepEqual(ended.get(1), { slurmState: "FAILED", state: "failed", exitCode: 3 });
  assert.equal(ended.get(2)?.slurmState, "CANCELLED");
  assert.equal(ended.size, 5); // 43_0 is another job's
  assert.deepEqual(parseSacct("43_0|TIMEOUT|0:0\n", "43").get(0)?.state, "timeout");
  // States this machine cannot produce (no memory limits, one node), in sacct's words.
  assert.deepEqual(
    ["OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "REQUEUED", "COMPLETING", "DEADLINE", "NEW_WORD"]
      .map(slurmStateName),
    ["failed", "failed", "failed", "pending", "running", "timeout", "unknown"],
  );
});

Deno.test("the state of each task comes from squeue, then sacct, then its exit file", () => {
  const states = combineTaskStates(5, {
    squeue: parseSqueue("3_0|RUNNING\n3_1|COMPLETED\n", "3"),
    sacct: parseSacct("3_1|COMPLETED|0:0\n3_2|TIMEOUT|0:0\n", "3"),
    exitFiles: new Map([
      [1, parseExitFile("0\n")!],
      [2, parseExitFile("TERM 143\n")!],
      [3, parseExitFile("4\n")!],
    ]),
  });
  assert.deepEqual(states, [
    { task: 0, state: "running", slurmState: "RUNNING", exitCode: null, source: "squeue" },
    { task: 1, state: "completed", slurmState: "COMPLETED", exitCode: 0, source: "squeue" },
    // The command's own status (the exit file's), not sacct's 0:0 for a stopped task.
    { task: 2, state: "timeout", slurmState: "TIMEOUT", exitCode: 143, source: "sacct" },
    { task: 3, state: "failed", slurmState: null, exitCode: 4, source: "exit-file" },
    { task: 4, state: "unknown", slurmState: null, exitCode: null, source: "none" },
  ]);
  assert.equal(parseExitFile(""), null); // being written
});

Deno.test("without sbatch or squeue on PATH: a one-line error naming what to install", async () => {
  await using dir = await tempDir();
  const env = { PATH: dir.path }; // a folder without Slurm's commands
  const spec = { commands: ["true"], logDir: `${dir.path}/logs` };
  await assertUserError(
    submitJobArray(spec, { env }),
    /^sbatch not found on PATH: install .*apt-get install slurm-client/,
  );
  const job = { jobId: "1", tasks: 1, logDir: dir.path, script: "" };
  await assertUserError(jobArrayStates(job, { env }), /^squeue not found on PATH/);
  assert.equal(await slurmControllerUp({ env }), false);
});

Deno.test("a SLURM_CONF that does not exist is a one-line error at once", async () => {
  await using dir = await tempDir();
  await assertUserError(
    submitJobArray({ commands: ["true"], logDir: dir.path }, {
      env: { SLURM_CONF: `${dir.path}/none.conf` },
    }),
    /^SLURM_CONF names .*none\.conf, which does not exist/,
  );
});

slurmTest("a controller that does not answer: a one-line error saying to start it", async () => {
  await using dir = await tempDir();
  const conf = await deadControllerConf(dir.path);
  await assertUserError(
    submitJobArray({ commands: ["true"], logDir: dir.path }, { env: { SLURM_CONF: conf } }),
    /^the Slurm controller does not answer \(sbatch: .*\); start slurmctld .*deploy\/slurm\/start/,
  );
  assert.equal(await slurmControllerUp({ env: { SLURM_CONF: conf } }), false);
});

slurmTest("a 3-task job array runs on Slurm: each task's file, output and state", async () => {
  await using dir = await tempDir();
  const job = await submitJobArray({
    commands: [
      "echo zero > zero.txt",
      "echo one > one.txt; echo to-stdout",
      "echo two > two.txt; echo to-stderr >&2; exit 4",
    ],
    logDir: `${dir.path}/logs`,
    jobName: "rnnlab-test",
    chdir: dir.path,
    time: "5",
    cpusPerTask: 1,
  });
  assert.match(job.jobId, /^\d+$/);
  assert.equal(job.script, `${dir.path}/logs/rnnlab-test.sbatch`);
  try {
    const states = await waitForJobArray(job, { timeoutMs: 60_000, pollMs: 250 });
    assert.deepEqual(
      states.map((s) => [s.task, s.state, s.exitCode]),
      [[0, "completed", 0], [1, "completed", 0], [2, "failed", 4]],
    );
  } finally {
    await cancelJobArray(job);
  }
  assert.equal(await Deno.readTextFile(`${dir.path}/zero.txt`), "zero\n");
  assert.equal(await Deno.readTextFile(`${dir.path}/one.txt`), "one\n");
  assert.equal(await Deno.readTextFile(`${dir.path}/two.txt`), "two\n");
  assert.equal(await Deno.readTextFile(taskFiles(job.logDir, job.jobId, 1).out), "to-stdout\n");
  assert.equal(await Deno.readTextFile(taskFiles(job.logDir, job.jobId, 2).err), "to-stderr\n");
  assert.equal(await Deno.readTextFile(taskFiles(job.logDir, job.jobId, 2).exit), "4\n");
});

slurmTest("a cancelled task gets SIGTERM and time to finish; the wait gives up first", async () => {
  await using dir = await tempDir();
  const job = await submitJobArray({
    commands: [STOPPABLE],
    logDir: `${dir.path}/logs`,
    chdir: dir.path,
    time: "5",
  });
  try {
    await fileAppears(`${dir.path}/started`, 30_000);
    await assertUserError(
      waitForJobArray(job, { timeoutMs: 500, pollMs: 250 }),
      new RegExp(`^job array ${job.jobId} has not finished after 0.5 s \\(tasks 0 running\\); `),
    );
  } finally {
    await cancelJobArray(job);
  }
  const [state] = await waitForJobArray(job, { timeoutMs: 30_000, pollMs: 250 });
  assert.deepEqual([state.state, state.exitCode], ["cancelled", 143]);
  assert.equal(await Deno.readTextFile(`${dir.path}/saved`), "saved\n");
  assert.equal(await Deno.readTextFile(taskFiles(job.logDir, job.jobId, 0).exit), "TERM 143\n");
  assert.equal((await dirEntries(dir.path)).includes("after"), false);
});
