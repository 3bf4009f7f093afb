/**
 * `deno task eval`: the book's published Rnnlm weights score PTB test at 136.08 with rnnlab's
 * evaluator, and a run's own checkpoint scores what the run recorded.
 */
import assert from "node:assert/strict";
import { main as evaluate } from "../cli/eval.ts";
import { readRunRecord } from "../run/record.ts";
import {
  assertOneLineError,
  HAVE_PTB,
  ptbDir,
  ROOT,
  runCliProcess,
  tempDir,
  tinyRnnlmRun,
  writeSyntheticCorpus,
} from "./fixtures.ts";

/** The book's published weights: `DLFS2_DIR`, else the shared copy beside the project. */
function bookWeights(): string | null {
  for (const dir of [Deno.env.get("DLFS2_DIR"), `${ROOT}/../shared/reference/dlfs2`]) {
    if (!dir) continue;
    try {
      Deno.statSync(`${dir}/ch06/Rnnlm.pkl`);
      return `${dir}/ch06/Rnnlm.pkl`;
    } catch { /* not here */ }
  }
  console.log(
    "the book's ch06/Rnnlm.pkl not found (set DLFS2_DIR): deno task eval on it is skipped",
  );
  return null;
}
const PKL = bookWeights();

Deno.test({
  name: "deno task eval scores the book's published weights on PTB test at 136.08",
  ignore: PKL === null || !HAVE_PTB,
  async fn() {
    const r = await runCliProcess("eval.ts", [PKL!, "--data-dir", ptbDir()!]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^test perplexity 136\.08 \(136\.07\d+\): the book's weights .*Rnnlm\.pkl, 82250 targets in 235 windows of 10 x 35$/m,
    );
  },
});

Deno.test("eval of a run scores its checkpoint on the run's data: the test perplexity it recorded", async () => {
  await using corpus = await writeSyntheticCorpus({ train: 2000, valid: 800, test: 800 });
  await using out = await tempDir();
  const run = await tinyRnnlmRun(corpus.path, out.path);
  const lines: string[] = [];
  assert.equal(await evaluate([run.dir], (s) => lines.push(s)), 0);
  const rec = await readRunRecord(run.dir);
  assert.match(lines[0], new RegExp(`^test perplexity [\\d.]+ \\(${rec.summary.test_ppl}\\): `));
  const valid: string[] = [];
  assert.equal(
    await evaluate(
      [`${run.dir}/checkpoints/last.safetensors`, "--split", "valid"],
      (s) => valid.push(s),
    ),
    0,
  );
  assert.match(valid[0], /^valid perplexity /);
  assertOneLineError(
    await runCliProcess("eval.ts", [run.dir, "--split", "train"]),
    /--split train: give test or valid/,
  );
});
