/**
 * Stopping a run when asked: SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal closed) all ask a
 * run to stop at its next iteration, or at the next evaluation window while it scores.
 *
 * Training is a synchronous loop: while it runs, the main thread's event loop never turns, so a
 * signal listener there would only run when an epoch ends. The listeners therefore live in a
 * small worker whose event loop is free; it writes the signal's number into a shared flag, and the
 * loop reads that flag (one atomic load) before every iteration and every evaluation window.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";

/** The signals that stop a run. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

const NAMES: Record<number, StopSignal> = { 1: "SIGHUP", 2: "SIGINT", 15: "SIGTERM" };

/**
 * The exit code of a process stopped by `signal`: 128 + the signal's number (130 for SIGINT, 143
 * for SIGTERM, 129 for SIGHUP), as shells report it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stopExitCode } from "@rnnlab/rnnlab";
 * assert.equal(stopExitCode("SIGINT"), 130);
 * assert.equal(stopExitCode("SIGTERM"), 143);
 * ```
 */
export function stopExitCode(signal: StopSignal): number {
  return signal === "SIGHUP" ? 129 : signal === "SIGINT" ? 130 : 143;
}

/** The exit code of a run that ended because it diverged (a non-finite loss). */
export const DIVERGED_EXIT_CODE = 3;

/**
 * How a run ended, read from its process's exit code: `completed` (0), `diverged`
 * ({@linkcode DIVERGED_EXIT_CODE}), `interrupted` (a {@linkcode stopExitCode}), or null for any
 * other code (the run failed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runEndOfExitCode, stopExitCode } from "@rnnlab/rnnlab";
 * assert.equal(runEndOfExitCode(0), "completed");
 * assert.equal(runEndOfExitCode(stopExitCode("SIGTERM")), "interrupted");
 * assert.equal(runEndOfExitCode(1), null);
 * ```
 */
export function runEndOfExitCode(code: number): "completed" | "diverged" | "interrupted" | null {
  if (code === 0) return "completed";
  if (code === DIVERGED_EXIT_CODE) return "diverged";
  const stopped = (Object.values(NAMES) as StopSignal[]).some((s) => stopExitCode(s) === code);
  return stopped ? "interrupted" : null;
}

/**
 * Watches for the stop signals from the moment {@linkcode StopSignals.listen} resolves until it is
 * disposed. {@linkcode StopSignals.requested} is cheap enough to poll before every iteration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StopSignals } from "@rnnlab/rnnlab";
 * using stop = await StopSignals.listen();
 * assert.equal(stop.requested, null);
 * stop.request("SIGTERM"); // as if the signal had come
 * assert.equal(stop.requested, "SIGTERM");
 * ```
 */
export class StopSignals implements Disposable {
  readonly #flag: Int32Array;
  readonly #worker: Worker | null;

  private constructor(flag: Int32Array, worker: Worker | null) {
    this.#flag = flag;
    this.#worker = worker;
  }

  /** Starts the listening worker and resolves once its listeners are in place. */
  static async listen(): Promise<StopSignals> {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(new URL("./stop_worker.ts", import.meta.url), { type: "module" });
    await new Promise<void>((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`the signal listener did not start: ${e.message}`));
      };
      worker.postMessage(flag.buffer);
    });
    return new StopSignals(flag, worker);
  }

  /** The first stop signal that arrived, or null. */
  get requested(): StopSignal | null {
    const n = Atomics.load(this.#flag, 0);
    return n === 0 ? null : NAMES[n];
  }

  /** Asks the run to stop as if `signal` had arrived (a run's iteration limit, tests). */
  request(signal: StopSignal): void {
    Atomics.compareExchange(
      this.#flag,
      0,
      0,
      signal === "SIGHUP" ? 1 : signal === "SIGINT" ? 2 : 15,
    );
  }

  /** Stops listening: the signals' default actions apply again. */
  [Symbol.dispose](): void {
    this.#worker?.terminate();
  }
}

/**
 * A run asked to stop before its directory exists ends here, with nothing written: a
 * {@linkcode UserError} with the signal's exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refuseIfStopped } from "@rnnlab/rnnlab";
 * refuseIfStopped(null); // no signal: nothing happens
 * assert.throws(() => refuseIfStopped("SIGINT"), { name: "UserError", exitCode: 130 });
 * ```
 */
export function refuseIfStopped(signal: StopSignal | null): void {
  if (signal) {
    throw new UserError(
      `stopped by ${signal} before the run started; nothing was written`,
      stopExitCode(signal),
    );
  }
}
