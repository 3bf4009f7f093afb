/**
 * A helper Worker that shares work with the main thread where OpenBLAS would leave the second core
 * idle or use it poorly:
 *
 * - the rows of the softmax loss (OpenBLAS is idle during that phase);
 * - the time loops of a large LSTM layer (`kernels/lstm_steps.ts`), whose per-step products are
 *   bound by reading `Wh`, so OpenBLAS's own second thread adds little while two single-threaded
 *   column chunks, one per core, nearly halve the step.
 *
 * Data is shared, not copied: the kernels' buffers live on `SharedArrayBuffer`s
 * ({@linkcode sharedFloat32}). The softmax registers its buffers with the worker once per buffer
 * ("slots"); an LSTM layer describes its loop once per shape as a {@linkcode SharedPlan}. A call posts
 * its arguments into a shared control block, wakes the worker with `Atomics.notify`, and then
 * both threads take chunks of rows from a shared counter (`Atomics.add`) until none are left;
 * the main thread finally blocks in `Atomics.wait` until the worker has finished its last chunk
 * (a round trip costs about 15 µs). Taking chunks rather than a fixed half means a worker that
 * wakes late, or a core that is busy with something else, costs nothing but its share. Each row
 * is computed the same way whoever takes it, and per-row results are combined in row order, so
 * results are bit-identical from run to run and equal to the single-threaded ones.
 *
 * The worker closes itself after {@linkcode IDLE_MS} without work (so that a finished program
 * can exit) and is started again on the next call. Set `RNNLAB_WORKERS=0` to keep everything on
 * the main thread.
 *
 * @module
 */

/** Milliseconds without work after which the worker closes itself. */
export const IDLE_MS = 300;

/** Control block layout (Int32 indices). */
export const CTL = {
  /** Task generation, incremented by the main thread for every task. */
  gen: 0,
  /** Generation of the last task the worker completed. */
  done: 1,
  /** 0 idle, 1 closed (by the worker), 2 busy (claimed by the main thread). */
  state: 2,
  /** Task kind. */
  kind: 3,
  /** First of the integer arguments (up to 9). */
  args: 4,
  /** Set to 1 by a worker whose task threw (it prints the error and closes). */
  failed: 14,
  /** Next row to hand out (the shared chunk counter). */
  next: 15,
  /** Slot versions start here (one per slot). */
  slotVersion: 16,
  /** Byte offset of the Float64 area (arguments and results). */
  f64Byte: 128,
  /** Float64 area length. */
  f64Len: 16,
} as const;

/** Task kinds. */
export const TASK = { softmaxLoss: 1, lstmForward: 2, lstmBackward: 3 } as const;

/** Slots for shared buffers. */
export const SLOT = { scores: 0, targets: 1, rowLoss: 2 } as const;

/** Rows per chunk taken from the shared counter. */
export const CHUNK_ROWS = 8;

const CTL_BYTES = CTL.f64Byte + CTL.f64Len * 8;

let enabled: boolean | null = null;
let worker: Worker | null = null;
let ctlI: Int32Array<ArrayBufferLike> = new Int32Array(0);
let ctlF: Float64Array<ArrayBufferLike> = new Float64Array(0);
const slotBuffers: (SharedArrayBuffer | null)[] = [null, null, null, null];
const workerSlots: (SharedArrayBuffer | null)[] = [null, null, null, null];
let versions = 0;
/** Plan id to the version the running worker has (cleared when a new worker starts). */
const workerPlans = new Map<number, number>();
let planIds = 0;

/**
 * Whether kernels may use the helper worker: `SharedArrayBuffer` and `Atomics.waitAsync` exist,
 * the machine has at least two cores and `RNNLAB_WORKERS` is not `0`.
 *
 * @example
 * ```ts
 * import { parallelEnabled } from "./parallel.ts";
 * console.assert(typeof parallelEnabled() === "boolean");
 * ```
 */
export function parallelEnabled(): boolean {
  if (enabled !== null) return enabled;
  let env: string | undefined;
  try {
    env = Deno.env.get("RNNLAB_WORKERS");
  } catch {
    env = undefined;
  }
  enabled = env !== "0" && typeof SharedArrayBuffer === "function" &&
    typeof (Atomics as unknown as { waitAsync?: unknown }).waitAsync === "function" &&
    (navigator.hardwareConcurrency ?? 1) >= 2;
  return enabled;
}

/**
 * Turns the helper worker on or off for this process (tests compare both paths); `null` goes
 * back to the default of {@linkcode parallelEnabled}.
 *
 * @example
 * ```ts
 * import { setParallel } from "./parallel.ts";
 * setParallel(false); // everything on the main thread
 * setParallel(null);
 * ```
 */
export function setParallel(on: boolean | null): void {
  enabled = on === null ? null : on && typeof SharedArrayBuffer === "function";
  if (on === false) shutdownWorker();
}

/**
 * A zeroed `Float32Array` of `n` elements on a `SharedArrayBuffer` (a plain one when shared
 * memory is unavailable), so that the helper worker can work on it in place.
 *
 * @example
 * ```ts
 * import { sharedFloat32 } from "./parallel.ts";
 * const scores = sharedFloat32(700 * 10000);
 * console.assert(scores.length === 7_000_000);
 * ```
 */
export function sharedFloat32(n: number): Float32Array {
  if (typeof SharedArrayBuffer !== "function") return new Float32Array(n);
  sharedBytes += n * 4;
  return new Float32Array(new SharedArrayBuffer(n * 4));
}

let sharedBytes = 0;

/**
 * Bytes allocated by {@linkcode sharedFloat32} so far (shared buffers are not among
 * `Deno.memoryUsage().external`): with it a test can hold a layer's memory estimate to what it
 * allocates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharedBytesAllocated, sharedFloat32 } from "@rnnlab/rnnlab";
 * const before = sharedBytesAllocated();
 * sharedFloat32(10);
 * assert.equal(sharedBytesAllocated() - before, 40);
 * ```
 */
export function sharedBytesAllocated(): number {
  return sharedBytes;
}

/**
 * Stops the helper worker now (it also stops by itself when idle).
 *
 * @example
 * ```ts
 * import { shutdownWorker } from "./parallel.ts";
 * shutdownWorker();
 * ```
 */
export function shutdownWorker(): void {
  if (worker) {
    worker.terminate();
    worker = null;
  }
}

function spawn(): void {
  shutdownWorker();
  const buf = new SharedArrayBuffer(CTL_BYTES);
  ctlI = new Int32Array(buf);
  ctlF = new Float64Array(buf, CTL.f64Byte, CTL.f64Len);
  ctlI[CTL.state] = 2; // claimed: the first task follows
  worker = new Worker(new URL("./parallel_worker.ts", import.meta.url), { type: "module" });
  worker.postMessage({ type: "ctl", buffer: buf });
  workerSlots.fill(null);
  workerPlans.clear();
}

/**
 * Claims the worker for one task (starting it if it is not running) and makes sure it has the
 * current buffer of every slot in `slots`. Returns the control block's arrays; the caller writes
 * the arguments and calls {@linkcode dispatch}.
 */
function claim(
  slots: readonly number[],
): { i: Int32Array<ArrayBufferLike>; f: Float64Array<ArrayBufferLike> } {
  if (!worker || Atomics.compareExchange(ctlI, CTL.state, 0, 2) !== 0) spawn();
  for (const s of slots) {
    const b = slotBuffers[s];
    if (b !== null && workerSlots[s] !== b) {
      versions++;
      Atomics.store(ctlI, CTL.slotVersion + s, versions);
      worker!.postMessage({ type: "slot", slot: s, buffer: b, version: versions });
      workerSlots[s] = b;
    }
  }
  return { i: ctlI, f: ctlF };
}

function dispatch(): number {
  const gen = ctlI[CTL.gen] + 1;
  Atomics.store(ctlI, CTL.gen, gen);
  Atomics.notify(ctlI, CTL.gen);
  return gen;
}

function join(gen: number): void {
  for (;;) {
    const d = Atomics.load(ctlI, CTL.done);
    if (d === gen) return;
    if (workerFailed()) throwWorkerFailed();
    Atomics.wait(ctlI, CTL.done, d, 1000);
  }
}

/**
 * Whether the helper worker's last task threw. Threads that wait for the worker's share of a task
 * check this, so that a failure ends the program with an error instead of a wait that never ends.
 *
 * @example
 * ```ts
 * import { workerFailed } from "./parallel.ts";
 * console.assert(workerFailed() === false);
 * ```
 */
export function workerFailed(): boolean {
  return ctlI.length > 0 && Atomics.load(ctlI, CTL.failed) !== 0;
}

/**
 * Throws the error for a failed helper worker (whose own message is already on stderr) and turns
 * the worker off for the rest of the process.
 *
 * @example
 * ```ts ignore
 * while (Atomics.load(counters, i) < count) if (workerFailed()) throwWorkerFailed();
 * ```
 */
export function throwWorkerFailed(): never {
  worker = null;
  ctlI = new Int32Array(0);
  enabled = false;
  throw new Error(
    "the helper worker failed (its error is printed above); set RNNLAB_WORKERS=0 to run on one thread",
  );
}

/** Makes `buffer` the current buffer of `slot` (sent to the worker on its next task). */
export function setSlot(slot: number, buffer: SharedArrayBuffer): void {
  slotBuffers[slot] = buffer;
}

let targetsShared: Int32Array<ArrayBufferLike> = new Int32Array(0);
let rowLossShared: Float64Array<ArrayBufferLike> = new Float64Array(0);

/**
 * Runs the softmax loss over rows `[0, rows)` of the shared `scores` on this thread and the
 * worker together: both take {@linkcode CHUNK_ROWS}-row chunks from a shared counter, this thread
 * through `main(r0, r1, rowLoss)`, which must write each row's loss to `rowLoss[r]`. Returns the
 * sum of the row losses, added in row order. The caller must have checked that `scores` is on a
 * `SharedArrayBuffer`.
 *
 * @example
 * ```ts ignore
 * const sum = softmaxLossShared(scores, ts, rows, V, -1, true, 1 / rows, rowFn);
 * ```
 */
export function softmaxLossShared(
  scores: Float32Array,
  ts: Int32Array,
  rows: number,
  V: number,
  ignoreLabel: number,
  train: boolean,
  invCount: number,
  main: (r0: number, r1: number, rowLoss: Float64Array<ArrayBufferLike>) => void,
): number {
  if (targetsShared.length < rows) {
    const n = Math.max(rows, 1024);
    targetsShared = new Int32Array(new SharedArrayBuffer(n * 4));
    rowLossShared = new Float64Array(new SharedArrayBuffer(n * 8));
  }
  targetsShared.set(ts.subarray(0, rows));
  setSlot(SLOT.scores, scores.buffer as SharedArrayBuffer);
  setSlot(SLOT.targets, targetsShared.buffer as SharedArrayBuffer);
  setSlot(SLOT.rowLoss, rowLossShared.buffer as SharedArrayBuffer);
  const { i, f } = claim([SLOT.scores, SLOT.targets, SLOT.rowLoss]);
  i[CTL.kind] = TASK.softmaxLoss;
  i[CTL.args] = scores.byteOffset >> 2;
  i[CTL.args + 1] = rows;
  i[CTL.args + 2] = V;
  i[CTL.args + 3] = ignoreLabel;
  i[CTL.args + 4] = train ? 1 : 0;
  f[0] = invCount;
  Atomics.store(i, CTL.next, 0);
  const gen = dispatch();
  const losses = rowLossShared;
  for (;;) {
    const r0 = Atomics.add(i, CTL.next, CHUNK_ROWS);
    if (r0 >= rows) break;
    main(r0, Math.min(r0 + CHUNK_ROWS, rows), losses);
  }
  join(gen);
  let sum = 0;
  for (let r = 0; r < rows; r++) sum += losses[r];
  return sum;
}

/**
 * Work that the worker can share, described once and sent to the worker when it first needs it
 * (again after the worker restarts, or when `version` changes): an `id` of its own, a `version`
 * that changes with its buffers, and the structured-cloneable `payload` the worker builds its side
 * from (typed arrays on `SharedArrayBuffer`s arrive as views of the same memory).
 */
export interface SharedPlan {
  /** From {@linkcode newPlanId}. */
  readonly id: number;
  /** Changes whenever the payload's buffers do. */
  readonly version: number;
  /** What the worker needs; for LSTM loops, `{ buffers, shape }` of `kernels/lstm_steps.ts`. */
  readonly payload: unknown;
}

/**
 * A fresh id for a {@linkcode SharedPlan}.
 *
 * @example
 * ```ts
 * import { newPlanId } from "./parallel.ts";
 * console.assert(newPlanId() !== newPlanId());
 * ```
 */
export function newPlanId(): number {
  return ++planIds;
}

/**
 * Runs a task of `kind` over `plan` on this thread (`local()`) and the worker together, and
 * returns when both are done. `local` and the worker's side must take their work from shared
 * counters, as the loops of `kernels/lstm_steps.ts` do, so that either thread may do any part.
 *
 * @example
 * ```ts ignore
 * runShared(TASK.lstmForward, plan, () => loop.forward());
 * ```
 */
export function runShared(kind: number, plan: SharedPlan, local: () => void): void {
  const { i } = claim([]);
  if (workerPlans.get(plan.id) !== plan.version) {
    worker!.postMessage({
      type: "plan",
      id: plan.id,
      version: plan.version,
      payload: plan.payload,
    });
    workerPlans.set(plan.id, plan.version);
  }
  i[CTL.kind] = kind;
  i[CTL.args] = plan.id;
  i[CTL.args + 1] = plan.version;
  const gen = dispatch();
  local();
  join(gen);
}
