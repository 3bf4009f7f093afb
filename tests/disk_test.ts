/**
 * Full disks and read-only folders, for real: each test runs `experiment` in a private mount
 * namespace (`unshare -rm`) on small tmpfs file systems that vanish with it. A run that cannot
 * write must stop with one line that says what to do, mark its record `failed` when the record can
 * still be written, and leave no temporary file behind.
 */
import assert from "node:assert/strict";
import { parseMetrics, readRunRecord } from "../run/record.ts";
import {
  EXPERIMENT_PERMISSIONS,
  filesUnder,
  ROOT,
  runCliProcess,
  tempDir,
  writeSyntheticCorpus,
} from "./fixtures.ts";

/** Whether this machine lets a process mount a tmpfs in a mount namespace of its own. */
const CAN_MOUNT: boolean = (() => {
  try {
    const dir = Deno.makeTempDirSync();
    const ok = new Deno.Command("unshare", {
      args: ["-rm", "sh", "-c", `mount -t tmpfs -o size=16k tmpfs '${dir}'`],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
    Deno.removeSync(dir);
    if (!ok) console.log("unshare -rm cannot mount a tmpfs here: the disk tests are skipped");
    return ok;
  } catch {
    console.log("unshare is not available: the disk tests are skipped");
    return false;
  }
})();

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Runs `cli/experiment.ts ...args` inside a mount namespace after `mounts` (shell lines that
 * mount file systems under `root`), copies `root/out` (and `root/ck`) out to `root/copy-*`
 * before the namespace goes, and returns the exit code, the stderr and the copies.
 */
async function runMounted(
  root: string,
  mounts: string[],
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stderr: string; out: string; ck: string }> {
  for (const d of ["out", "ck", "copy-out", "copy-ck"]) await Deno.mkdir(`${root}/${d}`);
  const deno = [Deno.execPath(), "run", ...EXPERIMENT_PERMISSIONS, `${ROOT}/cli/experiment.ts`];
  const script = [
    "set -e",
    ...mounts,
    "set +e",
    `${[...deno, ...args].map(q).join(" ")} >${q(`${root}/stdout`)} 2>${q(`${root}/stderr`)}`,
    `echo $? >${q(`${root}/code`)}`,
    `cp -a ${q(`${root}/out`)}/. ${q(`${root}/copy-out`)}/`,
    `cp -a ${q(`${root}/ck`)}/. ${q(`${root}/copy-ck`)}/`,
  ].join("\n");
  const res = await new Deno.Command("unshare", {
    args: ["-rm", "sh", "-c", script],
    env: { NO_COLOR: "1", ...env },
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(res.success, new TextDecoder().decode(res.stderr));
  return {
    code: Number((await Deno.readTextFile(`${root}/code`)).trim()),
    stderr: await Deno.readTextFile(`${root}/stderr`),
    out: `${root}/copy-out`,
    ck: `${root}/copy-ck`,
  };
}

/** One `error:` line matching `re`, no stack trace. */
function assertOneLine(stderr: string, re: RegExp): string {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], re);
  return lines[0].slice("error: ".length);
}

/** Bytes of the patch a run writes beside its record when the work tree has changes. */
async function patchBytes(): Promise<number> {
  const out = await new Deno.Command("git", {
    args: ["diff", "HEAD", "--", ".", ":(exclude)results"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  return out.stdout.length;
}

/** No temporary file, no reserve, no lock: nothing of a write in progress. */
const noTemporaries = async (dir: string) =>
  assert.deepEqual(
    (await filesUnder(dir)).filter((f) =>
      f.includes(".tmp") || f.endsWith(".reserve") || f.endsWith("run.lock")
    ),
    [],
  );

Deno.test({
  name:
    "--out on a 200 KB file system: refused before training, no run directory and no temporary file left",
  ignore: !CAN_MOUNT,
  async fn() {
    await using corpus = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
    await using root = await tempDir();
    // D = H = 300: a checkpoint of about 1 MB, which the 200 KB disk cannot take.
    const r = await runMounted(
      root.path,
      [`mount -t tmpfs -o size=200k tmpfs ${q(`${root.path}/out`)}`],
      [
        "ch05_simple_rnnlm",
        "--corpus",
        corpus.path,
        "--hidden-size",
        "300",
        "--wordvec-size",
        "300",
        "--out",
        `${root.path}/out`,
      ],
    );
    assert.equal(r.code, 2);
    assertOneLine(
      r.stderr,
      /^error: cannot write .*\/checkpoints\/last\.safetensors: the disk is full; free space on that disk, or point --out at another folder$/,
    );
    assert.deepEqual(await filesUnder(r.out), []);
  },
});

Deno.test({
  name:
    "the disk fills mid-run: the run stops as failed with the reason, metrics keep whole lines, no temporary file",
  ignore: !CAN_MOUNT,
  async fn() {
    await using corpus = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
    await using root = await tempDir();
    // Room for the record, its next copy, two pages of metrics and the 64 KB the run keeps for its
    // last record (a dirty work tree adds its patch): the metrics fill the disk after some 40
    // epochs of 1000.
    const pages = 4 + 16 + Math.ceil((await patchBytes()) / 4096);
    const r = await runMounted(root.path, [
      `mount -t tmpfs -o size=${pages * 4}k tmpfs ${q(`${root.path}/out`)}`,
      `mount -t tmpfs -o size=8m tmpfs ${q(`${root.path}/ck`)}`,
    ], [
      "ch05_simple_rnnlm",
      "--corpus",
      corpus.path,
      "--max-epoch",
      "1000",
      "--out",
      `${root.path}/out`,
    ], { RNNLAB_CHECKPOINT_DIR: `${root.path}/ck` });
    assert.equal(r.code, 2);
    const reason = assertOneLine(
      r.stderr,
      /^error: cannot write .*\/metrics\.jsonl: the disk is full; free space on that disk, or point --out at another folder$/,
    );
    const files = await filesUnder(r.out);
    const runJson = files.find((f) => f.endsWith("/run.json"))!;
    const dir = `${r.out}/${runJson.slice(0, -"/run.json".length)}`;
    const rec = await readRunRecord(dir);
    assert.equal(rec.status, "failed");
    assert.equal(rec.exit_reason, reason);
    const { lines, skipped } = parseMetrics(await Deno.readTextFile(`${dir}/metrics.jsonl`));
    assert.equal(skipped, 0);
    assert.ok(lines.length >= 1 && lines.length < 1000, `${lines.length} lines`);
    await noTemporaries(r.out);
    await noTemporaries(r.ck);
  },
});

Deno.test({
  name: "RNNLAB_CHECKPOINT_DIR on a read-only file system: refused before training, nothing left",
  ignore: !CAN_MOUNT,
  async fn() {
    await using corpus = await writeSyntheticCorpus({ train: 2000, valid: 400, test: 400 });
    await using root = await tempDir();
    const ck = `${root.path}/ck`;
    const r = await runMounted(
      root.path,
      [
        `mount -t tmpfs -o size=1m tmpfs ${q(ck)}`,
        `mount -o remount,ro ${q(ck)}`,
      ],
      ["ch05_simple_rnnlm", "--corpus", corpus.path, "--out", `${root.path}/out`],
      {
        RNNLAB_CHECKPOINT_DIR: ck,
      },
    );
    assert.equal(r.code, 2);
    assertOneLine(
      r.stderr,
      /^error: cannot write .*: the file system is read-only; set RNNLAB_CHECKPOINT_DIR to a folder you can write to, or unset it$/,
    );
    assert.deepEqual(await filesUnder(r.out), []);
    assert.deepEqual(await filesUnder(r.ck), []);
  },
});

Deno.test("report --out an existing folder is refused and leaves nothing beside it", async () => {
  await using root = await tempDir();
  await Deno.mkdir(`${root.path}/page`);
  const r = await runCliProcess("report.ts", ["--root", root.path, "--out", `${root.path}/page`]);
  assert.equal(r.code, 2);
  assertOneLine(
    r.stderr,
    /--out .*\/page is a folder; name the page to write, e\.g\. .*\/page\/report\.html$/,
  );
  assert.deepEqual(await filesUnder(root.path), []);
});
