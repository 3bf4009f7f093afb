/**
 * `deno task compare`: compares runs side by side — the hyperparameters that differ (plus the
 * seed) and the figures, with seed-only repeats pooled as mean ± std — as a text table, JSON, CSV
 * or Markdown; writes an overlay SVG of the curves and draws a chart in the terminal.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { defaultIo, type Io, parseCliArgs, runCli, shownPath, userPath } from "./main.ts";
import { type MetricLine, readMetrics } from "../run/record.ts";
import { writeError, writeFileAtomic } from "../core/files.ts";
import { resolveRunArgs } from "../views/runs_index.ts";
import {
  buildComparison,
  type CompareFormat,
  formatComparison,
  renderOverlayChart,
  renderOverlaySvg,
} from "../views/compare.ts";

const USAGE =
  "deno task compare <run-dir|experiment|run-id>... [--root DIR] [--json|--csv|--md] [--svg PATH|--no-svg] [--no-chart]";

const HELP = `Usage: deno task compare <run-dir|experiment|run-id>... [options]

Compares runs: the hyperparameters that differ between them (plus the seed) and their figures.
Completed runs that differ only by seed are pooled into one row: mean ± sample std (n).

Arguments: a run directory (any --out tree), an experiment name under --root (all its runs),
an experiment directory, or a run id under --root.

Options:
  --root DIR     where experiment names and run ids are looked up (default: results)
  --json         print JSON          --csv   print CSV          --md   print a Markdown table
  --svg PATH     write the overlay chart of the curves to PATH (default: compare.svg)
  --no-svg       do not write the overlay chart
  --no-chart     do not draw the chart in the terminal (text output only draws it)
  -h, --help     show this help
`;

/**
 * Runs the command with `args` and returns the exit code; throws a {@linkcode UserError} on bad
 * input (the entry point prints it as `error: <message>`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySummary } from "@rnnlab/rnnlab";
 * import { main } from "./compare.ts";
 * const root = await Deno.makeTempDir(); // e.g. results: two seeds of one configuration
 * for (const [seed, ppl] of [[1, 5.5], [2, 6.5]]) {
 *   const dir = `${root}/ch05_simple_rnnlm/20261127-23000${seed}-k3f9qa`;
 *   await Deno.mkdir(dir, { recursive: true });
 *   const summary = { ...emptySummary(), epochs_completed: 100, final_train_ppl: ppl };
 *   const record = { experiment: "ch05_simple_rnnlm", status: "completed", seed, summary };
 *   await Deno.writeTextFile(`${dir}/run.json`, JSON.stringify({ ...record, hyperparameters: {} }));
 * }
 * const out: string[] = [];
 * const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
 * assert.equal(await main(["ch05_simple_rnnlm", "--root", root, "--md", "--no-svg"], io), 0);
 * const [headers, , row] = out[0].split("\n");
 * assert.ok(headers.startsWith("| experiment | run | seed | n | status | epochs | train ppl |"));
 * assert.ok(row.includes("| 1,2 | 2 | completed | 100 ± 0 | 6.00 ± 0.71 |")); // pooled
 * await assert.rejects(main(["ch05_simple_rnnlm", "--md", "--csv"], io), { name: "UserError" });
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function main(args: string[], io: Io = defaultIo): Promise<number> {
  const parsed = parseCliArgs({
    args,
    allowPositionals: true,
    options: {
      root: { type: "string", default: "results" },
      json: { type: "boolean", default: false },
      csv: { type: "boolean", default: false },
      md: { type: "boolean", default: false },
      svg: { type: "string" },
      "no-svg": { type: "boolean", default: false },
      "no-chart": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }, USAGE);
  const v = parsed.values;
  if (v.help) {
    io.out(HELP.trimEnd());
    return 0;
  }
  const formats = (["json", "csv", "md"] as const).filter((f) => v[f]);
  if (formats.length > 1) {
    throw new UserError(
      `choose one output format, not ${formats.map((f) => `--${f}`).join(" and ")}`,
    );
  }
  if (v.svg !== undefined && v["no-svg"]) {
    throw new UserError("give --svg PATH or --no-svg, not both");
  }
  if (parsed.positionals.length === 0) {
    throw new UserError(
      "name at least one run directory or experiment, e.g. deno task compare ch05_simple_rnnlm " +
        "(list runs with: deno task runs)",
    );
  }
  const format: CompareFormat = formats.length > 0 ? formats[0] : "text";
  const named = parsed.positionals.map((a) => (a.includes("/") ? userPath(a) : a));
  const { runs, warnings } = await resolveRunArgs(named, userPath(v.root!));
  for (const w of warnings) io.err(`warning: ${w}`);
  const comparison = buildComparison(runs);
  const metrics = new Map<string, MetricLine[]>();
  for (const r of runs) metrics.set(r.dir, await readMetrics(r.dir));

  const text = formatComparison(comparison, format).trimEnd();
  io.out(text);
  const note = format === "text" ? io.out : io.err;
  // Count-based runs (kn_ngram) have no epochs: nothing to draw when no run has a curve.
  const curves = [...metrics.values()].some((lines) => lines.length > 0);
  if (!v["no-svg"] && curves) {
    const path = userPath(v.svg ?? "compare.svg");
    try {
      await writeFileAtomic(path, renderOverlaySvg(comparison, metrics));
    } catch (e) {
      throw writeError(path, e, "choose another --svg");
    }
    note(`overlay chart: ${shownPath(path)}`);
  }
  if (format === "text" && !v["no-chart"] && curves) {
    io.out("\n" + renderOverlayChart(comparison, metrics));
  }
  return 0;
}

if (import.meta.main) await runCli(() => main(Deno.args));
