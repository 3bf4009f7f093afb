import assert from "node:assert/strict";
import { UserError } from "../core/errors.ts";
import {
  effectiveStatus,
  emptySummary,
  type MetricLine,
  parseMetrics,
  readMetrics,
  type RunRecord,
} from "../run/record.ts";
import { listRuns, resolveRunArgs } from "../views/runs_index.ts";
import {
  buildComparison,
  formatComparison,
  renderOverlayChart,
  renderOverlaySvg,
} from "../views/compare.ts";
import { renderCurveSvg, runCurves, writeCurveSvg } from "../views/plot_svg.ts";
import { renderTerminalChart } from "../views/terminal_chart.ts";
import { buildReport } from "../views/report.ts";
import { main as runsMain } from "../cli/runs.ts";
import { main as compareMain } from "../cli/compare.ts";
import { main as reportMain } from "../cli/report.ts";

const CH05 = "ch05_simple_rnnlm";
const CH06 = "ch06_rnnlm";

function record(o: {
  experiment: string;
  runId: string;
  seed: number;
  hp: Record<string, number | boolean>;
  status?: RunRecord["status"];
  pid?: number;
  exitReason?: string;
  summary?: Partial<RunRecord["summary"]>;
  verdict?: RunRecord["reference"]["verdict"];
}): RunRecord {
  return {
    schema_version: 1,
    experiment: o.experiment,
    run_id: o.runId,
    status: o.status ?? "completed",
    exit_reason: o.exitReason ?? "completed",
    pid: o.pid ?? 1,
    hostname: Deno.hostname(),
    heartbeat_at: new Date().toISOString(),
    seed: o.seed,
    hyperparameters: o.hp,
    overrides: o.hp.lr === 0.1 ? {} : { lr: o.hp.lr as number },
    resumes: [],
    started_at: "2026-11-27T10:00:00.000Z",
    finished_at: "2026-11-27T10:00:03.000Z",
    data: {
      corpus: "ptb",
      train_tokens: 1000,
      valid_tokens: 0,
      test_tokens: 0,
      vocab_size: 418,
      files: [],
    },
    environment: {
      deno: "2.9.6",
      v8: "x",
      typescript: "x",
      os: "linux",
      os_release: "6",
      arch: "x86_64",
      cpu_model: "AMD EPYC",
      cpu_count: 2,
      openblas: { config: "", core: "Zen", core_source: "", threads: 2, path: "" },
      git: { commit: "0123456789abcdef", dirty: false },
      deno_lock_sha256: null,
      experiment_sha256: "",
      code_sha256: "",
    },
    summary: { ...emptySummary(), epochs_completed: 100, iterations: 1900, ...o.summary },
    reference: {
      verdict: o.verdict ?? "within_band",
      metric: "final_train_ppl",
      value: o.summary?.final_train_ppl ?? null,
      band: [5, 7],
      source: "docs/references.md#ch05-simplernnlm",
    },
  };
}

const hp05 = (lr: number) => ({
  batch_size: 10,
  time_size: 5,
  wordvec_size: 100,
  hidden_size: 100,
  lr,
  max_epoch: 100,
});

function epochLines(ppls: number[], ipe: number, valid?: number[]): MetricLine[] {
  return ppls.map((ppl, i) => ({
    kind: "epoch",
    epoch: i + 1,
    iter: ipe,
    total_iters: (i + 1) * ipe,
    ppl,
    lr: 0.1,
    elapsed_s: i + 1,
    ...(valid ? { valid_ppl: valid[i] } : {}),
  }));
}

async function deadPid(): Promise<number> {
  const child = new Deno.Command("sleep", { args: ["0"], stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

/** A results tree: five ch05 runs (three seeds of lr 0.1, one lr 0.05, one crashed), a corrupt
 * ch05 record and one ch06 run with interval reports and validation. */
async function fixture(): Promise<{ root: string; ids: Record<string, string>; corrupt: string }> {
  const root = await Deno.makeTempDir({ prefix: "rnnlab_views_" });
  const ids = {
    a: "20261127-100000-aaaaaa",
    b: "20261127-100100-bbbbbb",
    c: "20261127-100200-cccccc",
    d: "20261127-100300-dddddd",
    f: "20261127-100500-ffffff",
    g: "20261127-110000-gggggg",
  };
  const write = async (exp: string, id: string, rec: RunRecord | string, metrics = "") => {
    const dir = `${root}/${exp}/${id}`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/run.json`,
      typeof rec === "string" ? rec : JSON.stringify(rec, null, 2),
    );
    if (metrics) await Deno.writeTextFile(`${dir}/metrics.jsonl`, metrics);
  };
  const jsonl = (lines: MetricLine[]) => lines.map((l) => JSON.stringify(l) + "\n").join("");
  const seedRun = (id: string, seed: number, ppl: number, wall: number, tps: number) =>
    record({
      experiment: CH05,
      runId: id,
      seed,
      hp: hp05(0.1),
      summary: {
        final_train_ppl: ppl,
        best_train_ppl: ppl,
        wall_time_s: wall,
        tokens_per_sec: tps,
      },
    });
  // Run a: three epochs and a torn fourth line (killed mid-write).
  await write(
    CH05,
    ids.a,
    seedRun(ids.a, 1, 5.5, 2.0, 60000),
    jsonl(epochLines([400, 200, 100], 19)) + '{"kind":"epoch","epoch":4,"it',
  );
  await write(CH05, ids.b, seedRun(ids.b, 2, 6.5, 3.0, 62000), jsonl(epochLines([390, 190], 19)));
  await write(CH05, ids.c, seedRun(ids.c, 3, 6.0, 2.5, 64000), jsonl(epochLines([410, 210], 19)));
  await write(
    CH05,
    ids.d,
    record({
      experiment: CH05,
      runId: ids.d,
      seed: 1,
      hp: hp05(0.05),
      summary: { final_train_ppl: 9.25, wall_time_s: 2.2, tokens_per_sec: 61000 },
      verdict: "outside_band",
    }),
    jsonl(epochLines([420, 300, 250], 19)),
  );
  await write(CH05, "20261127-100400-eeeeee", "{ this is not json");
  await write(
    CH05,
    ids.f,
    record({
      experiment: CH05,
      runId: ids.f,
      seed: 4,
      hp: hp05(0.1),
      status: "running",
      pid: await deadPid(),
      exitReason: "<script>alert(1)</script>",
      summary: { epochs_completed: 1, final_train_ppl: 380, wall_time_s: 0.4 },
    }),
    jsonl(epochLines([380], 19)),
  );
  const g: MetricLine[] = [
    { kind: "interval", epoch: 1, iter: 1, total_iters: 1, ppl: 9000, lr: 20, elapsed_s: 1 },
    { kind: "interval", epoch: 1, iter: 21, total_iters: 21, ppl: 900, lr: 20, elapsed_s: 2 },
    {
      kind: "epoch",
      epoch: 1,
      iter: 40,
      total_iters: 40,
      ppl: 700,
      lr: 20,
      elapsed_s: 3,
      valid_ppl: 500,
    },
    { kind: "interval", epoch: 2, iter: 1, total_iters: 41, ppl: 450, lr: 20, elapsed_s: 4 },
    { kind: "interval", epoch: 2, iter: 21, total_iters: 61, ppl: 300, lr: 20, elapsed_s: 5 },
    {
      kind: "epoch",
      epoch: 2,
      iter: 40,
      total_iters: 80,
      ppl: 320,
      lr: 20,
      elapsed_s: 6,
      valid_ppl: 250,
    },
  ];
  await write(
    CH06,
    ids.g,
    record({
      experiment: CH06,
      runId: ids.g,
      seed: 1,
      hp: { batch_size: 20, time_size: 35, hidden_size: 100, lr: 20, max_epoch: 2 },
      summary: {
        epochs_completed: 2,
        final_train_ppl: 320,
        best_valid_ppl: 250,
        test_ppl: 240.5,
        wall_time_s: 6,
      },
      verdict: "outside_band",
    }),
    jsonl(g),
  );
  return { root, ids, corrupt: `${root}/${CH05}/20261127-100400-eeeeee/run.json` };
}

/** Runs `fn` on a fresh fixture and removes it afterwards, pass or fail. */
async function withFixture(
  fn: (f: Awaited<ReturnType<typeof fixture>>) => Promise<void>,
): Promise<void> {
  const f = await fixture();
  try {
    await fn(f);
  } finally {
    await Deno.remove(f.root, { recursive: true });
  }
}

function capture() {
  const out: string[] = [], err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

/** Checks that tags are balanced and every `&` starts an entity: enough for generated XML. */
function assertWellFormed(xml: string, voids: string[] = []): void {
  const stack: string[] = [];
  const body = xml.replace(/<!DOCTYPE[^>]*>/i, "").replace(/<style>[\s\S]*?<\/style>/, "");
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (self || voids.includes(name.toLowerCase())) continue;
    if (close) assert.equal(stack.pop(), name, `unbalanced </${name}>`);
    else stack.push(name);
  }
  assert.deepEqual(stack, [], `unclosed tags: ${stack.join(", ")}`);
  assert.ok(!/&(?!(amp|lt|gt|quot|#39|#\d+);)/.test(body), "a raw & in the text");
  // Outside tags, no '<' or '>' may remain (escaped text).
  const text = body.replace(/<(\/?)([A-Za-z][\w:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g, "");
  assert.ok(!/[<>]/.test(text.replace(/<!--[\s\S]*?-->/g, "")), "a raw < or > in text");
}

function polylineCounts(svg: string): number[] {
  return [...svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)].map((m) =>
    m[1].trim() === "" ? 0 : m[1].trim().split(/\s+/).length
  );
}

Deno.test("listRuns skips a corrupt run.json with a warning naming it", () =>
  withFixture(async ({ root, ids, corrupt }) => {
    const { runs, warnings } = await listRuns([root, `${root}/missing`]);
    assert.deepEqual(
      runs.map((r) => r.runId),
      [ids.a, ids.b, ids.c, ids.d, ids.f, ids.g],
    );
    assert.equal(warnings.length, 2);
    assert.ok(warnings[0].includes(corrupt), warnings[0]);
    assert.ok(warnings[1].includes(`${root}/missing`), warnings[1]);
  }));

Deno.test("a torn metrics line is skipped and a dead running run reads as crashed", () =>
  withFixture(async ({ root, ids }) => {
    const lines = await readMetrics(`${root}/${CH05}/${ids.a}`);
    assert.deepEqual(lines.map((l) => l.ppl), [400, 200, 100]);
    const text = await Deno.readTextFile(`${root}/${CH05}/${ids.a}/metrics.jsonl`);
    assert.equal(parseMetrics(text).skipped, 1);

    const { runs } = await listRuns([root]);
    const f = runs.find((r) => r.runId === ids.f)!;
    assert.equal(f.record.status, "running");
    assert.equal(f.status, "crashed");
    assert.equal(effectiveStatus(f.record), "crashed");
  }));

Deno.test("a running run whose deno process is alive reads as running", () =>
  withFixture(async ({ root, ids }) => {
    const { runs } = await listRuns([root]);
    const f = runs.find((r) => r.runId === ids.f)!;
    // The same record pointing at a live deno process (this test) is still running.
    assert.equal(effectiveStatus({ ...f.record, pid: Deno.pid }), "running");
  }));

Deno.test("resolveRunArgs takes experiment names, run dirs and run ids, once each", () =>
  withFixture(async ({ root, ids }) => {
    const byName = await resolveRunArgs([CH05], root);
    assert.equal(byName.runs.length, 5);
    assert.equal(byName.warnings.length, 1);
    const mixed = await resolveRunArgs(
      [`${root}/${CH05}/${ids.a}/`, ids.g, CH05, `${root}/${CH06}`],
      root,
    );
    assert.deepEqual(mixed.runs.map((r) => r.runId).slice(0, 2), [ids.a, ids.g]);
    assert.equal(mixed.runs.length, 6);
    await assert.rejects(() => resolveRunArgs(["ch99_nothing"], root), UserError);
    await assert.rejects(
      () => resolveRunArgs([`${root}/${CH05}/20261127-100400-eeeeee`], root),
      (e: Error) => e instanceof UserError && e.message.includes("not valid JSON"),
    );
  }));

Deno.test("compare shows only differing hyperparameters and pools seeds with mean ± std", () =>
  withFixture(async ({ root, ids }) => {
    const { runs } = await resolveRunArgs([CH05], root);
    const c = buildComparison(runs);
    assert.deepEqual(c.varying, ["lr"]);
    // lr 0.05 first; the three completed lr 0.1 seeds pooled; the crashed one alone.
    assert.deepEqual(c.rows.map((r) => r.runs.map((x) => x.runId)), [
      [ids.d],
      [ids.a, ids.b, ids.c],
      [ids.f],
    ]);
    const pooled = c.rows[1];
    assert.deepEqual(pooled.seeds, [1, 2, 3]);
    // final train ppl 5.5, 6.5, 6.0: mean 6, sample std sqrt((0.25 + 0.25 + 0) / 2) = 0.5.
    assert.equal(pooled.metrics.final_train_ppl.mean, 6);
    assert.ok(Math.abs(pooled.metrics.final_train_ppl.std! - 0.5) < 1e-12);
    assert.equal(pooled.metrics.final_train_ppl.n, 3);
    // wall time 2, 3, 2.5: mean 2.5, std 0.5; tokens/s 60000, 62000, 64000: mean 62000, std 2000.
    assert.equal(pooled.metrics.wall_time_s.mean, 2.5);
    assert.ok(Math.abs(pooled.metrics.tokens_per_sec.std! - 2000) < 1e-9);
    assert.equal(c.rows[2].status, "crashed");
    assert.equal(c.rows[0].reference, "outside_band");

    const text = formatComparison(c, "text");
    const lines = text.trimEnd().split("\n");
    assert.equal(lines.length, 2 + 3);
    assert.ok(/\blr\b/.test(lines[0]) && !lines[0].includes("hidden_size"), lines[0]);
    assert.ok(lines[3].includes("6.00 ± 0.50") && lines[3].includes("1,2,3"), lines[3]);
    assert.ok(lines[2].includes("9.25") && lines[2].includes("0.05"), lines[2]);
    assert.ok(!lines[0].includes("test ppl"), "no empty test column");
    // Columns line up: every row is as long as the separator (trailing spaces trimmed aside).
    assert.ok(lines.every((l) => l.length <= lines[1].length));

    // Comparing across experiments: everything that differs shows up.
    const all = buildComparison((await listRuns([root])).runs);
    assert.deepEqual(all.varying, ["batch_size", "lr", "max_epoch", "time_size", "wordvec_size"]);
  }));

Deno.test("compare csv, json and md carry the right values", () =>
  withFixture(async ({ root, ids }) => {
    const c = buildComparison((await resolveRunArgs([CH05], root)).runs);

    const csv = formatComparison(c, "csv").trimEnd().split("\n").map((l) => l.split(","));
    const head = csv[0];
    assert.equal(csv.length, 4);
    const col = (name: string) => {
      const i = head.indexOf(name);
      assert.ok(i >= 0, `no column ${name}`);
      return i;
    };
    const pooled = csv[2];
    assert.equal(pooled[col("run_ids")], `${ids.a};${ids.b};${ids.c}`);
    assert.equal(pooled[col("seeds")], "1;2;3");
    assert.equal(pooled[col("n")], "3");
    assert.equal(pooled[col("lr")], "0.1");
    assert.equal(Number(pooled[col("final_train_ppl_mean")]), 6);
    assert.equal(Number(pooled[col("final_train_ppl_std")]), 0.5);
    assert.equal(pooled[col("test_ppl_mean")], "");
    assert.equal(csv[1][col("final_train_ppl_std")], "", "one run has no std");
    assert.ok(!head.includes("hidden_size"));

    const json = JSON.parse(formatComparison(c, "json"));
    assert.deepEqual(json.varying_hyperparameters, ["lr"]);
    assert.equal(json.rows[1].n, 3);
    assert.deepEqual(json.rows[1].hyperparameters, { lr: 0.1 });
    assert.equal(json.rows[1].metrics.final_train_ppl.mean, 6);
    assert.equal(json.rows[1].metrics.final_train_ppl.std, 0.5);
    assert.equal(json.rows[2].status, "crashed");
    assert.deepEqual(json.rows[0].reference.verdicts, ["outside_band"]);

    const md = formatComparison(c, "md").trimEnd().split("\n");
    assert.equal(md.length, 5);
    assert.ok(md.every((l) => l.startsWith("| ") && l.endsWith(" |")));
    assert.ok(/^\| ---( \| ---:?)+ \|$/.test(md[1]), md[1]);
    assert.ok(md[3].includes("| 6.00 ± 0.50 |"), md[3]);
    const cells = (l: string) => l.split(" | ").length;
    assert.ok(md.every((l) => cells(l) === cells(md[0])));
  }));

Deno.test("renderCurveSvg is well-formed with one polyline per series", () => {
  const svg = renderCurveSvg(
    [
      { label: 'a <&> "b"', points: [[1, 400], [2, 200], [3, 100]] },
      {
        label: "second",
        points: [[0.5, 900], [1, 500], [1.5, 300], [2, 250], [2.5, 0], [3, Infinity], [3.5, 90]],
        dashed: true,
        markers: true,
      },
    ],
    { title: "t <1> & 2", xLabel: "epoch", yLabel: "perplexity", logY: true },
  );
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assertWellFormed(svg);
  // Non-positive and infinite values are dropped on a log axis.
  assert.deepEqual(polylineCounts(svg), [3, 5]);
  assert.equal((svg.match(/<circle /g) ?? []).length, 5 + 1, "five markers and a legend dot");
  assert.ok(svg.includes("a &lt;&amp;&gt; &quot;b&quot;") && svg.includes("t &lt;1&gt; &amp; 2"));
  // Log ticks of 90..900 include 100, 200 and 500.
  for (const t of ["100", "200", "500"]) assert.ok(svg.includes(`>${t}</text>`), t);

  const empty = renderCurveSvg([], { title: "none", xLabel: "x", yLabel: "y", logY: true });
  assertWellFormed(empty);
  assert.ok(empty.includes("no metrics recorded"));
});

Deno.test("a run's curve.svg has train, interval and valid series at fractional epochs", () =>
  withFixture(async ({ root, ids }) => {
    const dir = `${root}/${CH06}/${ids.g}`;
    const [run] = (await resolveRunArgs([dir], root)).runs;
    const lines = await readMetrics(dir);
    const curves = runCurves(run.record, lines);
    // 40 iterations per epoch (from the epoch lines): iter 21 of epoch 2 is x = 1 + 21/40.
    assert.deepEqual(curves.trainInterval.map((p) => p[0]), [
      1 / 40,
      21 / 40,
      1 + 1 / 40,
      1 + 21 / 40,
    ]);
    assert.deepEqual(curves.train, [[1, 700], [2, 320]]);
    assert.deepEqual(curves.valid, [[1, 500], [2, 250]]);
    await writeCurveSvg(`${dir}/curve.svg`, run.record, lines);
    const svg = await Deno.readTextFile(`${dir}/curve.svg`);
    assertWellFormed(svg);
    assert.deepEqual(polylineCounts(svg), [4, 2, 2]);
    assert.ok(svg.includes(`${CH06} ${ids.g}</text>`));
    assert.ok(svg.includes("(log scale)"));
  }));

Deno.test("terminal chart has the asked size, one marker per series and a legend", () => {
  const a: [number, number][] = [], b: [number, number][] = [];
  for (let e = 1; e <= 40; e++) {
    a.push([e, 400 * Math.exp(-e / 10) + 5]);
    b.push([e, 300 * Math.exp(-e / 15) + 20]);
  }
  const text = renderTerminalChart(
    [{ label: "lr=0.1", points: a }, { label: "lr=0.05", points: b }],
    { width: 72, height: 18, title: "T" },
  );
  const rows = text.split("\n");
  assert.equal(rows[0], "T");
  const plot = rows.slice(1, 19);
  assert.equal(plot.length, 18);
  for (const r of plot) assert.equal([...r].length, 72, JSON.stringify(r));
  assert.ok(rows[19].includes("└") && rows[19].includes("┬"));
  assert.equal([...rows[19]].length, 72);
  assert.ok(rows[20].trim().startsWith("10") && rows[20].includes("40"), rows[20]);
  assert.equal(rows.at(-2), "  * lr=0.1");
  assert.equal(rows.at(-1), "  o lr=0.05");
  const cells = plot.map((r) => r.slice(r.search(/[┤│]/) + 1)).join("");
  assert.ok(cells.includes("*") && cells.includes("o"));
  // The first point of series a (the largest value) sits at the top-left corner.
  assert.equal(plot[0][plot[0].search(/[┤│]/) + 1], "*");
  // Log axis: the top label is the max, 400 e^-0.1 + 5 = 366.9; the bottom the min,
  // 400 e^-4 + 5 = 12.33 (series b ends at 300 e^-(40/15) + 20 = 20.8).
  assert.ok(plot[0].startsWith(" 367 ┤"), plot[0]);
  assert.ok(plot[17].startsWith("12.3 ┤"), plot[17]);
  // 1 + 18 + axis + tick labels + x label + 2 legend lines.
  assert.equal(rows.length, 1 + 18 + 3 + 2);
});

Deno.test("overlay svg and terminal chart of a comparison", () =>
  withFixture(async ({ root }) => {
    const { runs } = await resolveRunArgs([CH05], root);
    const c = buildComparison(runs);
    const metrics = new Map<string, MetricLine[]>();
    for (const r of runs) metrics.set(r.dir, await readMetrics(r.dir));
    const svg = renderOverlaySvg(c, metrics);
    assertWellFormed(svg);
    // One polyline per run (no valid curves in ch05): d, a, b, c, f with 3, 3, 2, 2, 1 epochs.
    assert.deepEqual(polylineCounts(svg), [3, 3, 2, 2, 1]);
    assert.ok(svg.includes("lr=0.1 (3 seeds) train"));
    assert.equal((svg.match(/lr=0\.1 \(3 seeds\) train/g) ?? []).length, 1, "one legend entry");
    const chart = renderOverlayChart(c, metrics);
    assert.ok(chart.includes("  * lr=0.05 seed 1"));
    assert.ok(chart.includes("  o lr=0.1 (3 seeds)"));
    assert.ok(chart.includes("  + lr=0.1 20261127-100500-ffffff seed 4"));
  }));

Deno.test("the HTML report names every run, escapes text and inlines SVG", () =>
  withFixture(async ({ root, ids, corrupt }) => {
    const { html, warnings, runs } = await buildReport([root], new Date("2026-11-28T00:00:00Z"));
    assert.equal(runs, 6);
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    for (const id of Object.values(ids)) assert.ok(html.includes(id), id);
    assert.ok(warnings[0].includes(corrupt));
    assert.ok(html.includes(corrupt));
    // Two overlays (one per experiment) and one curve per run.
    assert.equal((html.match(/<svg /g) ?? []).length, 2 + 6);
    assert.ok(!html.includes("<script"), "exit reason must be escaped");
    assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(html.includes("6.00 ± 0.50"));
    assert.ok(html.includes(`badge crashed`));
    assertWellFormed(html, ["meta"]);

    // Renders in a browser, when one is installed (never installed by the tests).
    const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => {
      try {
        return Deno.statSync(p).isFile;
      } catch {
        return false;
      }
    });
    if (chromium) {
      const page = `${root}/report.html`, png = `${root}/report.png`;
      await Deno.writeTextFile(page, html);
      const out = await new Deno.Command(chromium, {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          `--screenshot=${png}`,
          "--window-size=1200,2000",
          `file://${page}`,
        ],
        stdout: "null",
        stderr: "null",
      }).output();
      assert.ok(out.success);
      assert.ok(Deno.statSync(png).size > 10000);
    }
  }));

Deno.test("cli: runs, compare and report with captured output", () =>
  withFixture(async ({ root, ids, corrupt }) => {
    let cap = capture();
    assert.equal(await runsMain(["--root", root], cap.io), 0);
    const table = cap.out.join("\n");
    assert.ok(table.includes(ids.f) && /crashed/.test(table));
    assert.ok(table.includes("lr=0.05") && table.includes("lr=0.1 hidden_size=100 max_epoch=100"));
    assert.ok(cap.err[0].startsWith("warning: ") && cap.err[0].includes(corrupt));

    cap = capture();
    assert.equal(await runsMain(["--root", root, "--json", CH06], cap.io), 0);
    const listed = JSON.parse(cap.out.join(""));
    assert.deepEqual(listed.map((r: { run_id: string }) => r.run_id), [ids.g]);

    const svgPath = `${root}/overlay.svg`;
    cap = capture();
    assert.equal(await compareMain([CH05, "--root", root, "--csv", "--svg", svgPath], cap.io), 0);
    assert.ok(cap.out.join("\n").startsWith("experiment,run_ids,seeds,n,lr,status"));
    assert.ok(cap.err.some((l) => l === `overlay chart: ${svgPath}`));
    assertWellFormed(await Deno.readTextFile(svgPath));

    cap = capture();
    assert.equal(await compareMain([CH05, "--root", root, "--no-svg"], cap.io), 0);
    const text = cap.out.join("\n");
    assert.ok(text.includes("6.00 ± 0.50") && text.includes("training perplexity by epoch"));

    await assert.rejects(() => compareMain(["--root", root], cap.io), UserError);
    await assert.rejects(() => compareMain([CH05, "--json", "--csv"], cap.io), UserError);
    await assert.rejects(() => compareMain([CH05, "--bogus"], cap.io), UserError);

    const page = `${root}/r.html`;
    cap = capture();
    assert.equal(await reportMain(["--root", root, "--out", page], cap.io), 0);
    assert.equal(cap.out[0], `wrote ${page} (6 runs)`);
    assert.ok((await Deno.readTextFile(page)).includes(ids.g));
    await assert.rejects(
      () => reportMain(["--root", root, "--out", `${root}/no/such/dir/r.html`], cap.io),
      (e: Error) => e instanceof UserError && e.message.includes("choose another --out"),
    );
  }));

Deno.test("cli processes: one-line errors and the task permissions suffice", () =>
  withFixture(async ({ root, ids }) => {
    const cli = (name: string, args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-sys=hostname",
          new URL(`../cli/${name}.ts`, import.meta.url).pathname,
          ...args,
        ],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const dec = (b: Uint8Array) => new TextDecoder().decode(b);

    let out = await cli("compare", ["ch99_nothing", "--root", root]);
    assert.equal(out.code, 2);
    const err = dec(out.stderr).trimEnd();
    assert.ok(err.startsWith("error: 'ch99_nothing' is neither"), err);
    assert.equal(err.split("\n").length, 1);

    out = await cli("compare", [CH05, CH06, "--root", "."]);
    assert.equal(out.code, 0, dec(out.stderr));
    assert.ok(dec(out.stdout).includes("overlay chart: compare.svg"));
    assertWellFormed(await Deno.readTextFile(`${root}/compare.svg`));

    out = await cli("runs", ["--root", root]);
    assert.equal(out.code, 0, dec(out.stderr));
    assert.ok(dec(out.stdout).includes(ids.f));

    out = await cli("report", ["--help"]);
    assert.equal(out.code, 0);
    assert.ok(dec(out.stdout).startsWith("Usage: deno task report"));
    out = await cli("report", ["--root", "."]);
    assert.equal(out.code, 0, dec(out.stderr));
    assert.ok((await Deno.readTextFile(`${root}/report.html`)).includes(ids.a));
  }));
