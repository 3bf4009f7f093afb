/**
 * `deno task runs`: lists the runs under one or more result roots — experiment, run id, status
 * (a dead `running` run shows as `crashed`), seed, the key hyperparameters, epochs, perplexities
 * and wall time. Corrupt run records are skipped with a warning on standard error.
 *
 * @module
 */

import { defaultIo, type Io, parseCliArgs, runCli, userPath } from "./main.ts";
import { findExperiment, listExperiments } from "../experiments/mod.ts";
import type { DataSpec } from "../experiments/define.ts";
import { UserError } from "../core/errors.ts";
import { listRuns, type RunInfo } from "../views/runs_index.ts";
import { alignedTable, fixed } from "../views/text_table.ts";

const USAGE = "deno task runs [experiment...] [--root DIR]... [--json]";

const HELP = `Usage: deno task runs [experiment...] [--root DIR]... [--json]

Lists the runs under results/<experiment>/<run-id>/ (or under each --root).

Options:
  --root DIR   a results root (an experiment's --out); repeat for several (default: results)
  --json       print the runs as JSON (with the full summary and hyperparameters)
  -h, --help   show this help
`;

/**
 * The data, when it is not the experiment's own: another corpus (`--corpus`), another vocabulary
 * cap (`--vocab-size`). Without it, two runs of `kn_ngram` on PTB and on Soseki read the same.
 */
function dataParams(run: RunInfo): string[] {
  const d = run.record.data;
  if (!d) return [];
  let spec: DataSpec | undefined;
  try {
    spec = findExperiment(run.experiment).experiment.data(run.record.hyperparameters);
  } catch {
    spec = undefined; // an experiment this checkout does not have
  }
  const parts: string[] = [];
  if (d.corpus !== (spec?.corpus ?? "ptb")) parts.push(`corpus=${d.corpus}`);
  if (d.vocab_cap !== undefined && d.vocab_cap !== spec?.vocabSize) {
    parts.push(`vocab_size=${d.vocab_cap}`);
  }
  return parts;
}

/** The settings worth a column: the data when not the experiment's, then the overrides, or lr, hidden_size and max_epoch. */
function keyParams(run: RunInfo): string {
  const data = dataParams(run);
  const o = Object.entries(run.record.overrides ?? {});
  if (o.length > 0) return [...data, ...o.map(([k, v]) => `${k}=${v}`)].join(" ");
  const hp = run.record.hyperparameters;
  const keys = ["lr", "hidden_size", "max_epoch"].filter((k) => k in hp);
  return [...data, ...keys.map((k) => `${k}=${hp[k]}`), "(defaults)"].join(" ");
}

/**
 * Formats runs as an aligned table, one line per run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySummary, type RunInfo, type RunRecord } from "@rnnlab/rnnlab";
 * import { runsTable } from "./runs.ts";
 * // Usually `(await listRuns(["results"])).runs`; here one run made up:
 * const hyperparameters: Record<string, number> = { lr: 0.1, max_epoch: 100 };
 * const figures = { epochs_completed: 100, final_train_ppl: 5.84, wall_time_s: 12.34 };
 * const summary = { ...emptySummary(), ...figures };
 * const record = { seed: 1, hyperparameters, summary } as RunRecord;
 * const experiment = "ch05_simple_rnnlm", runId = "20261127-230102-k3f9qa";
 * const dir = `results/${experiment}/${runId}`;
 * const run: RunInfo = { dir, experiment, runId, record, status: "completed" };
 * const [headers, rule, row] = runsTable([run]).split("\n");
 * assert.equal(headers.split(/ {2,}/).length, 10);
 * assert.match(rule, /^-+( +-+){9}$/);
 * assert.deepEqual(row.split(/ {2,}/), [
 *   ..."ch05_simple_rnnlm 20261127-230102-k3f9qa completed 1".split(" "),
 *   "lr=0.1 max_epoch=100 (defaults)",
 *   ..."100/100 5.84 - - 12.3".split(" "),
 * ]);
 * ```
 */
export function runsTable(runs: RunInfo[]): string {
  const headers = [
    "experiment",
    "run id",
    "status",
    "seed",
    "hyperparameters",
    "epochs",
    "train ppl",
    "best valid",
    "test ppl",
    "wall s",
  ];
  const numeric = [false, false, false, true, false, true, true, true, true, true];
  const rows = runs.map((r) => {
    const s = r.record.summary;
    const max = r.record.hyperparameters.max_epoch;
    return [
      r.experiment,
      r.runId,
      r.status,
      String(r.record.seed),
      keyParams(r),
      `${s.epochs_completed ?? 0}${typeof max === "number" ? `/${max}` : ""}`,
      fixed(s.final_train_ppl),
      fixed(s.best_valid_ppl),
      fixed(s.test_ppl),
      fixed(s.wall_time_s, 1),
    ];
  });
  return alignedTable(headers, rows, numeric);
}

/**
 * Runs the command with `args` and returns the exit code; throws a `UserError` on bad
 * input (the entry point prints it as `error: <message>`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySummary } from "@rnnlab/rnnlab";
 * import { main } from "./runs.ts";
 * const root = await Deno.makeTempDir(); // e.g. results
 * const dir = `${root}/ch05_simple_rnnlm/20261127-230102-k3f9qa`;
 * await Deno.mkdir(dir, { recursive: true });
 * const record = { experiment: "ch05_simple_rnnlm", status: "completed", seed: 1 };
 * const fields = { hyperparameters: { lr: 0.1 }, summary: emptySummary() };
 * await Deno.writeTextFile(`${dir}/run.json`, JSON.stringify({ ...record, ...fields }));
 * const out: string[] = [], err: string[] = [];
 * const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
 * assert.equal(await main(["--root", root, "--json"], io), 0);
 * const [run] = JSON.parse(out[0]);
 * assert.equal(run.run_id, "20261127-230102-k3f9qa");
 * assert.equal(run.status, "completed");
 * assert.deepEqual(err, []);
 * await assert.rejects(main(["ch99", "--root", root], io), { name: "UserError" });
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function main(args: string[], io: Io = defaultIo): Promise<number> {
  const parsed = parseCliArgs({
    args,
    allowPositionals: true,
    options: {
      root: { type: "string", multiple: true },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }, USAGE);
  if (parsed.values.help) {
    io.out(HELP.trimEnd());
    return 0;
  }
  const roots = (parsed.values.root?.length ? parsed.values.root : ["results"]).map(userPath);
  const { runs: all, warnings } = await listRuns(roots);
  for (const w of warnings) io.err(`warning: ${w}`);
  const wanted = new Set(parsed.positionals);
  const known = new Set([...listExperiments(), ...all.map((r) => r.experiment)]);
  for (const name of wanted) {
    if (!known.has(name)) {
      throw new UserError(
        `'${name}' is not an experiment; experiments: ${listExperiments().join(", ")}`,
      );
    }
  }
  const runs = wanted.size ? all.filter((r) => wanted.has(r.experiment)) : all;
  if (parsed.values.json) {
    io.out(JSON.stringify(
      runs.map((r) => ({
        dir: r.dir,
        experiment: r.experiment,
        run_id: r.runId,
        status: r.status,
        stored_status: r.record.status,
        seed: r.record.seed,
        overrides: r.record.overrides ?? {},
        hyperparameters: r.record.hyperparameters,
        started_at: r.record.started_at ?? null,
        finished_at: r.record.finished_at ?? null,
        summary: r.record.summary,
        reference: r.record.reference ?? null,
      })),
      null,
      2,
    ));
    return 0;
  }
  if (runs.length === 0) {
    const what = wanted.size ? `of ${[...wanted].join(", ")} ` : "";
    io.out(
      `no runs ${what}under ${roots.join(", ")}; start one with: deno task experiment <name>`,
    );
    return 0;
  }
  io.out(runsTable(runs));
  return 0;
}

if (import.meta.main) await runCli(() => main(Deno.args));
