/**
 * Sweeps: many runs of an experiment handed to a batch system. Today that is Slurm, as one job
 * array whose task `i` runs command `i`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobArrayScript } from "@rnnlab/rnnlab";
 * const script = jobArrayScript({ commands: ["echo a", "echo b"], logDir: "/tmp/logs" });
 * assert.match(script, /^#SBATCH --array=0-1$/m);
 * ```
 *
 * @module
 */

export {
  jobArrayScript,
  type JobArraySpec,
  scriptPath,
  type TaskFiles,
  taskFiles,
} from "./slurm_script.ts";
export {
  combineTaskStates,
  isFinished,
  parseExitFile,
  parseSacct,
  parseSqueue,
  slurmStateName,
  type TaskRecord,
  type TaskSources,
  type TaskState,
  type TaskStateName,
} from "./slurm_states.ts";
export {
  cancelJobArray,
  jobArrayStates,
  slurmControllerUp,
  type SlurmOptions,
  submitJobArray,
  type SubmittedJobArray,
  waitForJobArray,
  type WaitOptions,
} from "./slurm.ts";
