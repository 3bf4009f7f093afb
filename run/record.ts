/**
 * The run record on disk: one directory per run under `results/<experiment>/<run-id>/`.
 *
 * - `run.json`: the run's description and status, always replaced atomically (temp file + rename),
 *   so a reader never sees half of it.
 * - `metrics.jsonl`: one JSON object per report, appended and flushed line by line; a reader skips
 *   a torn last line (a run killed mid-write) instead of failing.
 * - `curve.svg`, `diff.patch` (when the tree was dirty) and `checkpoints/` (git-ignored; or the
 *   folder named by `checkpoint_dir`).
 *
 * A run's status moves `running` → `completed` | `failed` | `interrupted` | `diverged`. A run whose
 * file still says `running` but whose process is gone (killed with SIGKILL, machine lost) reads as
 * `crashed`: see {@linkcode effectiveStatus}.
 *
 * @module
 */

import type { KneserNeySummary } from "../models/kneser_ney.ts";
import { UserError } from "../core/errors.ts";
import { writeError, writeFileAtomic, writeFileAtomicSync } from "../core/files.ts";
import type { ExperimentBase, Hyperparameters } from "../experiments/define.ts";
import { referenceVerdict } from "./reference.ts";
import type { Environment } from "./environment.ts";
import type { TextCorpusOptions } from "../data/corpus.ts";

/** The `run.json` layout this version writes. */
export const SCHEMA_VERSION = 1;

/** Status stored in `run.json`. */
export type StoredStatus = "running" | "completed" | "failed" | "interrupted" | "diverged";
/** Status as readers report it: `crashed` is derived, never stored. */
export type RunStatus = StoredStatus | "crashed";

/** The figures a finished (or stopped) run reports. */
export interface RunSummary {
  /** Epochs completed. */
  epochs_completed: number;
  /** Training iterations completed, over all epochs and resumes. */
  iterations: number;
  /** Training perplexity of the last completed epoch, or null before the first. */
  final_train_ppl: number | null;
  /** Lowest epoch training perplexity so far, or null before the first epoch. */
  best_train_ppl: number | null;
  /** Perplexity on the validation split after the last epoch, or null when valid is not scored. */
  final_valid_ppl: number | null;
  /** Lowest validation perplexity after any epoch, or null when valid is not scored. */
  best_valid_ppl: number | null;
  /** Test perplexity with the final parameters. */
  test_ppl: number | null;
  /** Test perplexity with the best-by-valid parameters (when valid was scored). */
  test_ppl_best: number | null;
  /** Wall-clock seconds from `started_at` to the last update of the record. */
  wall_time_s: number;
  /** Seconds spent in the training loop (valid scoring included), summed over resumes. */
  train_time_s: number;
  /** Training tokens (`iterations * N * T`) per second of `train_time_s`, or null before any. */
  tokens_per_sec: number | null;
}

/**
 * The summary of a run that has not trained yet: no epochs, no figures.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySummary } from "@rnnlab/rnnlab";
 * const s = { ...emptySummary(), epochs_completed: 1 };
 * assert.equal(s.test_ppl, null);
 * assert.equal(s.iterations, 0);
 * ```
 */
export function emptySummary(): RunSummary {
  return {
    epochs_completed: 0,
    iterations: 0,
    final_train_ppl: null,
    best_train_ppl: null,
    final_valid_ppl: null,
    best_valid_ppl: null,
    test_ppl: null,
    test_ppl_best: null,
    wall_time_s: 0,
    train_time_s: 0,
    tokens_per_sec: null,
  };
}

/** Whether the run reproduced its experiment's reference figure (see `run/reference.ts`). */
export interface ReferenceVerdict {
  /**
   * `inside_book_range` / `outside_book_range` against the book code's seeds, `within_band` /
   * `outside_band` against a single figure, `not_applicable` when the run is not of the
   * reference configuration (`reason` says why) or has not measured the metric yet.
   */
  verdict:
    | "inside_book_range"
    | "outside_book_range"
    | "within_band"
    | "outside_band"
    | "not_applicable";
  /** The summary metric compared, e.g. `"test_ppl"`, or null without a reference figure. */
  metric: string | null;
  /** The run's value of `metric` (at the last checkpoint), or null when not measured. */
  value: number | null;
  /** The book's range (or the band) at that checkpoint, or null without a reference figure. */
  band: [number, number] | null;
  /** Where the reference figure comes from, or null without one. */
  source: string | null;
  /** Why the verdict is `not_applicable`. */
  reason?: string;
  /** Against per-epoch book figures: the run's value and the book's range at each epoch. */
  checkpoints?: { epoch: number; value: number; range: [number, number]; inside: boolean }[];
}

/** Contents of `run.json`. */
export interface RunRecord {
  /** The layout version this record was written with ({@linkcode SCHEMA_VERSION}). */
  schema_version: number;
  /** The experiment's name, e.g. `"ch05_simple_rnnlm"`. */
  experiment: string;
  /** The run directory's name, e.g. `"20261127-230102-k3f9qa"`. */
  run_id: string;
  /** The stored status; readers should show {@linkcode effectiveStatus} instead. */
  status: StoredStatus;
  /** Why the run ended (`"completed"`, the signal, the error or the divergence), or null while running. */
  exit_reason: string | null;
  /** Process id of the process that last ran (or resumed) the run. */
  pid: number;
  /** Host name of the machine that last ran (or resumed) the run. */
  hostname: string;
  /** ISO 8601 time the running process last wrote this record. */
  heartbeat_at: string;
  /** The random seed the run started from. */
  seed: number;
  /** The resolved hyperparameters: the experiment's defaults with the overrides applied. */
  hyperparameters: Hyperparameters;
  /** Only the hyperparameters given on the command line, by snake_case key. */
  overrides: Record<string, number | boolean>;
  /**
   * Where this run's checkpoints live when not in `checkpoints/` beside the record (set from
   * `RNNLAB_CHECKPOINT_DIR`, for long runs whose checkpoints must outlive the work tree).
   */
  checkpoint_dir?: string;
  /** For a resumed run: the resumes so far, each with when and from which iteration. */
  resumes: { at: string; from_iteration: number; pid: number; environment?: Environment }[];
  /** ISO 8601 time the run started. */
  started_at: string;
  /** ISO 8601 time the run last stopped (for any reason), or null while running. */
  finished_at: string | null;
  /** The data the run trained and scored on, or null when not recorded. */
  data: {
    /** The corpus name, e.g. `"ptb"`. */
    corpus: string;
    /** Training tokens used (after any cut to the first `trainTokens`). */
    train_tokens: number;
    /** Validation tokens loaded. */
    valid_tokens: number;
    /** Test tokens loaded. */
    test_tokens: number;
    /** Vocabulary size `V` of the model. */
    vocab_size: number;
    /** Each split file read, with the SHA-256 of its contents. */
    files: { split: string; sha256: string }[];
    /** For a run on the user's own text (`--corpus`): where it was read from. */
    text_corpus?: TextCorpusOptions;
    /** The vocabulary cap asked for (`--vocab-size`, or the experiment's), when there was one. */
    vocab_cap?: number;
    /** The vocabulary before that cap, when the cap removed words. */
    vocab_before_cap?: number;
    /** For a corpus segmented at the start of the run (Soseki): what made it, from what. */
    build?: {
      /** `"MeCab 0.996"`. */
      segmenter: string;
      /** The dictionary: name, charset and size. */
      dictionary: string;
      /** SHA-256 over the dictionary's files. */
      dictionary_sha256: string;
      /** Each source text: its id, the split it went to, its SHA-256. */
      sources: { id: string; split: string; sha256: string }[];
    };
  } | null;
  /** What the run was estimated to need in memory before it started, in MB. */
  memory_estimate_mb?: number;
  /** The environment the run started in (each resume records its own in `resumes`). */
  environment: Environment;
  /** The figures so far: updated at heartbeats and when the run stops. */
  summary: RunSummary;
  /** How `summary` compares with the experiment's reference figure. */
  reference: ReferenceVerdict;
  /** For a count-based run: the n-gram model's order, counts of counts and discounts. */
  ngram?: KneserNeySummary;
}

/** One line of `metrics.jsonl`. `kind` says whether it closes an epoch or an interval. */
export interface MetricLine {
  /** `"epoch"` for the end of an epoch, `"interval"` for a report within one. */
  kind: "epoch" | "interval";
  /** 1-based epoch the line belongs to. */
  epoch: number;
  /** Iterations completed within that epoch. */
  iter: number;
  /** Iterations completed since training started. */
  total_iters: number;
  /**
   * Training perplexity, `exp(mean loss)`: over the whole epoch (epoch lines) or over the batches
   * since the previous interval line (interval lines).
   */
  ppl: number;
  /** Learning rate at the time of the report. */
  lr: number;
  /** Training time so far in seconds, as {@linkcode RunSummary.train_time_s}, to the millisecond. */
  elapsed_s: number;
  /** Perplexity on the validation split after this epoch (epoch lines, when valid is scored). */
  valid_ppl?: number;
  /** Training tokens per second, averaged since the start; absent when no time has passed. */
  tokens_per_sec?: number;
}

/** A run directory name: UTC timestamp plus a random suffix, e.g. `20261127-230102-k3f9qa`. */
export function newRunId(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-` +
    `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const suffix = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
  return `${stamp}-${suffix}`;
}

/**
 * Creates a fresh run directory under `root/experiment/`. The last path component is created
 * with a non-recursive `mkdir`, which fails if it exists, so two runs started at the same moment
 * never share a directory. With `runId` (a sweep that names each run's folder before it starts),
 * that name is used, and a folder of that name already there is a {@linkcode UserError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRunDir } from "@rnnlab/rnnlab";
 * const results = await Deno.makeTempDir();
 * const { dir, runId } = await createRunDir(results, "ch05_simple_rnnlm");
 * assert.equal(dir, `${results}/ch05_simple_rnnlm/${runId}`);
 * assert.match(runId, /^\d{8}-\d{6}-[a-z0-9]{6}$/);
 * assert.ok((await Deno.stat(dir)).isDirectory);
 * const other = await createRunDir(results, "ch05_simple_rnnlm"); // same moment, its own folder
 * assert.notEqual(other.dir, dir);
 * await Deno.remove(results, { recursive: true });
 * ```
 */
export async function createRunDir(
  root: string,
  experiment: string,
  runId?: string,
): Promise<{ dir: string; runId: string }> {
  const parent = `${root}/${experiment}`;
  const advice = "point --out at a folder you can write to";
  if (runId !== undefined) checkRunId(runId);
  try {
    await Deno.mkdir(parent, { recursive: true });
  } catch (e) {
    throw writeError(parent, e, advice);
  }
  // The folder, or null when a run of that id exists already.
  const make = async (runId: string) => {
    const dir = `${parent}/${runId}`;
    try {
      await Deno.mkdir(dir);
      return { dir, runId };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw writeError(dir, e, advice);
      return null;
    }
  };
  if (runId !== undefined) {
    const made = await make(runId);
    if (made) return made;
    throw new UserError(
      `${parent}/${runId} already exists; choose another --run-id, or continue that run with --resume ${parent}/${runId}`,
    );
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const made = await make(newRunId());
    if (made) return made;
  }
  throw new Error(`could not create a unique run directory under ${parent}`);
}

/**
 * Refuses a run id that is not one folder name of letters, digits, `.`, `_` and `-` (at most 100,
 * not starting with `.` or `-`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkRunId } from "@rnnlab/rnnlab";
 * checkRunId("20261127-230102-k3f9qa");
 * assert.throws(() => checkRunId("../elsewhere"), { name: "UserError" });
 * ```
 */
export function checkRunId(runId: string): void {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/.test(runId)) {
    throw new UserError(
      `run id ${JSON.stringify(runId)} is not a folder name; use letters, digits, '.', '_' and '-'`,
    );
  }
}

/** Writes `run.json` in `dir` atomically. */
export async function writeRunRecord(dir: string, record: RunRecord): Promise<void> {
  await writeFileAtomic(`${dir}/run.json`, JSON.stringify(record, null, 2) + "\n");
}

/** Writes `run.json` in `dir` atomically, synchronously (for a heartbeat inside the training loop). */
export function writeRunRecordSync(dir: string, record: RunRecord): void {
  writeFileAtomicSync(`${dir}/run.json`, JSON.stringify(record, null, 2) + "\n");
}

/**
 * Reads `dir/run.json`. Throws a {@linkcode UserError} naming the file when it is missing or not
 * a run record.
 */
export async function readRunRecord(dir: string): Promise<RunRecord> {
  const path = `${dir}/run.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    throw new UserError(`${path} not found; pass a run directory (results/<experiment>/<run-id>)`);
  }
  let rec: RunRecord;
  try {
    rec = JSON.parse(text);
  } catch {
    throw new UserError(`${path} is not valid JSON (corrupt run record)`);
  }
  if (typeof rec !== "object" || rec === null || typeof rec.experiment !== "string") {
    throw new UserError(`${path} is not a run record (no "experiment" field)`);
  }
  return rec;
}

/**
 * Appends metric lines to `metrics.jsonl`, one `write` per line so each report reaches the file
 * (and survives a SIGKILL) as soon as it is made. A write that fails (a full disk) is undone: the
 * file is cut back to its last complete line before the error is rethrown.
 */
export class MetricsWriter {
  #file: Deno.FsFile;
  #size: number;
  #enc = new TextEncoder();

  private constructor(file: Deno.FsFile, size: number) {
    this.#file = file;
    this.#size = size;
  }

  /** Opens (creating or appending to) `dir/metrics.jsonl`. */
  static async open(dir: string): Promise<MetricsWriter> {
    const f = await Deno.open(`${dir}/metrics.jsonl`, { append: true, create: true });
    return new MetricsWriter(f, (await f.stat()).size);
  }

  /** Appends one line and flushes it to the file; on failure the file keeps only whole lines. */
  append(line: MetricLine): void {
    const bytes = this.#enc.encode(JSON.stringify(line) + "\n");
    try {
      let off = 0;
      while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
    } catch (e) {
      try {
        this.#file.truncateSync(this.#size);
      } catch { /* nothing more can be done; readers skip a torn line */ }
      throw e;
    }
    this.#size += bytes.length;
  }

  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}

/**
 * Parses `metrics.jsonl` text, skipping lines that are not complete JSON objects (a torn last
 * line). Returns the lines and how many were skipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMetrics } from "@rnnlab/rnnlab";
 * const { lines, skipped } = parseMetrics('{"kind":"epoch","epoch":1,"ppl":3}\n{"kind":"ep');
 * assert.equal(lines.length, 1);
 * assert.equal(skipped, 1);
 * ```
 */
export function parseMetrics(text: string): { lines: MetricLine[]; skipped: number } {
  const lines: MetricLine[] = [];
  let skipped = 0;
  for (const raw of text.split("\n")) {
    if (raw.trim() === "") continue;
    try {
      const v = JSON.parse(raw);
      if (typeof v === "object" && v !== null) lines.push(v);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { lines, skipped };
}

/** Reads `dir/metrics.jsonl` (empty when absent), skipping a torn last line. */
export async function readMetrics(dir: string): Promise<MetricLine[]> {
  try {
    return parseMetrics(await Deno.readTextFile(`${dir}/metrics.jsonl`)).lines;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** A heartbeat older than this, from a run on another machine, counts as lost. */
export const HEARTBEAT_TIMEOUT_S = 300;

/**
 * The status a reader should show. A stored `running` whose process no longer exists on this
 * host is `crashed`; for a run on another host (or when `ps` cannot be asked), a heartbeat older
 * than {@linkcode HEARTBEAT_TIMEOUT_S} is.
 */
export function effectiveStatus(rec: RunRecord, now: number = Date.now()): RunStatus {
  if (rec.status !== "running") return rec.status;
  const alive = rec.hostname === Deno.hostname() ? processAlive(rec.pid) : null;
  if (alive !== null) return alive ? "running" : "crashed";
  const age = (now - Date.parse(rec.heartbeat_at)) / 1000;
  return age > HEARTBEAT_TIMEOUT_S ? "crashed" : "running";
}

/**
 * Whether `pid` is a live (not zombie) Deno process on this host. Deno reads `/proc` only with
 * `--allow-all`, so this asks `ps` (`--allow-run=ps`); when it cannot ask, the answer is `null`
 * and the heartbeat decides.
 */
function processAlive(pid: number): boolean | null {
  try {
    const out = new Deno.Command("ps", {
      args: ["-o", "stat=,comm=", "-p", String(pid)],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (!out.success || text === "") return false;
    const [stat, comm] = text.split(/\s+/);
    return !stat.startsWith("Z") && comm.includes("deno");
  } catch {
    return null;
  }
}

/**
 * The folder holding a run's checkpoints: `checkpoint_dir` when the record names one, else
 * `checkpoints/` inside the run directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkpointDir } from "@rnnlab/rnnlab";
 * const dir = "results/ch06_rnnlm/20261127-230102-k3f9qa";
 * assert.equal(checkpointDir(dir, {}), `${dir}/checkpoints`);
 * const outside = { checkpoint_dir: "/scratch/ckpt/ch06_rnnlm/20261127-230102-k3f9qa" };
 * assert.equal(checkpointDir(dir, outside), outside.checkpoint_dir);
 * ```
 */
export function checkpointDir(dir: string, record: Pick<RunRecord, "checkpoint_dir">): string {
  return record.checkpoint_dir ?? `${dir}/checkpoints`;
}

/**
 * The path of a run's `last` or `best` checkpoint: `<which>.safetensors`, or `<which>.ckpt` for a
 * run saved in the first checkpoint format, when only that one exists.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkpointPath } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * assert.equal(checkpointPath(dir, {}, "last"), `${dir}/checkpoints/last.safetensors`);
 * // A run from before safetensors has only last.ckpt: that is the one to read.
 * await Deno.mkdir(`${dir}/checkpoints`);
 * await Deno.writeFile(`${dir}/checkpoints/last.ckpt`, new Uint8Array(8));
 * assert.equal(checkpointPath(dir, {}, "last"), `${dir}/checkpoints/last.ckpt`);
 * assert.equal(checkpointPath(dir, {}, "best"), `${dir}/checkpoints/best.safetensors`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function checkpointPath(
  dir: string,
  record: Pick<RunRecord, "checkpoint_dir">,
  which: "last" | "best",
): string {
  const folder = checkpointDir(dir, record);
  const current = `${folder}/${which}.safetensors`, legacy = `${folder}/${which}.ckpt`;
  const exists = (p: string) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  };
  return !exists(current) && exists(legacy) ? legacy : current;
}

/**
 * The configuration of a run, as a string: its experiment, its hyperparameters (but those that
 * only say how to compute, such as `blas_threads`) and its data (corpus, cut and every file's
 * SHA-256). Runs with the same key and distinct seeds are replicates of one configuration;
 * runs with the same key and seed should agree bit for bit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configurationKey } from "@rnnlab/rnnlab";
 * const data = { corpus: "ptb", train_tokens: 1000, valid_tokens: 0, test_tokens: 0, vocab_size: 418, files: [] };
 * const a = { experiment: "ch05", hyperparameters: { lr: 0.1, blas_threads: 1 }, data };
 * const b = { experiment: "ch05", hyperparameters: { blas_threads: 2, lr: 0.1 }, data };
 * assert.equal(configurationKey(a), configurationKey(b));
 * assert.notEqual(configurationKey(a), configurationKey({ ...a, data: { ...data, vocab_size: 419 } }));
 * ```
 */
export function configurationKey(
  rec: Pick<RunRecord, "experiment" | "hyperparameters" | "data">,
): string {
  const hp = Object.entries(rec.hyperparameters ?? {})
    .filter(([k]) => k !== "blas_threads")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const d = rec.data;
  const data = d
    ? [
      d.corpus,
      d.train_tokens,
      d.vocab_size,
      (d.files ?? []).map((f) => `${f.split}:${f.sha256}`).sort(),
    ]
    : null;
  return JSON.stringify([rec.experiment, hp, data]);
}

/** What {@linkcode newRunRecord} needs to know about a run that is about to start. */
export interface NewRunFields {
  /** The experiment. */
  experiment: ExperimentBase;
  /** The run id (the directory's name). */
  runId: string;
  /** The seed. */
  seed: number;
  /** The resolved hyperparameters. */
  hyperparameters: Hyperparameters;
  /** Those given on the command line. */
  overrides?: Record<string, number | boolean>;
  /** The data the run reads. */
  data: RunRecord["data"];
  /** The environment it starts in. */
  environment: Environment;
  /** The memory it was estimated to need, in bytes (neural runs). */
  memoryBytes?: number;
  /**
   * When the run began, before its record could be made (the data loaded, an n-gram model
   * counted): the start of its wall time. Default: now.
   */
  startedAt?: Date;
}

/**
 * The record of a run that starts now in this process: `running`, no figures yet, and the
 * reference verdict that its configuration allows so far.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Environment, loadExperiment, newRunRecord, resolveHyperparameters } from "@rnnlab/rnnlab";
 * const { experiment } = loadExperiment("ch06_rnnlm");
 * const r = newRunRecord({
 *   experiment,
 *   runId: "20261201-120000-abcdef",
 *   seed: 1,
 *   hyperparameters: resolveHyperparameters(experiment, {}),
 *   data: null,
 *   environment: {} as Environment,
 * });
 * assert.equal(r.status, "running");
 * assert.equal(r.pid, Deno.pid);
 * assert.equal(r.summary.test_ppl, null);
 * assert.equal(r.reference.verdict, "not_applicable"); // no data recorded: not PTB
 * ```
 */
export function newRunRecord(f: NewRunFields): RunRecord {
  const started = (f.startedAt ?? new Date()).toISOString();
  return {
    schema_version: SCHEMA_VERSION,
    experiment: f.experiment.name,
    run_id: f.runId,
    status: "running",
    exit_reason: null,
    pid: Deno.pid,
    hostname: Deno.hostname(),
    heartbeat_at: started,
    seed: f.seed,
    hyperparameters: f.hyperparameters,
    overrides: f.overrides ?? {},
    resumes: [],
    started_at: started,
    finished_at: null,
    data: f.data,
    ...(f.memoryBytes !== undefined ? { memory_estimate_mb: Math.round(f.memoryBytes / 1e6) } : {}),
    environment: f.environment,
    summary: emptySummary(),
    reference: referenceVerdict(f.experiment, {
      hyperparameters: f.hyperparameters,
      data: f.data,
      summary: emptySummary(),
    }, []),
  };
}
