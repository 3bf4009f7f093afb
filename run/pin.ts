/**
 * Pinning a recorded run's numerical environment, so that resuming or reproducing it computes with
 * the same kernels: the OpenBLAS kernel family (`OPENBLAS_CORETYPE`) and `OPENBLAS_L2_SIZE` it ran
 * with, its OpenBLAS thread count and whether the helper worker shared the work. With all four
 * pinned, a run is bit-identical across machines and CPU vendors (an AMD EPYC reproduces an Intel
 * Xeon's record bit for bit on the same kernels), whatever the current environment says.
 *
 * Pinning is impossible on another architecture, with another OpenBLAS version, or on a CPU
 * without the kernel's instructions; {@linkcode pinRecordedEnvironment} then says why in one line
 * and the caller goes on unpinned (`reproduce` judges by the seed spread instead).
 *
 * @module
 */

import { blasInfo, openblasVersion, pinBlasCore, setBlasThreads } from "../kernels/blas.ts";
import { setParallel } from "../kernels/pool.ts";
import type { Environment } from "./environment.ts";

/** What pinning a record's environment achieved. */
export interface Pin {
  /** Null when the kernels are pinned; else why they could not be. */
  why: string | null;
  /** The recorded OpenBLAS thread count, applied by {@linkcode applyPin}. */
  threads: number;
  /** The recorded helper-worker count (0 or 1), applied by {@linkcode applyPin}. */
  workers: number;
}

/**
 * Asks for `env`'s kernels (recorded in run directory `from`); call it before OpenBLAS loads.
 *
 * @example
 * ```ts ignore
 * const pin = pinRecordedEnvironment(record.environment, dir);
 * if (pin.why) console.log(`not pinned: ${pin.why}`);
 * ```
 */
export function pinRecordedEnvironment(env: Environment, from: string): Pin {
  const o = env.openblas;
  const why = o?.core ? pinBlasCore(o.core, o.l2_size ?? null, from) : "the record names no kernel";
  return { why, threads: o?.threads ?? 0, workers: env.workers ?? 1 };
}

/**
 * Applies the recorded thread and worker counts (after the plan's own) and checks, now that the
 * library is loaded, that it runs the recorded kernel and version. Returns the pin with `why` set
 * when the library did not take it.
 *
 * @example
 * ```ts ignore
 * const pin = applyPin(pinRecordedEnvironment(record.environment, dir), record.environment);
 * ```
 */
export function applyPin(pin: Pin, env: Environment): Pin {
  if (pin.threads > 0) setBlasThreads(pin.threads);
  setParallel(pin.workers > 0 ? null : false);
  if (pin.why) return pin;
  const now = blasInfo();
  const want = openblasVersion(env.openblas.config), have = openblasVersion(now.config);
  if (want !== null && have !== null && want !== have) {
    return { ...pin, why: `the record ran OpenBLAS ${want}; this machine has ${have}` };
  }
  if (now.core.toLowerCase() !== env.openblas.core.toLowerCase()) {
    return {
      ...pin,
      why: `OpenBLAS did not take the ${env.openblas.core} kernels here (it runs ${now.core})`,
    };
  }
  return pin;
}
