/**
 * Launching a sweep from the command line: its folder made (and unmade when the launch is
 * refused), its runs run here or submitted to Slurm, and what is said when they end.
 *
 * @module
 */

import { dirname } from "node:path";
import { writeError } from "../core/files.ts";
import { runEndOfExitCode, stopExitCode } from "../run/stop.ts";
import { runLaunchesLocally } from "../sweep/launch.ts";
import { sweepDir, type SweepManifest } from "../sweep/manifest.ts";
import type { Launch } from "../sweep/plan.ts";
import { waitForJobArray } from "../sweep/slurm.ts";
import { isFinished } from "../sweep/slurm_states.ts";
import { sweepStatus } from "../sweep/status.ts";
import { type Io, shownPath } from "./main.ts";
import { runLabel, statusTable, summaryLines } from "./sweep_tables.ts";

/** Creates `<out>/sweeps/<sweep>/logs`; returns the folders it made, deepest first. */
export async function makeSweepDir(manifest: SweepManifest): Promise<string[]> {
  const dir = sweepDir(manifest.out, manifest.sweep_id);
  const made: string[] = [];
  for (const d of [manifest.out, dirname(dir)]) {
    if (await Deno.stat(d).catch(() => null)) continue;
    try {
      await Deno.mkdir(d, { recursive: true });
    } catch (e) {
      throw writeError(d, e, "point --out at a folder you can write to");
    }
    made.unshift(d);
  }
  try {
    await Deno.mkdir(dir);
    made.unshift(dir);
    await Deno.mkdir(manifest.log_dir);
  } catch (e) {
    await undo(made);
    throw writeError(dir, e, "point --out at a folder you can write to");
  }
  return made;
}

/** Removes the folders a refused launch made (deepest first; the outer ones only when empty). */
export async function undo(made: string[]): Promise<void> {
  for (const [i, d] of made.entries()) {
    await Deno.remove(d, { recursive: i === 0 }).catch(() => {});
  }
}

/** Runs `launches` here and reports how they ended; the exit code. */
export async function runHere(
  manifest: SweepManifest,
  path: string,
  launches: Launch[],
  jobs: number,
  io: Io,
  quiet: boolean,
): Promise<number> {
  const say = quiet ? () => {} : io.out;
  const { stoppedBy } = await runLaunchesLocally(manifest, path, launches, jobs, {
    onEnd: (l, code, done, total) => {
      const run = manifest.runs[l.index];
      const how = runEndOfExitCode(code);
      const where = how
        ? shownPath(l.runDir)
        : `failed (exit ${code}; see ${shownPath(run.attempts.at(-1)!.err!)})`;
      say(`[${done}/${total}] run ${l.index} (${runLabel(run)}): ${how ? `${how}, ` : ""}${where}`);
    },
  });
  const st = await sweepStatus(manifest, dirname(path), { driving: false });
  if (!quiet) { for (const line of summaryLines(manifest, st, path)) io.out(line); }
  io.out(shownPath(path));
  if (stoppedBy) return stopExitCode(stoppedBy);
  return st.runs.every((r) => r.phase === "completed") ? 0 : 1;
}

/** What to say after a submission, and the wait when asked for; the exit code. */
export async function afterSubmit(
  manifest: SweepManifest,
  path: string,
  jobs: SweepManifest["job_arrays"],
  what: string,
  io: Io,
  v: Record<string, string | boolean | undefined>,
): Promise<number> {
  const say = v.quiet ? () => {} : io.out;
  const ids = jobs.map((j) => j.job_id).join(", ");
  say(
    `sweep ${manifest.sweep_id}: ${what} submitted to Slurm as job array${
      jobs.length === 1 ? "" : "s"
    } ${ids}`,
  );
  say(`manifest: ${shownPath(path)}`);
  if (!v.wait) {
    say(`follow it with: deno task sweep status ${shownPath(path)}`);
    io.out(shownPath(path));
    return 0;
  }
  for (const job of jobs) {
    let last = "";
    await waitForJobArray(
      { jobId: job.job_id, tasks: job.tasks, logDir: manifest.log_dir, script: job.script },
      {
        timeoutMs: Infinity,
        onPoll: (states) => {
          const counts = new Map<string, number>();
          for (const s of states) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
          const line = [...counts].map(([s, n]) => `${n} ${s}`).join(", ");
          if (line !== last && states.some((s) => !isFinished(s.state))) {
            say(`job ${job.job_id}: ${line}`);
          }
          last = line;
        },
      },
    );
  }
  const st = await sweepStatus(manifest, dirname(path));
  if (!v.quiet) {
    io.out(statusTable(manifest, st));
    for (const line of summaryLines(manifest, st, path)) io.out(line);
  }
  io.out(shownPath(path));
  return st.runs.every((r) => r.phase === "completed") ? 0 : 1;
}
