/**
 * A sweep's expansion: seeds times a grid of hyperparameter values, one run per combination, each
 * checked as `deno task experiment` would check it before any run starts.
 *
 * A grid axis is written `key=v1,v2,...` (`lr=10,20`, `hidden_size=100,200`; the key in snake_case
 * or kebab-case). The runs are ordered by the grid, the first axis slowest, and then by seed, so
 * that the seeds of one configuration (a seed group) sit side by side. Every value is parsed
 * against the experiment's declaration ({@linkcode parseValue}), and every combination resolved
 * ({@linkcode resolveHyperparameters}) and planned, so an unknown key, a value out of range or a
 * combination the experiment cannot train refuses the whole sweep with one line.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import {
  describeRange,
  type Experiment,
  flagName,
  type Hyperparameters,
  parseValue,
  resolveHyperparameters,
} from "../experiments/define.ts";

/** One axis of the grid: a hyperparameter and the values it takes, as typed. */
export interface GridAxis {
  /** The hyperparameter's snake_case key, e.g. `hidden_size`. */
  key: string;
  /** Its values as typed (`"10"`, `"0.5"`, `"false"`), each valid and distinct. */
  values: string[];
}

/** One run of a sweep before it has a run directory. */
export interface SweepPoint {
  /** The seed of the run. */
  seed: number;
  /** This run's value of each grid axis, by key, as typed. */
  grid: Record<string, string>;
  /** Every hyperparameter given (the fixed ones and the grid's), by key, as typed. */
  overrides: Record<string, string>;
  /** The resolved hyperparameters: the experiment's defaults with the overrides applied. */
  hyperparameters: Hyperparameters;
}

/** The most runs one sweep may have; more is split into several sweeps. */
export const MAX_SWEEP_RUNS = 100_000;

/**
 * Parses one grid axis `key=v1,v2,...` for `experiment`. Throws a {@linkcode UserError} for an
 * unknown key (listing the valid ones), the seed (which `--seeds` gives), a value out of range or
 * given twice, or a spec without `=`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadExperiment, parseGridAxis } from "@rnnlab/rnnlab";
 * const ch06 = loadExperiment("ch06_rnnlm").experiment;
 * assert.deepEqual(parseGridAxis("hidden-size=100,200", ch06), {
 *   key: "hidden_size",
 *   values: ["100", "200"],
 * });
 * assert.throws(() => parseGridAxis("lr=10,-1", ch06), {
 *   name: "UserError",
 *   message: /^--grid lr=10,-1: lr=-1 must be a number in \(0, \d+\] \(SGD learning rate\)$/,
 * });
 * assert.throws(() => parseGridAxis("hiden_size=100", ch06), /unknown grid key hiden_size/);
 * ```
 */
export function parseGridAxis(spec: string, experiment: Experiment): GridAxis {
  const m = /^([A-Za-z][\w-]*)=(.*)$/s.exec(spec);
  if (!m) {
    throw new UserError(
      `--grid ${spec}: write an axis as key=value,value,... (e.g. lr=10,20 hidden_size=100,200)`,
    );
  }
  const key = m[1].replaceAll("-", "_");
  if (key === "seed" || key === "seeds") {
    throw new UserError(`--grid ${spec}: give the seeds with --seeds (e.g. --seeds 1-5)`);
  }
  const declared = experiment.hyperparameters[key];
  if (!declared) {
    const valid = Object.keys(experiment.hyperparameters).join(", ");
    throw new UserError(
      `unknown grid key ${m[1]} for ${experiment.name}; valid keys: ${valid}`,
    );
  }
  const values = m[2].split(",").map((v) => v.trim());
  if (values.some((v) => v === "")) {
    throw new UserError(`--grid ${spec}: a value is empty; separate values by single commas`);
  }
  const seen = new Map<string, string>();
  for (const raw of values) {
    let v: number | boolean;
    try {
      v = parseValue(key, declared, raw);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      // Named as an axis, then the value, with what parseValue asks of it.
      throw new UserError(
        `--grid ${spec}: ${key}=${raw} must be ${describeRange(declared)} (${declared.help})`,
      );
    }
    const same = seen.get(String(v));
    if (same !== undefined) {
      throw new UserError(`--grid ${spec}: ${same} and ${raw} are the same value; give it once`);
    }
    seen.set(String(v), raw);
  }
  return { key, values };
}

/**
 * How many runs `seeds` times the grid `axes` makes (computed without making them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sweepSize } from "@rnnlab/rnnlab";
 * const axes = [{ key: "lr", values: ["10", "20"] }, { key: "hidden_size", values: ["100", "200", "650"] }];
 * assert.equal(sweepSize([1, 2, 3, 4, 5], axes), 30);
 * ```
 */
export function sweepSize(seeds: readonly number[], axes: readonly GridAxis[]): number {
  return axes.reduce((n, a) => n * a.values.length, seeds.length);
}

/**
 * Every run of the sweep: each combination of the grid `axes` (first axis slowest) with each of
 * `seeds`, on top of the `fixed` hyperparameters (raw strings by key, as the command line gave
 * them). Each combination is resolved and planned as a run of `experiment` would be; the first
 * that fails refuses the sweep with a {@linkcode UserError} naming it. A key both fixed and on
 * the grid, two axes of one key, or more than {@linkcode MAX_SWEEP_RUNS} runs are refused too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandSweep, loadExperiment, parseGridAxis } from "@rnnlab/rnnlab";
 * const ch05 = loadExperiment("ch05_simple_rnnlm").experiment;
 * const runs = expandSweep(ch05, {
 *   seeds: [1, 2],
 *   axes: [parseGridAxis("lr=0.1,1", ch05)],
 *   fixed: { max_epoch: "2" },
 * });
 * assert.deepEqual(runs.map((r) => `${r.grid.lr}/${r.seed}`), ["0.1/1", "0.1/2", "1/1", "1/2"]);
 * assert.deepEqual(runs[2].overrides, { max_epoch: "2", lr: "1" });
 * assert.equal(runs[2].hyperparameters.hidden_size, 100); // the default
 * ```
 */
export function expandSweep(
  experiment: Experiment,
  o: { seeds: readonly number[]; axes: readonly GridAxis[]; fixed: Record<string, string> },
): SweepPoint[] {
  const keys = new Set<string>();
  for (const a of o.axes) {
    if (keys.has(a.key)) {
      throw new UserError(`--grid names ${a.key} twice; give all its values in one axis`);
    }
    if (a.key in o.fixed) {
      throw new UserError(
        `${a.key} is both on the grid and fixed (${flagName(a.key)} ${o.fixed[a.key]}); ` +
          "give it one way",
      );
    }
    keys.add(a.key);
  }
  if (o.seeds.length === 0) throw new UserError("a sweep needs at least one seed");
  const size = sweepSize(o.seeds, o.axes);
  if (size > MAX_SWEEP_RUNS) {
    throw new UserError(
      `this sweep has ${size} runs, more than ${MAX_SWEEP_RUNS}; split it into several sweeps`,
    );
  }
  // Check the fixed values once, so that their error does not name a combination.
  resolveHyperparameters(experiment, o.fixed);

  const points: SweepPoint[] = [];
  let combos: Record<string, string>[] = [{}];
  for (const a of o.axes) {
    combos = combos.flatMap((c) => a.values.map((v) => ({ ...c, [a.key]: v })));
  }
  for (const grid of combos) {
    const overrides = { ...o.fixed, ...grid };
    let hyperparameters: Hyperparameters;
    try {
      hyperparameters = resolveHyperparameters(experiment, overrides);
      experiment.plan(hyperparameters);
      experiment.data(hyperparameters);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      const where = Object.entries(grid).map(([k, v]) => `${k}=${v}`).join(" ");
      throw new UserError(where ? `the combination ${where}: ${e.message}` : e.message);
    }
    for (const seed of o.seeds) points.push({ seed, grid, overrides, hyperparameters });
  }
  return points;
}
