/**
 * `deno task report`: writes one self-contained HTML page about every run (curves, comparison
 * tables, status, reference verdicts, environments).
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { defaultIo, type Io, parseCliArgs, runCli, shownPath, userPath } from "./main.ts";
import { writeError, writeFileAtomic } from "../core/files.ts";
import { buildReport } from "../views/report.ts";

const USAGE = "deno task report [--out FILE] [--root DIR]...";

const HELP = `Usage: deno task report [--out FILE] [--root DIR]...

Writes one HTML page (no scripts, no external files) with every run's curve, the comparison
table of each experiment, statuses, reference verdicts and environments.

Options:
  --out FILE   where to write the page (default: report.html)
  --root DIR   a results root; repeat for several (default: results)
  -h, --help   show this help
`;

/**
 * Runs the command with `args` and returns the exit code; throws a {@linkcode UserError} on bad
 * input (the entry point prints it as `error: <message>`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./report.ts";
 * const dir = await Deno.makeTempDir();
 * const out: string[] = [];
 * const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
 * await Deno.mkdir(`${dir}/results`); // no runs yet
 * const code = await main(["--out", `${dir}/report.html`, "--root", `${dir}/results`], io);
 * assert.equal(code, 0);
 * assert.match(out[0], /^wrote .*report\.html \(0 runs\)$/);
 * assert.match(await Deno.readTextFile(`${dir}/report.html`), /No runs found/);
 * await assert.rejects(main(["--out", dir], io), { name: "UserError" }); // a folder
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function main(args: string[], io: Io = defaultIo): Promise<number> {
  const parsed = parseCliArgs({
    args,
    options: {
      out: { type: "string", default: "report.html" },
      root: { type: "string", multiple: true },
      help: { type: "boolean", short: "h", default: false },
    },
  }, USAGE);
  if (parsed.values.help) {
    io.out(HELP.trimEnd());
    return 0;
  }
  const roots = (parsed.values.root?.length ? parsed.values.root : ["results"]).map(userPath);
  const out = userPath(parsed.values.out!);
  if ((await Deno.stat(out).catch(() => null))?.isDirectory) {
    throw new UserError(
      `--out ${out} is a folder; name the page to write, e.g. ${out}/report.html`,
    );
  }
  const { html, warnings, runs } = await buildReport(roots);
  for (const w of warnings) io.err(`warning: ${w}`);
  try {
    await writeFileAtomic(out, html);
  } catch (e) {
    throw writeError(out, e, "choose another --out");
  }
  io.out(`wrote ${shownPath(out)} (${runs} run${runs === 1 ? "" : "s"})`);
  return 0;
}

if (import.meta.main) await runCli(() => main(Deno.args));
