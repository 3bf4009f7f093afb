/**
 * `bench:peers`'s harness without timing anything: fake Pythons and a fake `deno` (shell scripts
 * that answer the probe and print canned JSON lines) stand in for the peers, so what is checked is
 * which peers run, the skip lines, the commands each peer gets, the interleaved order, the JSON
 * read from each process, and the ranges and ratios of the table.
 */
import assert from "node:assert/strict";
import {
  choosePeers,
  type Finished,
  type PeerChoice,
  type PeerSources,
  runRounds,
  type RunSettings,
  type Spawn,
  spawnProcess,
} from "../bench/peers.ts";
import { renderTable, summarise } from "../bench/peers_table.ts";
import { assertOneLineError, type CommandResult, ROOT, tempDir } from "./fixtures.ts";

/** Writes an executable shell script `name` into `dir` and returns its path. */
async function script(dir: string, name: string, body: string): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

/** A Python that answers the probe with `probe` and every script with `line` (args in `$*`). */
function fakePython(probe: Record<string, string>, line: string, exit = 0): string {
  return [
    `if [ "$1" = "-c" ]; then cat <<'EOF'\n${JSON.stringify(probe)}\nEOF\nexit 0; fi`,
    `echo "timing $*"`,
    line,
    `exit ${exit}`,
  ].join("\n");
}

/** A book checkout as far as the harness looks: `common/trainer.py`. */
async function fakeBook(dir: string): Promise<string> {
  await Deno.mkdir(`${dir}/book/common`, { recursive: true });
  await Deno.writeTextFile(`${dir}/book/common/trainer.py`, "");
  return `${dir}/book`;
}

const settings = (over: Partial<RunSettings> = {}): RunSettings => ({
  configs: ["ch05"],
  rounds: 1,
  iters: { ch05: 7, rnnlm: 4 },
  warmup: 2,
  ptbDir: "/data/ptb",
  torchThreads: 2,
  torchBlasThreads: 1,
  ...over,
});

Deno.test("choosePeers: takes the first candidate that imports each module, says why it skips", async () => {
  await using tmp = await tempDir();
  const numpyOnly = await script(
    tmp.path,
    "py-numpy",
    fakePython({ numpy: "1.24.2", torchError: "No module named 'torch'" }, ""),
  );
  const withTorch = await script(
    tmp.path,
    "py-torch",
    fakePython({ numpy: "1.24.2", torch: "1.13.0a0" }, ""),
  );
  const broken = await script(tmp.path, "py-broken", "echo 'Segmentation fault' >&2; exit 139");
  const missing = `${tmp.path}/no-such-python`;
  const book = await fakeBook(tmp.path);
  const root = tmp.path;

  const both = await choosePeers(
    { root, book, candidates: [missing, numpyOnly, withTorch] },
    spawnProcess,
  );
  assert.equal(both.numpy?.command, numpyOnly);
  assert.equal(both.numpy?.numpy, "1.24.2");
  assert.equal(both.torch?.command, withTorch);
  assert.equal(both.torch?.torch, "1.13.0a0");
  assert.deepEqual(both.skipped, []);

  // No candidate has torch: one line naming each interpreter tried and why, and what to install.
  const noTorch = await choosePeers(
    { root, book, candidates: [missing, broken, numpyOnly] },
    spawnProcess,
  );
  assert.equal(noTorch.numpy?.command, numpyOnly);
  assert.equal(noTorch.torch, null);
  assert.deepEqual(noTorch.skipped, [
    `skipped PyTorch: no Python with torch (tried ${missing} (not found), ${broken} (exit 139: ` +
    `Segmentation fault), ${numpyOnly} (No module named 'torch')); apt-get install -y ` +
    `python3-torch (Debian's, for /usr/bin/python3), or give --torch-python`,
  ]);

  // A given interpreter is the only one tried; a folder without the book's code skips NumPy.
  const given = await choosePeers(
    { root, book: `${tmp.path}/nowhere`, torchPython: numpyOnly, candidates: [withTorch] },
    spawnProcess,
  );
  assert.equal(given.numpy, null);
  assert.equal(given.torch, null);
  assert.deepEqual(given.skipped, [
    `skipped the book's NumPy code: ${tmp.path}/nowhere is not a checkout of the book's code ` +
    "(no common/trainer.py); give --book DIR",
    `skipped PyTorch: no Python with torch (tried ${numpyOnly} (No module named 'torch')); ` +
    "apt-get install -y python3-torch (Debian's, for /usr/bin/python3), or give --torch-python",
  ]);

  const noNumpy = await choosePeers({ root, book, candidates: [missing] }, spawnProcess);
  assert.match(
    noNumpy.skipped[0],
    /^skipped the book's NumPy code: no Python with NumPy \(tried .*no-such-python \(not found\)\); pip install numpy, or give --python$/,
  );
});

Deno.test("runRounds with real processes: each peer's command, its last JSON line, a failure kept as one line", async () => {
  await using tmp = await tempDir();
  const numpyPy = await script(
    tmp.path,
    "py-numpy",
    fakePython(
      { numpy: "2.4.6" },
      `echo '{"ms_per_iter": 3.0, "peak_rss_mb": 40, "args": "'"$*"'"}'`,
    ),
  );
  // This PyTorch fails as a real one would, with Python's exit message on stderr.
  const torchPy = await script(
    tmp.path,
    "py-torch",
    fakePython({ torch: "1.13.0a0" }, "echo 'Killed: out of memory' >&2", 1),
  );
  const deno = await script(
    tmp.path,
    "deno",
    `echo "ms/iter (median of 7): 1.5"\n` +
      `echo '{"ms_per_iter": 1.5, "achieved_gflops": 12.5, "sgemm_peak_gflops": 200, ` +
      `"peak_rss_mb": 100, "args": "'"$*"'"}'`,
  );
  const sources: PeerSources = { root: tmp.path, book: "/book" };
  const choice: PeerChoice = {
    numpy: { command: numpyPy },
    torch: { command: torchPy },
    skipped: [],
  };
  const logged: string[] = [];
  const ms = await runRounds(
    settings(),
    sources,
    choice,
    spawnProcess,
    deno,
    (l) => logged.push(l),
  );

  assert.deepEqual(ms.map((m) => m.peer), ["numpy", "torch", "rnnlab"]);
  const [numpy, torch, rnnlab] = ms;
  assert.equal(numpy.result?.ms_per_iter, 3.0);
  assert.equal(
    numpy.result?.args,
    `${tmp.path}/bench/book_numpy.py --book /book --json --iters 7 --warmup 2 ch05`,
  );
  assert.equal(torch.result, null);
  assert.equal(torch.error, "exit 1: Killed: out of memory");
  assert.equal(
    rnnlab.result?.args,
    "task bench:train ch05_simple_rnnlm --data-dir /data/ptb --json --iters 7 --warmup 2",
  );
  assert.deepEqual(logged, [
    "round 1/1 ch05 book's NumPy code: 3 ms/iter",
    "round 1/1 ch05 PyTorch: failed: exit 1: Killed: out of memory",
    "round 1/1 ch05 rnnlab: 1.5 ms/iter",
  ]);

  const rows = summarise(ms, ["ch05"]);
  assert.deepEqual(rows[0].vsNumpy, { min: 2, max: 2, n: 1 });
  assert.equal(rows[0].vsTorch, null);
  const table = renderTable(rows, { skipped: {} }).split("\n");
  assert.equal(table.length, 3);
  assert.deepEqual(table[2].split("|").map((c) => c.trim()).slice(1, -1), [
    "ch05 SimpleRnnlm (N10 T5 H100 V418)",
    "3.00 ms",
    "failed",
    "1.50 ms",
    "2.00×",
    "—",
    "12.5 / 200.0 GFLOP/s",
  ]);
});

Deno.test("runRounds interleaves peers within each configuration, rounds outermost; ratios are per round", async () => {
  // Canned figures per (peer, config, round): the fake spawn plays all three peers.
  const ms: Record<string, number> = {
    "numpy ch05 1": 6,
    "torch ch05 1": 4,
    "rnnlab ch05 1": 2,
    "numpy rnnlm 1": 300,
    "torch rnnlm 1": 100,
    "rnnlab rnnlm 1": 150,
    "numpy ch05 2": 9,
    "torch ch05 2": 3,
    "rnnlab ch05 2": 2.5,
    "numpy rnnlm 2": 200,
    "torch rnnlm 2": 90,
    "rnnlab rnnlm 2": 100,
  };
  const calls: string[] = [];
  let round = 1;
  const spawn: Spawn = (cmd, args): Promise<Finished> => {
    const peer = cmd === "deno" ? "rnnlab" : cmd === "py" ? "numpy" : "torch";
    const config = peer === "rnnlab" ? (args[2] === "ch06_rnnlm" ? "rnnlm" : "ch05") : args.at(-1)!;
    const key = `${peer} ${config} ${round}`;
    calls.push(key);
    const extra = peer === "rnnlab"
      ? `, "achieved_gflops": ${round * 10}, "sgemm_peak_gflops": 150`
      : "";
    if (calls.length === 6) round = 2;
    return Promise.resolve({
      code: 0,
      stdout: `warming up\n{"ms_per_iter": ${ms[key]}${extra}}\n`,
      stderr: "",
    });
  };
  const choice: PeerChoice = {
    numpy: { command: "py" },
    torch: { command: "torchpy" },
    skipped: [],
  };
  const got = await runRounds(
    settings({ configs: ["ch05", "rnnlm"], rounds: 2 }),
    { root: ".", book: "/book" },
    choice,
    spawn,
    "deno",
  );
  assert.deepEqual(calls, Object.keys(ms));
  assert.deepEqual(got.map((m) => `${m.peer} ${m.config} ${m.round}`), Object.keys(ms));

  const [ch05, rnnlm] = summarise(got, ["ch05", "rnnlm"]);
  assert.deepEqual(ch05.ms.numpy, { min: 6, max: 9, n: 2 });
  assert.deepEqual(ch05.vsNumpy, { min: 3, max: 3.6, n: 2 }); // 6 / 2 and 9 / 2.5
  assert.deepEqual(ch05.vsTorch, { min: 1.2, max: 2, n: 2 }); // 3 / 2.5 and 4 / 2
  // Per-round ratios, not a ratio of ranges: 300 / 150 and 200 / 100 are both 2.
  assert.deepEqual(rnnlm.vsNumpy, { min: 2, max: 2, n: 2 });
  assert.deepEqual(rnnlm.achieved, { min: 10, max: 20, n: 2 });

  const table = renderTable([ch05, rnnlm], {
    torch: { version: "1.13.0a0", threads: 2 },
    skipped: {},
  });
  assert.match(table, /\| PyTorch \(1\.13\.0a0, 2 threads\) \|/);
  assert.match(
    table,
    /\| ch06 Rnnlm \(LSTM H100\) +\| 200\.0–300\.0 ms +\| 90\.0–100\.0 ms +\| 100\.0–150\.0 ms +\| 2\.00× +\| 0\.667–0\.900× +\| 10\.0–20\.0 \/ 150\.0 GFLOP\/s +\|/,
  );
});

Deno.test("runRounds leaves skipped peers out; the table says skipped, not failed", async () => {
  const calls: string[] = [];
  const spawn: Spawn = (cmd) => {
    calls.push(cmd);
    return Promise.resolve({ code: 0, stdout: '{"ms_per_iter": 1}', stderr: "" });
  };
  const choice: PeerChoice = { numpy: null, torch: null, skipped: ["(lines)"] };
  const got = await runRounds(settings(), { root: ".", book: "/b" }, choice, spawn, "deno");
  assert.deepEqual(calls, ["deno"]);
  const row = renderTable(summarise(got, ["ch05"]), { skipped: { numpy: true, torch: true } })
    .split("\n")[2];
  assert.match(row, /\| skipped +\| skipped +\| 1\.00 ms +\| — +\| — +\| — +\|$/);
});

Deno.test("runRounds: a process that exits 0 without a JSON line is a failure, not a figure", async () => {
  const spawn: Spawn = () =>
    Promise.resolve({ code: 0, stdout: "numpy 2.4.6\n{not json\n", stderr: "" });
  const choice: PeerChoice = { numpy: { command: "py" }, torch: null, skipped: [] };
  const [numpy] = await runRounds(settings(), { root: ".", book: "/b" }, choice, spawn, "deno");
  assert.equal(numpy.result, null);
  assert.equal(numpy.error, "printed no JSON line with ms_per_iter ({not json)");
});

/** `deno task bench:peers ...` as a user runs it (quiet: no "Task ..." line on stderr). */
async function task(args: string[]): Promise<CommandResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "bench:peers", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno task bench:peers refuses bad options with one line, before running anything", async () => {
  assertOneLineError(await task(["--rounds", "0"]), /--rounds 0: must be an integer >= 1/);
  assertOneLineError(
    await task(["--configs", "ch05,ch07"]),
    /unknown configuration 'ch07'; choose from ch05, full, rnnlm, better/,
  );
  assertOneLineError(
    await task(["--iters", "better=x"]),
    /--iters better=x: counts must be integers >= 1/,
  );
  const help = await task(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: deno task bench:peers \[--rounds N\]/);
});
