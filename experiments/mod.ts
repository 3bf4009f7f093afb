/**
 * Finds experiments: every `experiments/<name>.ts` file whose default export is an experiment.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import type { Experiment } from "./define.ts";

const DIR = new URL("./", import.meta.url);

/** The experiment run when none is named. */
export const DEFAULT_EXPERIMENT = "ch05_simple_rnnlm";

/**
 * Names of the available experiments, sorted.
 *
 * @example
 * ```ts ignore
 * console.log(await listExperiments()); // ["ch05_simple_rnnlm", ...]
 * ```
 */
export async function listExperiments(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(DIR)) {
    if (e.isFile && e.name.endsWith(".ts") && !e.name.startsWith("_")) {
      names.push(e.name.slice(0, -3));
    }
  }
  return names.sort();
}

/** Loads experiment `name` and the URL of its file; an unknown name lists the available ones. */
export async function loadExperiment(name: string): Promise<{ experiment: Experiment; url: URL }> {
  const available = await listExperiments();
  if (!available.includes(name)) {
    throw new UserError(`unknown experiment '${name}'; available: ${available.join(", ")}`);
  }
  const url = new URL(`${name}.ts`, DIR);
  const mod = await import(url.href);
  return { experiment: mod.default as Experiment, url };
}
