/**
 * One self-contained HTML page about every run under the given roots: per experiment the
 * comparison table and an overlay of the curves, then each run's status, figures, reference
 * verdict, environment and its own curve (inline SVG). No scripts, no external resources; every
 * text from the records is escaped.
 *
 * @module
 */

import { type MetricLine, readMetrics, type RunRecord } from "../run/record.ts";
import { listRuns, type RunInfo } from "./runs_index.ts";
import { buildComparison, comparisonTable, renderOverlaySvg } from "./compare.ts";
import { escapeXml as esc, renderRunSvg } from "./plot_svg.ts";
import { fixed } from "./text_table.ts";

const CSS = `
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em;
  color: #222; background: #fff; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-bottom: 0.3em; font-family: ui-monospace, monospace; font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.meta { color: #555; }
.run { border: 1px solid #ddd; border-radius: 6px; padding: 0.6em 1em; margin: 1.2em 0; }
.badge { display: inline-block; padding: 0.05em 0.5em; border-radius: 4px; color: #fff;
  font-size: 0.85em; font-family: sans-serif; }
.completed, .within_band, .inside_book_range { background: #2e7d32; }
.running { background: #1565c0; }
.interrupted, .not_applicable { background: #8d6e63; }
.failed, .crashed, .diverged, .outside_band, .outside_book_range { background: #c62828; }
.warnings { background: #fff3e0; border: 1px solid #ffb74d; padding: 0.5em 1em; }
svg { max-width: 100%; height: auto; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.15em 1em; margin: 0.5em 0; }
dt { color: #555; }
dd { margin: 0; }
`;

function badge(word: string): string {
  const cls = word.replace(/[^a-z_]/g, "");
  return `<span class="badge ${cls}">${esc(word)}</span>`;
}

/** A safe fragment id for an experiment or run. */
function anchor(prefix: string, name: string): string {
  return `${prefix}-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

function envSummary(rec: RunRecord): string {
  const e = rec.environment;
  if (!e) return "-";
  const git = e.git?.commit
    ? `${e.git.commit.slice(0, 10)}${e.git.dirty ? " (dirty)" : ""}`
    : "no git";
  return [
    `deno ${e.deno}`,
    `${e.os} ${e.arch}`,
    `${e.cpu_model} × ${e.cpu_count}`,
    `OpenBLAS ${e.openblas?.core ?? "?"} ${e.openblas?.threads ?? "?"} threads`,
    `git ${git}`,
  ].join(" · ");
}

function perplexities(s: RunRecord["summary"]): string {
  const parts: string[] = [];
  const pair = (name: string, final: number | null, best: number | null, bestName: string) => {
    if (final === null && best === null) return;
    parts.push(`${name} ${fixed(final)}${best === null ? "" : ` (${bestName} ${fixed(best)})`}`);
  };
  pair("train final", s.final_train_ppl ?? null, s.best_train_ppl ?? null, "best");
  pair("valid final", s.final_valid_ppl ?? null, s.best_valid_ppl ?? null, "best");
  pair("test", s.test_ppl ?? null, s.test_ppl_best ?? null, "with best-by-valid parameters");
  return parts.length > 0 ? parts.join(" · ") : "-";
}

function dl(items: [string, string][]): string {
  return `<dl>${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

function runSection(run: RunInfo, lines: MetricLine[]): string {
  const r = run.record;
  const s = r.summary;
  const ref = r.reference;
  const overrides = Object.entries(r.overrides ?? {});
  const refText = !ref || ref.verdict === "not_applicable"
    ? badge("not_applicable") + (ref?.metric ? ` ${esc(ref.metric)} not measured` : "")
    : `${badge(ref.verdict)} ${esc(ref.metric ?? "")} = ${fixed(ref.value)} ` +
      `(band ${ref.band ? `${ref.band[0]}–${ref.band[1]}` : "-"}; ${esc(ref.source ?? "")})`;
  const items: [string, string][] = [
    [
      "status",
      badge(run.status) +
      (r.exit_reason && r.exit_reason !== run.status ? ` ${esc(r.exit_reason)}` : ""),
    ],
    ["directory", `<code>${esc(run.dir)}</code>`],
    ["seed", esc(String(r.seed))],
    [
      "overrides",
      overrides.length ? esc(overrides.map(([k, v]) => `${k}=${v}`).join(" ")) : "none (defaults)",
    ],
    [
      "hyperparameters",
      esc(Object.entries(r.hyperparameters).map(([k, v]) => `${k}=${v}`).join(" ")),
    ],
    ["started / finished", esc(`${r.started_at ?? "-"} / ${r.finished_at ?? "-"}`)],
    [
      "epochs, iterations",
      esc(`${s.epochs_completed ?? "-"} epochs, ${s.iterations ?? "-"} iterations`),
    ],
    ["perplexity", esc(perplexities(s))],
    [
      "time",
      esc(
        `wall ${fixed(s.wall_time_s, 1)} s · train ${fixed(s.train_time_s, 1)} s · ` +
          `${fixed(s.tokens_per_sec, 0)} tokens/s`,
      ),
    ],
    ["reference", refText],
    ["environment", esc(envSummary(r))],
  ];
  if (r.resumes?.length) {
    items.push([
      "resumed",
      esc(r.resumes.map((x) => `${x.at} from iteration ${x.from_iteration}`).join("; ")),
    ]);
  }
  return `<section class="run" id="${anchor("run", run.runId)}">\n` +
    `<h3>${esc(run.runId)} ${badge(run.status)}</h3>\n${dl(items)}\n` +
    `${renderRunSvg(r, lines, run.status)}</section>`;
}

function comparisonHtml(runs: RunInfo[]): string {
  const t = comparisonTable(buildComparison(runs), true);
  const head = `<tr>${t.headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>`;
  const body = t.rows.map((row) =>
    `<tr>${
      row.map((cell, i) => {
        const content = t.headers[i] === "status" || t.headers[i] === "reference"
          ? cell.split(", ").map((w) => {
            const m = /^(\d+) (\w+)$/.exec(w);
            return m ? `${m[1]} ${badge(m[2])}` : badge(w);
          }).join(" ")
          : esc(cell);
        return `<td${t.numeric[i] ? ` class="num"` : ""}>${content}</td>`;
      }).join("")
    }</tr>`
  ).join("\n");
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function environmentTable(runs: RunInfo[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) {
    const key = envSummary(r.record);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const rows = [...counts].map(([k, n]) => `<tr><td>${esc(k)}</td><td class="num">${n}</td></tr>`);
  return `<table><thead><tr><th>environment</th><th>runs</th></tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>`;
}

/**
 * Renders the report page from runs already loaded (`metrics` maps a run's directory to its
 * metric lines).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   emptySummary,
 *   type MetricLine,
 *   renderReport,
 *   type RunInfo,
 *   type RunRecord,
 * } from "@rnnlab/rnnlab";
 * // Usually listRuns and readMetrics (as buildReport does); here one run made up:
 * const hyperparameters: Record<string, number> = { lr: 0.1 };
 * const summary = { ...emptySummary(), epochs_completed: 1, final_train_ppl: 5.5 };
 * const record = { seed: 1, hyperparameters, summary } as RunRecord;
 * const experiment = "ch05_simple_rnnlm", runId = "20261127-230102-k3f9qa";
 * const dir = `results/${experiment}/${runId}`;
 * const run: RunInfo = { dir, experiment, runId, record, status: "completed" };
 * const lines: MetricLine[] = [
 *   { kind: "epoch", epoch: 1, iter: 19, total_iters: 19, ppl: 5.5, lr: 0.1, elapsed_s: 1 },
 * ];
 * const warnings = ["results/ch05_simple_rnnlm/x/run.json is not valid JSON; skipped"];
 * const now = new Date("2026-11-28T09:00:00Z");
 * const html = renderReport([run], new Map([[run.dir, lines]]), warnings, ["results"], now);
 * assert.ok(html.startsWith("<!DOCTYPE html>"));
 * assert.match(html, /Generated 2026-11-28T09:00:00.000Z from results: 1 run in 1 experiment/);
 * assert.ok(html.includes(`<li>${warnings[0]}</li>`));
 * assert.ok(html.includes(`<h3>${runId} <span class="badge completed">completed</span></h3>`));
 * assert.ok(!html.includes("<script"));
 * ```
 */
export function renderReport(
  runs: RunInfo[],
  metrics: Map<string, MetricLine[]>,
  warnings: string[],
  roots: string[],
  now: Date,
): string {
  const byExp = new Map<string, RunInfo[]>();
  for (const r of runs) {
    const list = byExp.get(r.experiment);
    if (list) list.push(r);
    else byExp.set(r.experiment, [r]);
  }
  const statusCounts = new Map<string, number>();
  for (const r of runs) statusCounts.set(r.status, (statusCounts.get(r.status) ?? 0) + 1);

  const out: string[] = [];
  out.push(`<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">`);
  out.push(`<meta name="viewport" content="width=device-width, initial-scale=1">`);
  out.push(`<title>rnnlab report</title>\n<style>${CSS}</style>\n</head>\n<body>`);
  out.push(`<h1>rnnlab report</h1>`);
  out.push(
    `<p class="meta">Generated ${esc(now.toISOString())} from ${esc(roots.join(", "))}: ` +
      `${runs.length} run${runs.length === 1 ? "" : "s"} in ${byExp.size} experiment` +
      `${byExp.size === 1 ? "" : "s"}${
        statusCounts.size
          ? " (" + [...statusCounts].map(([s, n]) => `${n} ${badge(s)}`).join(", ") + ")"
          : ""
      }.</p>`,
  );
  if (warnings.length > 0) {
    out.push(
      `<div class="warnings"><strong>Skipped:</strong><ul>${
        warnings.map((w) => `<li>${esc(w)}</li>`).join("")
      }</ul></div>`,
    );
  }
  if (runs.length === 0) {
    out.push(
      `<p>No runs found. Start one with <code>deno task experiment &lt;name&gt;</code>.</p>`,
    );
  } else {
    out.push(
      `<ul>${
        [...byExp].map(([e, rs]) =>
          `<li><a href="#${anchor("exp", e)}">${esc(e)}</a> (${rs.length})</li>`
        ).join("")
      }</ul>`,
    );
    out.push(`<h2>Environments</h2>\n${environmentTable(runs)}`);
  }
  for (const [exp, rs] of byExp) {
    out.push(`<h2 id="${anchor("exp", exp)}">${esc(exp)}</h2>`);
    out.push(comparisonHtml(rs));
    out.push(renderOverlaySvg(buildComparison(rs), metrics, `${exp}: perplexity by epoch`));
    for (const r of rs) out.push(runSection(r, metrics.get(r.dir) ?? []));
  }
  out.push(`</body>\n</html>\n`);
  return out.join("\n");
}

/**
 * Scans `roots` and renders the report page. Returns the HTML, the warnings (corrupt records) and
 * how many runs it covers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildReport, emptySummary } from "@rnnlab/rnnlab";
 * const root = await Deno.makeTempDir(); // e.g. results
 * const dir = `${root}/ch05_simple_rnnlm/20261127-230102-k3f9qa`;
 * await Deno.mkdir(dir, { recursive: true });
 * const record = { experiment: "ch05_simple_rnnlm", status: "completed", seed: 1 };
 * const fields = { hyperparameters: {}, summary: emptySummary() };
 * await Deno.writeTextFile(`${dir}/run.json`, JSON.stringify({ ...record, ...fields }));
 * const epoch1 = { kind: "epoch", epoch: 1, iter: 19, total_iters: 19, ppl: 380, lr: 0.1 };
 * await Deno.writeTextFile(`${dir}/metrics.jsonl`, JSON.stringify({ ...epoch1, elapsed_s: 1 }));
 * const { html, warnings, runs } = await buildReport([root]);
 * assert.equal(runs, 1);
 * assert.deepEqual(warnings, []);
 * assert.match(html, /<text [^>]*>train<\/text>/); // the run's curve from metrics.jsonl, inline
 * await Deno.writeTextFile(`${root}/report.html`, html);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function buildReport(
  roots: string[],
  now: Date = new Date(),
): Promise<{ html: string; warnings: string[]; runs: number }> {
  const { runs, warnings } = await listRuns(roots);
  const metrics = new Map<string, MetricLine[]>();
  for (const r of runs) metrics.set(r.dir, await readMetrics(r.dir));
  return { html: renderReport(runs, metrics, warnings, roots, now), warnings, runs: runs.length };
}
