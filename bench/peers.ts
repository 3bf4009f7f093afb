/**
 * The peers of `deno task bench:peers`: the book's NumPy code (`bench/book_numpy.py`), PyTorch
 * on the CPU (`bench/torch_peer.py`) and rnnlab (`deno task bench:train`), each one process per
 * configuration and round, run interleaved so that a change in the machine's load falls on all
 * three alike.
 *
 * This module finds the Pythons that can run the peers (and says which peer is skipped and why),
 * builds each peer's command with the same iterations, warm-up and thread budget, runs the rounds
 * and reads each process's last JSON line. What the figures mean is {@linkcode summarise}'s
 * (`bench/peers_table.ts`).
 *
 * @module
 */

/** The peers, in the order each round runs them. */
export const PEERS = ["numpy", "torch", "rnnlab"] as const;
/** One of {@linkcode PEERS}. */
export type Peer = typeof PEERS[number];

/** How the table names each peer. */
export const PEER_NAMES: Record<Peer, string> = {
  numpy: "book's NumPy code",
  torch: "PyTorch",
  rnnlab: "rnnlab",
};

/** One configuration as each peer names it. */
export interface PeerConfig {
  /** The table's row label. */
  label: string;
  /** `bench/book_numpy.py`'s and `bench/torch_peer.py`'s name for it. */
  python: string;
  /** rnnlab's experiment. */
  experiment: string;
  /** Iterations timed when `--iters` does not say. */
  iters: number;
}

/** The four configurations, by the key `--configs` takes. */
export const PEER_CONFIGS: Record<string, PeerConfig> = {
  ch05: {
    label: "ch05 SimpleRnnlm (N10 T5 H100 V418)",
    python: "ch05",
    experiment: "ch05_simple_rnnlm",
    iters: 300,
  },
  full: {
    label: "SimpleRnnlm, full PTB (N20 T35 H100)",
    python: "simple_full",
    experiment: "ch05_simple_rnnlm_full",
    iters: 30,
  },
  rnnlm: {
    label: "ch06 Rnnlm (LSTM H100)",
    python: "rnnlm",
    experiment: "ch06_rnnlm",
    iters: 30,
  },
  better: {
    label: "ch06 BetterRnnlm (2 x LSTM 650)",
    python: "better",
    experiment: "ch06_better_rnnlm",
    iters: 8,
  },
};

/** Output of a finished process. */
export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end; rejects with `Deno.errors.NotFound` when `cmd` does not exist.
 * The harness takes it as a parameter so that tests can give it canned answers.
 */
export type Spawn = (cmd: string, args: string[], cwd: string) => Promise<Finished>;

/**
 * Runs `cmd` as a real process with this process's environment (so `OPENBLAS_CORETYPE` and the
 * user's other settings reach every peer unchanged), capturing its output.
 */
export const spawnProcess: Spawn = async (cmd, args, cwd) => {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
};

/**
 * The last line of `stdout` that is a JSON object with a positive `ms_per_iter`: what
 * `bench/book_numpy.py --json`, `bench/torch_peer.py --json` and `bench:train --json` print
 * last. `null` when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePeerJson } from "./peers.ts";
 * const out = 'ms/iter: 2.5\n{"ms_per_iter": 2.5, "peak_rss_mb": 90}\n';
 * assert.deepEqual(parsePeerJson(out), { ms_per_iter: 2.5, peak_rss_mb: 90 });
 * assert.equal(parsePeerJson("Traceback (most recent call last):\n"), null);
 * ```
 */
export function parsePeerJson(stdout: string): Record<string, unknown> | null {
  const lines = stdout.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("{"));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const v = JSON.parse(lines[i]);
      const ms = v?.ms_per_iter;
      if (typeof v === "object" && typeof ms === "number" && ms > 0) return v;
    } catch { /* not JSON: look further up */ }
  }
  return null;
}

/** The last non-empty line of a process's error output (a Python exit message, say). */
export function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}

/** What a Python interpreter offers the peers, from {@linkcode probePython}. */
export interface PythonProbe {
  /** The command as given (`python3`, a path). */
  command: string;
  /** `sys.executable` and the version, when it ran. */
  executable?: string;
  version?: string;
  /** Module versions, or why the import failed. */
  numpy?: string;
  numpyError?: string;
  torch?: string;
  torchError?: string;
  /** Why the interpreter could not be asked at all. */
  error?: string;
}

const PROBE = [
  "import json, sys",
  'out = {"executable": sys.executable, "version": sys.version.split()[0]}',
  "for m in ('numpy', 'torch'):",
  "    try:",
  "        out[m] = __import__(m).__version__",
  "    except Exception as e:",
  "        out[m + 'Error'] = (str(e).splitlines() or [type(e).__name__])[0]",
  "print(json.dumps(out))",
].join("\n");

/**
 * Asks `python` (a command or a path) for its version and whether it imports NumPy and PyTorch.
 *
 * @example
 * ```ts ignore
 * import { probePython, spawnProcess } from "./peers.ts";
 * console.log(await probePython("/usr/bin/python3", spawnProcess)); // { torch: "1.13.0a0", ... }
 * ```
 */
export async function probePython(python: string, spawn: Spawn): Promise<PythonProbe> {
  let r: Finished;
  try {
    r = await spawn(python, ["-c", PROBE], ".");
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { command: python, error: "not found" };
    return { command: python, error: e instanceof Error ? e.message : String(e) };
  }
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  try {
    const v = JSON.parse(line);
    if (r.code === 0 && typeof v === "object" && v !== null) return { command: python, ...v };
  } catch { /* fall through */ }
  return { command: python, error: `exit ${r.code}: ${lastLine(r.stderr) || "no answer"}` };
}

/** Where the peers come from. */
export interface PeerSources {
  /** The project root (where `bench/` and `deno.json` are). */
  root: string;
  /** A checkout of the book's code (`common/trainer.py` in it). */
  book: string;
  /** The Python for the book's code; unset: the first of `candidates` with NumPy. */
  python?: string;
  /** The Python for PyTorch; unset: the first of `candidates` with torch. */
  torchPython?: string;
  /** Interpreters tried in order when one is not given. */
  candidates?: string[];
}

/** The peers that will run, and a line for each that will not. */
export interface PeerChoice {
  numpy: PythonProbe | null;
  torch: PythonProbe | null;
  /** One line per skipped peer: which, and what to do about it. */
  skipped: string[];
}

/** Debian's PyTorch installs for `/usr/bin/python3`, which may not be the `python3` on PATH. */
export const DEFAULT_PYTHONS: string[] = ["python3", "/usr/bin/python3"];

function describeTried(probes: PythonProbe[], module: "numpy" | "torch"): string {
  return probes.map((p) => {
    const why = p.error ?? p[`${module}Error`] ?? "no answer";
    return `${p.command} (${why})`;
  }).join(", ");
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Decides which peers run: the book's code needs a Python with NumPy and the checkout at
 * `sources.book`; PyTorch needs a Python with torch. A given interpreter is the only one tried.
 *
 * @example
 * ```ts ignore
 * import { choosePeers, spawnProcess } from "./peers.ts";
 * const c = await choosePeers({ root: ".", book: "../shared/reference/dlfs2" }, spawnProcess);
 * for (const line of c.skipped) console.log(line);
 * ```
 */
export async function choosePeers(sources: PeerSources, spawn: Spawn): Promise<PeerChoice> {
  const cache = new Map<string, Promise<PythonProbe>>();
  const probe = (py: string) => {
    if (!cache.has(py)) cache.set(py, probePython(py, spawn));
    return cache.get(py)!;
  };
  const find = async (given: string | undefined, module: "numpy" | "torch") => {
    const tried: PythonProbe[] = [];
    for (const py of given ? [given] : sources.candidates ?? DEFAULT_PYTHONS) {
      const p = await probe(py);
      if (p[module]) return { found: p, tried };
      tried.push(p);
    }
    return { found: null, tried };
  };
  const skipped: string[] = [];

  let numpy: PythonProbe | null = null;
  if (!isFile(`${sources.book}/common/trainer.py`)) {
    skipped.push(
      `skipped the book's NumPy code: ${sources.book} is not a checkout of the book's code ` +
        `(no common/trainer.py); give --book DIR`,
    );
  } else {
    const n = await find(sources.python, "numpy");
    numpy = n.found;
    if (!numpy) {
      skipped.push(
        `skipped the book's NumPy code: no Python with NumPy (tried ${
          describeTried(n.tried, "numpy")
        }); pip install numpy, or give --python`,
      );
    }
  }

  const t = await find(sources.torchPython, "torch");
  if (!t.found) {
    skipped.push(
      `skipped PyTorch: no Python with torch (tried ${
        describeTried(t.tried, "torch")
      }); apt-get install -y python3-torch (Debian's, for /usr/bin/python3), or give --torch-python`,
    );
  }
  return { numpy, torch: t.found, skipped };
}

/** The settings every peer gets alike. */
export interface RunSettings {
  /** Keys of {@linkcode PEER_CONFIGS}, in the order each round runs them. */
  configs: string[];
  rounds: number;
  /** Iterations timed per configuration key. */
  iters: Record<string, number>;
  /** Warm-up iterations (each peer also warms up for at least 0.5 s). */
  warmup: number;
  /** PTB's folder: rnnlab's and PyTorch's training data. */
  ptbDir: string;
  /** PyTorch's intra-op (OpenMP) threads: the cores the other two use. */
  torchThreads: number;
  /** `OPENBLAS_NUM_THREADS` for PyTorch's process (1: see `bench/torch_peer.py`). */
  torchBlasThreads: number;
}

/** The command (program and arguments) that times `config` for `peer`. */
export function peerCommand(
  peer: Peer,
  config: string,
  s: RunSettings,
  sources: PeerSources,
  choice: PeerChoice,
  deno: string = Deno.execPath(),
): [string, string[]] {
  const c = PEER_CONFIGS[config];
  const common = ["--iters", String(s.iters[config]), "--warmup", String(s.warmup)];
  switch (peer) {
    case "numpy":
      return [choice.numpy!.command, [
        `${sources.root}/bench/book_numpy.py`,
        "--book",
        sources.book,
        "--json",
        ...common,
        c.python,
      ]];
    case "torch":
      return [choice.torch!.command, [
        `${sources.root}/bench/torch_peer.py`,
        "--data-dir",
        s.ptbDir,
        "--threads",
        String(s.torchThreads),
        "--openblas-threads",
        String(s.torchBlasThreads),
        "--json",
        ...common,
        c.python,
      ]];
    case "rnnlab":
      // Through `deno task`, so that the benchmark has exactly the permissions deno.json gives it.
      return [deno, [
        "task",
        "bench:train",
        c.experiment,
        "--data-dir",
        s.ptbDir,
        "--json",
        ...common,
      ]];
  }
}

/** One peer's process for one configuration in one round. */
export interface Measurement {
  round: number;
  config: string;
  peer: Peer;
  /** The process's JSON line, or null when it failed. */
  result: Record<string, unknown> | null;
  /** Why it failed: one line. */
  error?: string;
}

/**
 * Runs the rounds: in each, for each configuration in turn, the book's code, PyTorch and rnnlab
 * one after the other (the peers that {@linkcode choosePeers} skipped are left out). A process
 * that fails or prints no JSON line becomes a measurement with an `error`, and the rounds go on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runRounds, type Spawn } from "./peers.ts";
 * const order: string[] = [];
 * const spawn: Spawn = (cmd, args) => {
 *   order.push(cmd === "deno" ? `deno ${args[2]}` : `${cmd} ${args.at(-1)}`);
 *   return Promise.resolve({ code: 0, stdout: '{"ms_per_iter": 1}\n', stderr: "" });
 * };
 * const settings = {
 *   configs: ["ch05", "rnnlm"], rounds: 2, iters: { ch05: 3, rnnlm: 3 }, warmup: 1,
 *   ptbDir: "ptb", torchThreads: 2, torchBlasThreads: 1,
 * };
 * const choice = { numpy: { command: "py" }, torch: null, skipped: [] };
 * const got = await runRounds(settings, { root: ".", book: "book" }, choice, spawn, "deno");
 * assert.equal(got.length, 8);
 * assert.deepEqual(order.slice(0, 4), ["py ch05", "deno ch05_simple_rnnlm", "py rnnlm", "deno ch06_rnnlm"]);
 * ```
 */
export async function runRounds(
  s: RunSettings,
  sources: PeerSources,
  choice: PeerChoice,
  spawn: Spawn,
  deno: string = Deno.execPath(),
  log: (line: string) => void = () => {},
): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (let round = 1; round <= s.rounds; round++) {
    for (const config of s.configs) {
      for (const peer of PEERS) {
        if ((peer === "numpy" && !choice.numpy) || (peer === "torch" && !choice.torch)) continue;
        const [cmd, args] = peerCommand(peer, config, s, sources, choice, deno);
        const m = await measure(spawn, cmd, args, sources.root, { round, config, peer });
        out.push(m);
        const head = `round ${round}/${s.rounds} ${config} ${PEER_NAMES[peer]}:`;
        log(m.result ? `${head} ${m.result.ms_per_iter} ms/iter` : `${head} failed: ${m.error}`);
      }
    }
  }
  return out;
}

async function measure(
  spawn: Spawn,
  cmd: string,
  args: string[],
  cwd: string,
  at: Pick<Measurement, "round" | "config" | "peer">,
): Promise<Measurement> {
  let r: Finished;
  try {
    r = await spawn(cmd, args, cwd);
  } catch (e) {
    return { ...at, result: null, error: `${cmd}: ${e instanceof Error ? e.message : e}` };
  }
  const result = r.code === 0 ? parsePeerJson(r.stdout) : null;
  if (result) return { ...at, result };
  const why = lastLine(r.stderr) || lastLine(r.stdout) || "no output";
  return {
    ...at,
    result: null,
    error: r.code === 0
      ? `printed no JSON line with ms_per_iter (${why})`
      : `exit ${r.code}: ${why}`,
  };
}
