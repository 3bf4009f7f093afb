/**
 * Sweeps: many runs of an experiment (seeds times a grid of hyperparameters), planned into a
 * manifest and run on this machine, `jobs` at a time, or handed to Slurm as job arrays whose task
 * `i` runs command `i`.
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
export {
  expandSweep,
  type GridAxis,
  MAX_SWEEP_RUNS,
  parseGridAxis,
  type SweepPoint,
  sweepSize,
} from "./grid.ts";
export {
  experimentCommand,
  resumeArgs,
  startArgs,
  type StartSpec,
  type SweepData,
} from "./commands.ts";
export {
  type AttemptAction,
  manifestFile,
  readManifest,
  type SlurmSettings,
  SWEEP_SCHEMA_VERSION,
  type SweepAttempt,
  type SweepBackend,
  sweepDir,
  type SweepJob,
  type SweepManifest,
  type SweepRun,
  writeManifest,
} from "./manifest.ts";
export {
  firstLaunches,
  type Launch,
  nextLaunches,
  planSweep,
  PROJECT_ROOT,
  type SweepSpec,
} from "./plan.ts";
export {
  type BackendState,
  decideRun,
  type RunState,
  type StatusOptions,
  type SweepAction,
  type SweepPhase,
  type SweepStatus,
  sweepStatus,
} from "./status.ts";
export { type LocalOptions, type LocalOutcome, type LocalTask, runLocally } from "./local.ts";
export {
  type LocalProgress,
  MAX_ARRAY_TASKS,
  runLaunchesLocally,
  submitLaunches,
} from "./launch.ts";
export { sharedMachineEnv, slurmTaskEnv } from "./threads.ts";
