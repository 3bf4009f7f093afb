/**
 * An open run directory, held by one process: its record (`run.json`), its metrics
 * (`metrics.jsonl`), its checkpoints and its lock. Every write a run makes goes through here, so
 * that every write failure becomes the same kind of one-line {@linkcode UserError}: what could not
 * be written, why (full disk, read-only file system, permission), and what to do (free space, or
 * point `--out` / `RNNLAB_CHECKPOINT_DIR` elsewhere). Temporary files never outlive a failed write.
 *
 * @module
 */

import { writeError, writeFileAtomic, type WriteProblem } from "../core/files.ts";
import { type Environment, gitDiff } from "./environment.ts";
import type { TrainerState } from "../training/trainer.ts";
import type { RngState } from "../core/random.ts";
import { paramTensors, saveCheckpoint, type Tensor } from "./checkpoint.ts";
import type { LanguageModel } from "../models/model.ts";
import { RunLock } from "./lock.ts";
import {
  checkpointDir,
  createRunDir,
  type MetricLine,
  MetricsWriter,
  type NewRunFields,
  newRunRecord,
  type RunRecord,
  type RunSummary,
  writeRunRecord,
  writeRunRecordSync,
} from "./record.ts";

/** Where a run stands, saved in its last checkpoint's metadata so that a resume continues it. */
export interface RunPosition {
  /** The trainer's position (epoch, iteration, batcher, loss sums, lr, best valid). */
  trainer: TrainerState;
  /** The run's random generator (dropout masks). */
  rng: RngState;
  /** Lines of `metrics.jsonl` written so far; a resume drops any written after the checkpoint. */
  metrics_lines: number;
  /** Seconds of training so far, over every process. */
  train_time_s: number;
  /** The summary so far. */
  summary: RunSummary;
  /**
   * An epoch whose training finished but whose validation score is not made yet (the run was
   * stopped while it scored): its metric line, without `valid_ppl`.
   */
  pending_epoch: MetricLine | null;
}

/** The file that keeps room on the disk for a run's last record, and its size. */
const RESERVE = ".reserve";
const RESERVE_BYTES = 64 * 1024;

/** What to say after a failed write into the run folder, or into a checkpoint folder of its own. */
const RUN_ADVICE = (p: WriteProblem) =>
  p === "full"
    ? "free space on that disk, or point --out at another folder"
    : "point --out at a folder you can write to";
const OUTSIDE_ADVICE = (p: WriteProblem) =>
  p === "full"
    ? "free space on that disk, or set RNNLAB_CHECKPOINT_DIR to a folder on another disk"
    : "set RNNLAB_CHECKPOINT_DIR to a folder you can write to, or unset it";

/** The run directory a process holds while it trains, resumes or finishes a run. */
export class RunSession {
  /** The run directory, `<out>/<experiment>/<run-id>`. */
  readonly dir: string;
  /** The record as it will be written next. */
  readonly record: RunRecord;
  /** The metric lines of the run so far (those of earlier processes included). */
  readonly lines: MetricLine[];
  /** Where the checkpoints go. */
  readonly checkpoints: string;
  readonly #lock: RunLock;
  #metrics: MetricsWriter | null;

  private constructor(
    dir: string,
    record: RunRecord,
    lines: MetricLine[],
    lock: RunLock,
    metrics: MetricsWriter,
  ) {
    this.dir = dir;
    this.record = record;
    this.lines = lines;
    this.checkpoints = checkpointDir(dir, record);
    this.#lock = lock;
    this.#metrics = metrics;
  }

  /**
   * Opens run directory `dir`, whose lock the caller holds, with `record` and the metric `lines`
   * already in its `metrics.jsonl` (which is opened for appending).
   */
  static async open(
    dir: string,
    record: RunRecord,
    lines: MetricLine[],
    lock: RunLock,
  ): Promise<RunSession> {
    let metrics: MetricsWriter;
    try {
      metrics = await MetricsWriter.open(dir);
      // Room kept for the last record: when the disk fills, this file goes first, so that the
      // record can still say why the run stopped.
      await Deno.writeFile(`${dir}/${RESERVE}`, new Uint8Array(RESERVE_BYTES));
    } catch (e) {
      throw writeError(`${dir}/${RESERVE}`, e, RUN_ADVICE);
    }
    return new RunSession(dir, record, lines, lock, metrics);
  }

  /**
   * Starts a new run under `out`: makes its folder `<out>/<experiment>/<run-id>` (`runId`, or a
   * fresh one), takes its lock for `purpose`, and writes its record (from `fields`; with
   * `checkpointRoot`, its checkpoints go to `<checkpointRoot>/<experiment>/<run-id>`), then
   * `prepare` (a neural run's first checkpoint), then the working tree's diff (`diff.patch`) when
   * the tree is dirty. When any of it fails, the half-made run directory goes (and the checkpoint
   * folder the record names outside it), the lock is released, and the error is thrown on: a
   * read-only or full disk refuses the run before it computes anything.
   */
  static async start(
    out: string,
    fields: Omit<NewRunFields, "runId">,
    options: {
      runId?: string;
      purpose: string;
      checkpointRoot?: string | null;
      prepare?: (session: RunSession) => Promise<void>;
    },
  ): Promise<RunSession> {
    const name = fields.experiment.name;
    const { dir, runId } = await createRunDir(out, name, options.runId);
    let lock: RunLock;
    try {
      lock = RunLock.acquire(dir, options.purpose);
    } catch (e) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw e;
    }
    const record = newRunRecord({ ...fields, runId });
    if (options.checkpointRoot) {
      record.checkpoint_dir = `${options.checkpointRoot}/${name}/${runId}`;
    }
    try {
      const session = await RunSession.open(dir, record, [], lock);
      await session.writeRecord();
      await options.prepare?.(session);
      if (record.environment.git.dirty) await writePatch(dir, "diff.patch");
      return session;
    } catch (e) {
      lock.release();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      if (record.checkpoint_dir) {
        await Deno.remove(record.checkpoint_dir, { recursive: true }).catch(() => {});
      }
      throw e;
    }
  }

  /**
   * Reopens stopped run `dir` for a resume by this process (the caller holds its lock): the record
   * says `running` again, under this process, and notes the resume with the `environment` it runs
   * in and the iteration it continues `from`; `metrics.jsonl` keeps `lines`. The working tree's
   * diff is kept as `diff.resume-<n>.patch` when the tree is dirty.
   */
  static async resume(
    dir: string,
    record: RunRecord,
    lines: MetricLine[],
    lock: RunLock,
    resumed: { environment: Environment; from: number },
  ): Promise<RunSession> {
    const now = new Date().toISOString();
    record.status = "running";
    record.exit_reason = null;
    record.finished_at = null;
    record.pid = Deno.pid;
    record.hostname = Deno.hostname();
    record.heartbeat_at = now;
    // The record keeps the environment the run started in; each resume notes its own.
    record.resumes = [...(record.resumes ?? []), {
      at: now,
      from_iteration: resumed.from,
      pid: Deno.pid,
      environment: resumed.environment,
    }];
    const session = await RunSession.open(dir, record, lines, lock);
    await session.writeRecord();
    if (resumed.environment.git.dirty) {
      await writePatch(dir, `diff.resume-${record.resumes.length}.patch`);
    }
    return session;
  }

  /** Gives back the room kept for the last record (after a write failed for a full disk). */
  releaseReserve(): void {
    try {
      Deno.removeSync(`${this.dir}/${RESERVE}`);
    } catch { /* already gone */ }
  }

  /** Writes `run.json` now. */
  async writeRecord(): Promise<void> {
    try {
      await writeRunRecord(this.dir, this.record);
    } catch (e) {
      throw writeError(`${this.dir}/run.json`, e, RUN_ADVICE);
    }
  }

  /** Writes `run.json` now, synchronously (a heartbeat between two iterations). */
  writeRecordSync(): void {
    try {
      writeRunRecordSync(this.dir, this.record);
    } catch (e) {
      throw writeError(`${this.dir}/run.json`, e, RUN_ADVICE);
    }
  }

  /** Appends one line to `metrics.jsonl` (flushed at once; a failed append leaves whole lines). */
  append(line: MetricLine): void {
    try {
      this.#metrics!.append(line);
    } catch (e) {
      throw writeError(`${this.dir}/metrics.jsonl`, e, RUN_ADVICE);
    }
    this.lines.push(line);
  }

  /** Creates the checkpoint folder (before training, so that a bad one fails first). */
  async prepareCheckpoints(): Promise<void> {
    try {
      await Deno.mkdir(this.checkpoints, { recursive: true });
    } catch (e) {
      throw writeError(this.checkpoints, e, this.#ckptAdvice());
    }
  }

  /** Saves `last.safetensors`: the parameters, the carried state and the run's position. */
  async saveLast(model: LanguageModel, position: RunPosition): Promise<void> {
    const state: Tensor[] = model.getState().map((data, i) => ({
      name: `state.${i}`,
      shape: [data.length],
      data,
    }));
    await this.#save(
      "last.safetensors",
      [...paramTensors(model.params), ...state],
      position as unknown as Record<string, unknown>,
    );
  }

  /** Saves `best.safetensors`: the parameters of the epoch with the best validation score. */
  async saveBest(model: LanguageModel, epoch: number, validPpl: number): Promise<void> {
    await this.#save("best.safetensors", paramTensors(model.params), {
      epoch,
      valid_ppl: validPpl,
    });
  }

  async #save(name: string, tensors: Tensor[], meta: Record<string, unknown>): Promise<void> {
    const path = `${this.checkpoints}/${name}`;
    try {
      await saveCheckpoint(path, tensors, meta);
    } catch (e) {
      throw writeError(path, e, this.#ckptAdvice());
    }
  }

  #ckptAdvice(): (p: WriteProblem) => string {
    return this.record.checkpoint_dir ? OUTSIDE_ADVICE : RUN_ADVICE;
  }

  /** Closes the metrics file, gives back the reserve and releases the lock (write the record first). */
  close(): void {
    this.#metrics?.close();
    this.#metrics = null;
    this.releaseReserve();
    this.#lock.release();
  }
}

/** Writes the working tree's uncommitted changes (`git diff HEAD`) to `dir/name`, if there are any. */
async function writePatch(dir: string, name: string): Promise<void> {
  const diff = await gitDiff();
  if (diff) await writeFileAtomic(`${dir}/${name}`, diff);
}
