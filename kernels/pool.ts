/**
 * A helper worker that shares kernels with the main thread where OpenBLAS would leave the second
 * core idle or use it poorly (the softmax loss; the per-step products of a large LSTM).
 *
 * A kernel that can be shared describes its data once as a {@linkcode Plan}: its name, and a
 * payload of typed arrays on `SharedArrayBuffer`s ({@linkcode sharedFloat32}), which the worker
 * receives as views of the same memory. The worker builds its side from the payload the first
 * time it meets the plan (and again when the plan's `version` changes), through the kernel's
 * {@linkcode WorkerKernel}, which lives beside the kernel and is listed in `pool_worker.ts`.
 * {@linkcode runShared} then posts a call's small arguments into a shared control block, wakes
 * the worker with `Atomics.notify`, runs the main thread's share, and blocks in `Atomics.wait`
 * until the worker has finished its own (a round trip costs about 15 µs).
 *
 * Both threads take their work from shared counters ({@linkcode takeChunk}, or counters of the
 * kernel's own), so a worker that wakes late, or a core busy with something else, costs nothing
 * but its share. Each piece is computed the same way whoever takes it, and results are combined
 * in a fixed order, so results are bit-identical from run to run and equal to one thread's.
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
  /** Task generation, incremented by the main thread for every call. */
  gen: 0,
  /** Generation of the last call the worker completed. */
  done: 1,
  /** 0 idle, 1 closed (by the worker), 2 busy (claimed by the main thread). */
  state: 2,
  /** The id of the call's plan. */
  plan: 3,
  /** Its version. */
  version: 4,
  /** Set to 1 by a worker whose call threw (it prints the error and closes). */
  failed: 5,
  /** The shared chunk counter of {@linkcode takeChunk}, zeroed before every call. */
  next: 6,
  /** Integer arguments of the call start here. */
  args: 8,
  /** How many integer arguments a call may pass. */
  argsLen: 8,
  /** Byte offset of the Float64 arguments. */
  f64Byte: 64,
  /** How many Float64 arguments a call may pass. */
  f64Len: 8,
} as const;

const CTL_BYTES = CTL.f64Byte + CTL.f64Len * 8;

/**
 * Shared work, described once: `kernel` names the {@linkcode WorkerKernel} that runs the
 * worker's side, `payload` is what it builds that side from (structured-cloneable; typed arrays
 * on `SharedArrayBuffer`s arrive as views of the same memory), and `version` changes whenever the
 * payload does.
 */
export interface Plan {
  /** The worker kernel's name. */
  readonly kernel: string;
  /** From {@linkcode newPlan}. */
  readonly id: number;
  /** Incremented by {@linkcode replacePayload}. */
  version: number;
  /** What the worker builds its side from. */
  payload: unknown;
}

/** One call as the worker sees it: its arguments and the shared counter. */
export interface SharedCall {
  /** The call's integer arguments (a view into the control block). */
  readonly args: Int32Array<ArrayBufferLike>;
  /** The call's float arguments. */
  readonly fargs: Float64Array<ArrayBufferLike>;
}

/**
 * The worker's side of a shared kernel: `setup` builds its state from a plan's payload (once per
 * plan version), `run` does the worker's share of one call.
 */
export interface WorkerKernel<S = unknown> {
  /** The name plans refer to it by. */
  readonly name: string;
  /** Builds the worker-side state from a plan's payload. */
  setup(payload: unknown): S;
  /** Runs the worker's share of one call. */
  run(state: S, call: SharedCall): void;
}

let enabled: boolean | null = null;
let worker: Worker | null = null;
let ctlI: Int32Array<ArrayBufferLike> = new Int32Array(0);
let ctlF: Float64Array<ArrayBufferLike> = new Float64Array(0);
/** Plan id to the version the running worker has (cleared when a new worker starts). */
const workerPlans = new Map<number, number>();
let planIds = 0;

/**
 * Whether kernels may use the helper worker: `SharedArrayBuffer` and `Atomics.waitAsync` exist,
 * the machine has at least two cores and `RNNLAB_WORKERS` is not `0`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parallelEnabled } from "@rnnlab/rnnlab";
 * assert.equal(typeof parallelEnabled(), "boolean");
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
 * import assert from "node:assert/strict";
 * import { parallelEnabled, setParallel } from "@rnnlab/rnnlab";
 * setParallel(false); // everything on the main thread
 * assert.equal(parallelEnabled(), false);
 * setParallel(null);
 * ```
 */
export function setParallel(on: boolean | null): void {
  enabled = on === null ? null : on && typeof SharedArrayBuffer === "function";
  if (on === false) shutdownWorker();
}

let sharedBytes = 0;

/**
 * A zeroed `Float32Array` of `n` elements on a `SharedArrayBuffer` (a plain one when shared
 * memory is unavailable), so that the helper worker can work on it in place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharedFloat32 } from "@rnnlab/rnnlab";
 * const scores = sharedFloat32(700 * 10000);
 * assert.ok(scores.buffer instanceof SharedArrayBuffer && scores.length === 7_000_000);
 * ```
 */
export function sharedFloat32(n: number): Float32Array {
  if (typeof SharedArrayBuffer !== "function") return new Float32Array(n);
  sharedBytes += n * 4;
  return new Float32Array(new SharedArrayBuffer(n * 4));
}

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
 * import { shutdownWorker } from "@rnnlab/rnnlab";
 * shutdownWorker();
 * ```
 */
export function shutdownWorker(): void {
  if (worker) {
    worker.terminate();
    worker = null;
  }
}

/**
 * A new plan for kernel `kernel` over `payload`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newPlan } from "@rnnlab/rnnlab";
 * const a = newPlan("softmax.loss", {}), b = newPlan("softmax.loss", {});
 * assert.notEqual(a.id, b.id);
 * ```
 */
export function newPlan(kernel: string, payload: unknown): Plan {
  return { kernel, id: ++planIds, version: 1, payload };
}

/** Gives `plan` a new payload: the worker rebuilds its side on the next call. */
export function replacePayload(plan: Plan, payload: unknown): void {
  plan.payload = payload;
  plan.version++;
}

function spawn(): void {
  shutdownWorker();
  const buf = new SharedArrayBuffer(CTL_BYTES);
  ctlI = new Int32Array(buf);
  ctlF = new Float64Array(buf, CTL.f64Byte, CTL.f64Len);
  ctlI[CTL.state] = 2; // claimed: the first call follows
  worker = new Worker(new URL("./pool_worker.ts", import.meta.url), { type: "module" });
  worker.postMessage({ type: "ctl", buffer: buf });
  workerPlans.clear();
}

/**
 * Runs a call of `plan` on this thread (`local()`) and the worker together, and returns when both
 * are done. The worker's side gets `args` (up to 8 integers) and `fargs` (up to 8 floats); both
 * sides must take their work from shared counters, so that either thread may do any part.
 *
 * @example
 * ```ts ignore
 * runShared(plan, [rows, V], [invCount], () => { for (let r; (r = takeChunk(8)) < rows;) work(r); });
 * ```
 */
export function runShared(
  plan: Plan,
  args: readonly number[],
  fargs: readonly number[],
  local: () => void,
): void {
  if (!worker || Atomics.compareExchange(ctlI, CTL.state, 0, 2) !== 0) spawn();
  if (workerPlans.get(plan.id) !== plan.version) {
    worker!.postMessage({
      type: "plan",
      kernel: plan.kernel,
      id: plan.id,
      version: plan.version,
      payload: plan.payload,
    });
    workerPlans.set(plan.id, plan.version);
  }
  ctlI[CTL.plan] = plan.id;
  ctlI[CTL.version] = plan.version;
  for (let k = 0; k < args.length; k++) ctlI[CTL.args + k] = args[k];
  for (let k = 0; k < fargs.length; k++) ctlF[k] = fargs[k];
  Atomics.store(ctlI, CTL.next, 0);
  const gen = ctlI[CTL.gen] + 1;
  Atomics.store(ctlI, CTL.gen, gen);
  Atomics.notify(ctlI, CTL.gen);
  local();
  for (;;) {
    const d = Atomics.load(ctlI, CTL.done);
    if (d === gen) return;
    if (workerFailed()) throwWorkerFailed();
    Atomics.wait(ctlI, CTL.done, d, 1000);
  }
}

/**
 * The start of the next chunk of `size` from the current call's shared counter (either thread;
 * a start at or past the end means none is left). Only valid inside a {@linkcode runShared} call.
 *
 * @example
 * ```ts ignore
 * for (let r0 = takeChunk(8); r0 < rows; r0 = takeChunk(8)) work(r0, Math.min(r0 + 8, rows));
 * ```
 */
export function takeChunk(size: number): number {
  return Atomics.add(ctlI, CTL.next, size);
}

/** The worker side's view of the control block (set by `pool_worker.ts`). */
export function attachControl(buffer: SharedArrayBuffer): void {
  ctlI = new Int32Array(buffer);
  ctlF = new Float64Array(buffer, CTL.f64Byte, CTL.f64Len);
}

/**
 * Whether the helper worker's last call threw. Threads that wait for the worker's share check
 * this, so that a failure ends the program with an error instead of a wait that never ends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workerFailed } from "@rnnlab/rnnlab";
 * assert.equal(workerFailed(), false);
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
