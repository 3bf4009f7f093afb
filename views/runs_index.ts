/**
 * Finds runs on disk: every `<root>/<experiment>/<run-id>/run.json` under one or more roots
 * (`results`, or any `--out` directory). A run record that cannot be read is skipped with a
 * warning naming its file, so one corrupt run never hides the others.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { effectiveStatus, readRunRecord, type RunRecord, type RunStatus } from "../run/record.ts";

/** One run found on disk. */
export interface RunInfo {
  /** The run directory, e.g. `results/ch05_simple_rnnlm/20261127-230102-k3f9qa`. */
  dir: string;
  /** The experiment's name. */
  experiment: string;
  /** The run id (the directory's name). */
  runId: string;
  /** Its `run.json`. */
  record: RunRecord;
  /** The status to show: the stored one, or `crashed` for a dead `running` run. */
  status: RunStatus;
}

/** Whether `path` is a folder; a missing permission is thrown, not taken for a missing folder. */
async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) throw e;
    return false;
  }
}

/** Whether `path` is a file; a missing permission is thrown, as in {@linkcode isDir}. */
async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) throw e;
    return false;
  }
}

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

function baseName(path: string): string {
  return trimSlash(path).split("/").pop() ?? path;
}

/** What is wrong with a parsed `run.json`, or null when it has the fields readers need. */
function recordProblem(rec: RunRecord): string | null {
  if (typeof rec.status !== "string") return `no "status" field`;
  if (typeof rec.summary !== "object" || rec.summary === null) return `no "summary" object`;
  if (typeof rec.hyperparameters !== "object" || rec.hyperparameters === null) {
    return `no "hyperparameters" object`;
  }
  return null;
}

/**
 * Reads one run directory. Returns null (with a warning pushed) when its `run.json` is corrupt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySummary, loadRun } from "@rnnlab/rnnlab";
 * const root = await Deno.makeTempDir(); // e.g. results
 * const dir = `${root}/ch05_simple_rnnlm/20261127-230102-k3f9qa`;
 * await Deno.mkdir(dir, { recursive: true });
 * const record = { experiment: "ch05_simple_rnnlm", status: "completed", seed: 1 };
 * const fields = { hyperparameters: { lr: 0.1 }, summary: emptySummary() };
 * await Deno.writeTextFile(`${dir}/run.json`, JSON.stringify({ ...record, ...fields }));
 * const warnings: string[] = [];
 * const run = await loadRun(dir, warnings);
 * assert.equal(run?.runId, "20261127-230102-k3f9qa");
 * assert.equal(run?.status, "completed");
 * await Deno.writeTextFile(`${dir}/run.json`, `{"experiment": "ch05_sim`); // torn
 * assert.equal(await loadRun(dir, warnings), null);
 * assert.deepEqual(warnings, [`${dir}/run.json is not valid JSON (corrupt run record); skipped`]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function loadRun(dir: string, warnings: string[]): Promise<RunInfo | null> {
  dir = trimSlash(dir);
  let record: RunRecord;
  try {
    record = await readRunRecord(dir);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    warnings.push(`${e.message}; skipped`);
    return null;
  }
  const problem = recordProblem(record);
  if (problem) {
    warnings.push(`${dir}/run.json is not a run record (${problem}); skipped`);
    return null;
  }
  const runId = typeof record.run_id === "string" ? record.run_id : baseName(dir);
  return { dir, experiment: record.experiment, runId, record, status: effectiveStatus(record) };
}

/** The runs in one experiment directory (`<root>/<experiment>`), sorted by run id. */
async function scanExperiment(expDir: string, warnings: string[]): Promise<RunInfo[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(expDir)) {
    if (e.isDirectory && !e.name.startsWith(".")) names.push(e.name);
  }
  names.sort();
  const runs: RunInfo[] = [];
  for (const name of names) {
    const dir = `${expDir}/${name}`;
    if (!(await isFile(`${dir}/run.json`))) {
      if (await isFile(`${dir}/metrics.jsonl`)) {
        warnings.push(`${dir} has metrics.jsonl but no run.json; skipped`);
      }
      continue;
    }
    const run = await loadRun(dir, warnings);
    if (run) runs.push(run);
  }
  return runs;
}

function sortRuns(runs: RunInfo[]): RunInfo[] {
  return runs.sort((a, b) =>
    a.experiment < b.experiment
      ? -1
      : a.experiment > b.experiment
      ? 1
      : a.runId < b.runId
      ? -1
      : a.runId > b.runId
      ? 1
      : 0
  );
}

/**
 * Lists every run under `roots`, sorted by experiment then run id (which starts with the start
 * time). Corrupt records and missing roots become warnings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySummary, listRuns } from "@rnnlab/rnnlab";
 * const root = await Deno.makeTempDir(); // e.g. results
 * const save = async (experiment: string, runId: string, extra: object) => {
 *   const record = { experiment, seed: 1, hyperparameters: {}, summary: emptySummary(), ...extra };
 *   await Deno.mkdir(`${root}/${experiment}/${runId}`, { recursive: true });
 *   await Deno.writeTextFile(`${root}/${experiment}/${runId}/run.json`, JSON.stringify(record));
 * };
 * await save("ch06_rnnlm", "20261128-101500-aaaaaa", { status: "completed" });
 * await save("ch05_simple_rnnlm", "20261127-230102-k3f9qa", { status: "completed" });
 * // Still "running", but its process on this machine is gone: it shows as crashed.
 * const host = { pid: 2 ** 30, hostname: Deno.hostname(), heartbeat_at: new Date().toISOString() };
 * await save("ch05_simple_rnnlm", "20261127-231500-b2c3d4", { status: "running", ...host });
 * const { runs, warnings } = await listRuns([root, `${root}/nowhere`]);
 * assert.deepEqual(runs.map((r) => `${r.experiment} ${r.runId} ${r.status}`), [
 *   "ch05_simple_rnnlm 20261127-230102-k3f9qa completed",
 *   "ch05_simple_rnnlm 20261127-231500-b2c3d4 crashed",
 *   "ch06_rnnlm 20261128-101500-aaaaaa completed",
 * ]);
 * assert.deepEqual(warnings, [`${root}/nowhere does not exist or is not a directory`]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function listRuns(roots: string[]): Promise<{ runs: RunInfo[]; warnings: string[] }> {
  const warnings: string[] = [];
  const runs: RunInfo[] = [];
  const seen = new Set<string>();
  for (const raw of roots) {
    const root = trimSlash(raw);
    if (!(await isDir(root))) {
      warnings.push(`${root} does not exist or is not a directory`);
      continue;
    }
    const real = await Deno.realPath(root);
    if (seen.has(real)) continue;
    seen.add(real);
    const exps: string[] = [];
    for await (const e of Deno.readDir(root)) {
      if (e.isDirectory && !e.name.startsWith(".")) exps.push(e.name);
    }
    exps.sort();
    for (const exp of exps) runs.push(...(await scanExperiment(`${root}/${exp}`, warnings)));
  }
  return { runs: sortRuns(runs), warnings };
}

/**
 * Turns command-line arguments into runs. Each argument is a run directory, an experiment
 * directory, an experiment name under `root` (all its runs) or a run id under `root`. A run named
 * twice is kept once. Throws a {@linkcode UserError} for an argument that matches nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySummary, resolveRunArgs } from "@rnnlab/rnnlab";
 * const root = await Deno.makeTempDir(); // e.g. results
 * const save = async (experiment: string, runId: string) => {
 *   const record = { experiment, status: "completed", seed: 1, hyperparameters: {} };
 *   const dir = `${root}/${experiment}/${runId}`;
 *   await Deno.mkdir(dir, { recursive: true });
 *   const text = JSON.stringify({ ...record, summary: emptySummary() });
 *   await Deno.writeTextFile(`${dir}/run.json`, text);
 * };
 * await save("ch05_simple_rnnlm", "20261127-230102-k3f9qa");
 * await save("ch05_simple_rnnlm", "20261127-231500-b2c3d4");
 * await save("ch06_rnnlm", "20261128-101500-aaaaaa");
 * const ids = async (args: string[]) =>
 *   (await resolveRunArgs(args, root)).runs.map((r) => r.runId);
 * assert.deepEqual(await ids(["ch05_simple_rnnlm"]), [ // every run of an experiment
 *   "20261127-230102-k3f9qa",
 *   "20261127-231500-b2c3d4",
 * ]);
 * assert.deepEqual(await ids(["20261128-101500-aaaaaa"]), ["20261128-101500-aaaaaa"]); // a run id
 * const dir = `${root}/ch05_simple_rnnlm/20261127-230102-k3f9qa`; // a run directory, anywhere
 * assert.deepEqual(await ids([dir, "20261127-230102-k3f9qa"]), ["20261127-230102-k3f9qa"]); // once
 * await assert.rejects(resolveRunArgs(["ch99"], root), { name: "UserError" });
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function resolveRunArgs(
  args: string[],
  root: string,
): Promise<{ runs: RunInfo[]; warnings: string[] }> {
  const warnings: string[] = [];
  const runs: RunInfo[] = [];
  const seen = new Set<string>();
  const add = async (found: RunInfo[]) => {
    for (const r of found) {
      const key = await Deno.realPath(r.dir);
      if (!seen.has(key)) {
        seen.add(key);
        runs.push(r);
      }
    }
  };
  root = trimSlash(root);
  for (const raw of args) {
    const arg = trimSlash(raw);
    if (await isFile(`${arg}/run.json`)) {
      const local: string[] = [];
      const run = await loadRun(arg, local);
      if (!run) throw new UserError(local[0] ?? `${arg}/run.json cannot be read`);
      await add([run]);
      continue;
    }
    let expDir: string | null = null;
    if (arg.includes("/") && (await isDir(arg))) expDir = arg;
    else if (!arg.includes("/") && (await isDir(`${root}/${arg}`))) expDir = `${root}/${arg}`;
    if (expDir !== null) {
      const found = await scanExperiment(expDir, warnings);
      if (found.length === 0) {
        throw new UserError(
          `no runs in ${expDir}; start one with: deno task experiment ${baseName(expDir)}`,
        );
      }
      await add(found);
      continue;
    }
    if (!arg.includes("/") && (await isDir(root))) {
      const matches: string[] = [];
      for await (const e of Deno.readDir(root)) {
        if (e.isDirectory && (await isFile(`${root}/${e.name}/${arg}/run.json`))) {
          matches.push(`${root}/${e.name}/${arg}`);
        }
      }
      if (matches.length > 0) {
        for (const dir of matches) {
          const run = await loadRun(dir, warnings);
          if (run) await add([run]);
        }
        continue;
      }
    }
    throw new UserError(
      `'${raw}' is neither a run directory nor an experiment or run id under ${root}; ` +
        `list runs with: deno task runs --root ${root}`,
    );
  }
  return { runs, warnings };
}
