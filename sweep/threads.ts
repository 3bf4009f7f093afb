/**
 * How the runs of a sweep share CPUs: the environment each run is started with, so that runs side
 * by side never ask for more threads than they have cores between them.
 *
 * - On this machine, `jobs` runs at a time ({@linkcode sharedMachineEnv}): each gets
 *   `floor(cores / jobs)` OpenBLAS threads and no helper worker, as `deno task experiment --seeds
 *   ... --jobs N` has always started its runs. One run at a time has the machine to itself.
 * - On Slurm, a task of `--cpus-per-task C` ({@linkcode slurmTaskEnv}) computes as on a machine of
 *   C cores: C OpenBLAS threads, and the helper worker only when C is at least 2. Without cgroups a
 *   task sees every core of its node, and OpenBLAS would otherwise start a thread on each of them,
 *   beside the other tasks of that node.
 *
 * Each run's record notes the threads it computed with (`environment.openblas.threads`,
 * `environment.workers`), which `reproduce` takes into account.
 *
 * @module
 */

/**
 * The environment of each of `jobs` runs at a time on a machine of `cores` logical CPUs:
 * `OPENBLAS_NUM_THREADS` = `floor(cores / jobs)` (at least 1) and `RNNLAB_WORKERS=0`; nothing for
 * one run at a time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharedMachineEnv } from "@rnnlab/rnnlab";
 * assert.deepEqual(sharedMachineEnv(4, 8), { OPENBLAS_NUM_THREADS: "2", RNNLAB_WORKERS: "0" });
 * assert.deepEqual(sharedMachineEnv(3, 2), { OPENBLAS_NUM_THREADS: "1", RNNLAB_WORKERS: "0" });
 * assert.deepEqual(sharedMachineEnv(1, 8), {}); // one run: the machine to itself
 * ```
 */
export function sharedMachineEnv(
  jobs: number,
  cores: number = navigator.hardwareConcurrency ?? 1,
): Record<string, string> {
  if (jobs <= 1) return {};
  return {
    OPENBLAS_NUM_THREADS: String(Math.max(1, Math.floor(cores / jobs))),
    RNNLAB_WORKERS: "0",
  };
}

/**
 * The environment of a Slurm task given `cpusPerTask` CPUs (Slurm's default is one):
 * `OPENBLAS_NUM_THREADS` = that many, and `RNNLAB_WORKERS=0` for a single CPU.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { slurmTaskEnv } from "@rnnlab/rnnlab";
 * assert.deepEqual(slurmTaskEnv(1), { OPENBLAS_NUM_THREADS: "1", RNNLAB_WORKERS: "0" });
 * assert.deepEqual(slurmTaskEnv(2), { OPENBLAS_NUM_THREADS: "2" }); // main thread + helper worker
 * ```
 */
export function slurmTaskEnv(cpusPerTask = 1): Record<string, string> {
  const env: Record<string, string> = { OPENBLAS_NUM_THREADS: String(cpusPerTask) };
  if (cpusPerTask < 2) env.RNNLAB_WORKERS = "0";
  return env;
}
