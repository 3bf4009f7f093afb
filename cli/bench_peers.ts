/**
 * `deno task bench:peers [--rounds N] [--configs ch05,full,rnnlm,better] [--iters N|key=N,...]`:
 * times a training iteration of rnnlab next to the two programs its users would otherwise run,
 * the book's NumPy code (`bench/book_numpy.py`) and PyTorch on the CPU (`bench/torch_peer.py`),
 * on this machine, and prints one table.
 *
 * Each round runs, for each configuration in turn, the book's code, PyTorch and rnnlab
 * (`deno task bench:train <experiment> --json`), each in its own process, one after the other; the
 * ratios are taken within a round, so a change in the machine's load during the session falls on
 * both sides of each. Every peer gets the same iterations and warm-up (and at least 0.5 s of it),
 * the same cores (NumPy's OpenBLAS and rnnlab take all of them; PyTorch gets as many threads, with
 * `OPENBLAS_NUM_THREADS=1` in its process because its OpenMP threads and OpenBLAS's would otherwise
 * fight over the cores) and the environment unchanged, so each library picks its own OpenBLAS
 * kernel unless `OPENBLAS_CORETYPE` is set. A peer that cannot run is skipped with one line that
 * says why; `--json` adds one JSON line with every raw figure.
 *
 * ```
 * deno task bench:peers --rounds 3
 * deno task bench:peers --rounds 1 --configs ch05,rnnlm --iters 10 --json
 * ```
 *
 * @module
 */

import { cpuInfo } from "../core/cpuinfo.ts";
import { UserError } from "../core/errors.ts";
import {
  choosePeers,
  type Measurement,
  PEER_CONFIGS,
  PEER_NAMES,
  PEERS,
  runRounds,
  type RunSettings,
  spawnProcess,
} from "../bench/peers.ts";
import { formatRange, renderTable, summarise } from "../bench/peers_table.ts";
import { parseCliArgs, runCli } from "./main.ts";

const USAGE = "deno task bench:peers [--rounds N] [--configs ch05,full,rnnlm,better] " +
  "[--iters N|key=N,...] [--warmup N] [--book DIR] [--python PY] [--torch-python PY] " +
  "[--torch-threads N] [--json]";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Reads `--iters`: one count for every configuration (`20`), or counts by key
 * (`ch05=100,better=3`) over the defaults of {@linkcode PEER_CONFIGS}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIters } from "./bench_peers.ts";
 * assert.deepEqual(parseIters("5", ["ch05", "better"]), { ch05: 5, better: 5 });
 * assert.deepEqual(parseIters("better=2", ["ch05", "better"]), { ch05: 300, better: 2 });
 * assert.throws(() => parseIters("rnnlm=0", ["rnnlm"]), /--iters rnnlm=0/);
 * ```
 */
export function parseIters(raw: string | undefined, configs: string[]): Record<string, number> {
  const out = Object.fromEntries(configs.map((c) => [c, PEER_CONFIGS[c].iters]));
  if (raw === undefined) return out;
  const count = (s: string, what: string) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 1 || s.trim() === "") {
      throw new UserError(`--iters ${what}: counts must be integers >= 1`);
    }
    return v;
  };
  if (!raw.includes("=")) {
    for (const c of configs) out[c] = count(raw, raw);
    return out;
  }
  for (const part of raw.split(",")) {
    const [key, value] = part.split("=");
    if (!(key in PEER_CONFIGS) || value === undefined) {
      throw new UserError(
        `--iters ${part}: expected key=N with key one of ${Object.keys(PEER_CONFIGS).join(", ")}`,
      );
    }
    if (key in out) out[key] = count(value, part);
  }
  return out;
}

/**
 * Reads `--configs`: keys of {@linkcode PEER_CONFIGS}, comma-separated, each once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfigs } from "./bench_peers.ts";
 * assert.deepEqual(parseConfigs(undefined), ["ch05", "full", "rnnlm", "better"]);
 * assert.deepEqual(parseConfigs("rnnlm,ch05"), ["rnnlm", "ch05"]);
 * assert.throws(() => parseConfigs("ch07"), /unknown configuration 'ch07'/);
 * ```
 */
export function parseConfigs(raw: string | undefined): string[] {
  if (raw === undefined) return Object.keys(PEER_CONFIGS);
  const keys = raw.split(",").map((s) => s.trim()).filter((s) => s);
  for (const k of keys) {
    if (!(k in PEER_CONFIGS)) {
      throw new UserError(
        `unknown configuration '${k}'; choose from ${Object.keys(PEER_CONFIGS).join(", ")}`,
      );
    }
  }
  if (keys.length === 0 || new Set(keys).size !== keys.length) {
    throw new UserError(`--configs ${raw}: name each configuration once`);
  }
  return keys;
}

/** The first folder among `PTB_DIR` and `<root>/../shared/data/ptb` that has PTB's training set. */
function findPtb(): string {
  const candidates = [Deno.env.get("PTB_DIR"), `${ROOT}/../shared/data/ptb`];
  for (const c of candidates) {
    if (!c) continue;
    try {
      if (Deno.statSync(`${c}/ptb.train.txt`).isFile) return Deno.realPathSync(c);
    } catch { /* try the next */ }
  }
  throw new UserError(
    `PTB not found (looked in ${
      candidates.filter((c) => c).join(", ")
    }); set PTB_DIR to the folder with ptb.train.txt`,
  );
}

/** `path` without `..` and links when it exists (the record names real folders), else as given. */
function realPath(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

/** Above this 1-minute load average at the start, the harness warns that figures will be noisy. */
const BUSY_LOAD = 0.5;

function loadAvg(): number[] | null {
  try {
    return Deno.loadavg();
  } catch {
    return null;
  }
}

async function gitCommit(): Promise<string | null> {
  try {
    const out = await spawnProcess("git", ["describe", "--always", "--dirty"], ROOT);
    return out.code === 0 ? out.stdout.trim() : null;
  } catch {
    return null;
  }
}

/** The first successful JSON line of `peer` among `ms`. */
function firstResult(ms: Measurement[], peer: string): Record<string, unknown> | undefined {
  return ms.find((m) => m.peer === peer && m.result)?.result ?? undefined;
}

/** The lines under the table: the machine, the libraries, the settings and the peak RSS. */
function describe(
  ms: Measurement[],
  settings: RunSettings,
  facts: Record<string, unknown>,
): string[] {
  const numpy = firstResult(ms, "numpy"), torch = firstResult(ms, "torch");
  const rnnlab = firstResult(ms, "rnnlab");
  const coretype = Deno.env.get("OPENBLAS_CORETYPE");
  const ran = PEERS.filter((p) => ms.some((m) => m.peer === p));
  const lines = [
    `${settings.rounds} round(s), interleaved (each configuration: NumPy, PyTorch, rnnlab); ` +
    `ms per training iteration, the median of ${
      settings.configs.map((c) => `${c} ${settings.iters[c]}`).join(", ")
    } iterations after at least ${settings.warmup} warm-up iterations and 0.5 s; ` +
    `ranges are min–max over rounds, ratios are peer ms / rnnlab ms within a round`,
    `CPU: ${facts.cpu} (${facts.cores} cores); load average ${facts.loadavg_start} before, ${facts.loadavg_end} after`,
    coretype
      ? `OpenBLAS core: OPENBLAS_CORETYPE=${coretype} (set in the environment, so every library uses it)`
      : `OpenBLAS core: OPENBLAS_CORETYPE unset, each library picks its own (rnnlab: ${
        String(rnnlab?.blas ?? "n/a").split(",")[0]
      })`,
    `book's NumPy code: ${
      numpy ? `${numpy.blas}, ${numpyThreads(numpy)} (${numpy.python})` : "not run"
    }`,
    `PyTorch: ${
      torch
        ? `torch ${torch.torch}, ${torch.threads} thread(s), ${torch.blas} (${torch.python})`
        : "not run"
    }`,
    `rnnlab: ${facts.rnnlab_commit ?? "?"}, Deno ${Deno.version.deno}, OpenBLAS ${
      settings.configs.map((c) => {
        const r = ms.find((m) => m.peer === "rnnlab" && m.config === c && m.result)?.result;
        return `${c}: ${r?.blas ?? "n/a"}`;
      }).join("; ")
    }`,
    `peak RSS (MB): ${
      summarise(ms, settings.configs).map((r) =>
        `${r.config} ${ran.map((p) => `${p} ${formatRange(r.rssMb[p])}`).join(", ")}`
      ).join("; ")
    }`,
  ];
  return lines;
}

function numpyThreads(r: Record<string, unknown>): string {
  const info = r.openblas as { threads?: number } | null;
  return info?.threads ? `${info.threads} thread(s)` : "threads: the library's default";
}

/** Entry point; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseCliArgs({
    args,
    options: {
      rounds: { type: "string" },
      configs: { type: "string" },
      iters: { type: "string" },
      warmup: { type: "string" },
      book: { type: "string" },
      python: { type: "string" },
      "torch-python": { type: "string" },
      "torch-threads": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }, USAGE);
  if (values.help) {
    console.log(`usage: ${USAGE}`);
    return 0;
  }
  const int = (flag: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || raw.trim() === "") {
      throw new UserError(`--${flag} ${raw}: must be an integer >= ${min}`);
    }
    return v;
  };
  const configs = parseConfigs(values.configs);
  const settings: RunSettings = {
    configs,
    rounds: int("rounds", values.rounds, 3, 1),
    iters: parseIters(values.iters, configs),
    warmup: int("warmup", values.warmup, 5, 0),
    ptbDir: findPtb(),
    torchThreads: int("torch-threads", values["torch-threads"], navigator.hardwareConcurrency, 1),
    torchBlasThreads: 1,
  };
  const sources = {
    root: ROOT,
    book: realPath(values.book ?? `${ROOT}/../shared/reference/dlfs2`),
    python: values.python,
    torchPython: values["torch-python"],
  };

  const choice = await choosePeers(sources, spawnProcess);
  for (const line of choice.skipped) console.log(line);
  const load = loadAvg();
  const busy = load && load[0] > BUSY_LOAD
    ? `note: load average ${
      load[0].toFixed(2)
    } at the start: other processes share the cores, so the figures will be noisy`
    : null;
  if (busy) console.log(busy);
  const facts: Record<string, unknown> = {
    cpu: cpuInfo()?.model ?? "unknown",
    cores: navigator.hardwareConcurrency,
    loadavg_start: load?.map((x) => x.toFixed(2)).join(" ") ?? "n/a",
    rnnlab_commit: await gitCommit(),
    deno: Deno.version.deno,
    openblas_coretype: Deno.env.get("OPENBLAS_CORETYPE") ?? null,
    openblas_num_threads: Deno.env.get("OPENBLAS_NUM_THREADS") ?? null,
  };
  const measurements = await runRounds(
    settings,
    sources,
    choice,
    spawnProcess,
    Deno.execPath(),
    (line) => console.log(line),
  );
  facts.loadavg_end = loadAvg()?.map((x) => x.toFixed(2)).join(" ") ?? "n/a";

  const rows = summarise(measurements, configs);
  const torch = firstResult(measurements, "torch");
  console.log("");
  console.log(renderTable(rows, {
    torch: torch ? { version: String(torch.torch), threads: Number(torch.threads) } : undefined,
    skipped: { numpy: !choice.numpy, torch: !choice.torch },
  }));
  console.log("");
  for (const line of describe(measurements, settings, facts)) console.log(line);
  for (const line of choice.skipped) console.log(line);
  if (busy) console.log(busy);
  const failures = measurements.filter((m) => m.error);
  for (const f of failures) {
    console.log(`failed: ${PEER_NAMES[f.peer]}, ${f.config}, round ${f.round}: ${f.error}`);
  }
  if (values.json) {
    console.log(JSON.stringify({
      settings,
      machine: facts,
      peers: { numpy: choice.numpy, torch: choice.torch },
      skipped: choice.skipped,
      measurements,
      summary: rows,
    }));
  }
  return failures.length > 0 ? 1 : 0;
}

if (import.meta.main) await runCli(() => main(Deno.args));
