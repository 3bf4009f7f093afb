/**
 * The shared wrapper of every command-line entry point: a {@linkcode UserError} becomes one line
 * on stderr and a non-zero exit, without a stack trace.
 *
 * @module
 */

import { isAbsolute, relative, resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "../core/errors.ts";

type ParsedResults<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * Runs `main`, exits with its return code; user errors print `error: <message>` and exit non-zero.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // An entry point ends with: if (import.meta.main) await runCli(() => main(Deno.args));
 * // Here one whose main refuses its input, run as its own process since runCli exits:
 * const script = `import { runCli } from "${import.meta.resolve("./main.ts")}";
 *   import { UserError } from "${import.meta.resolve("../core/errors.ts")}";
 *   await runCli(() => Promise.reject(new UserError("unknown experiment 'ch99'")));`;
 * const child = new Deno.Command(Deno.execPath(), { args: ["eval", script], stderr: "piped" });
 * const { code, stderr } = await child.output();
 * assert.equal(code, 2); // the UserError's exitCode
 * assert.equal(new TextDecoder().decode(stderr), "error: unknown experiment 'ch99'\n"); // no trace
 * ```
 */
export async function runCli(main: () => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (e) {
    if (e instanceof UserError) {
      console.error(`error: ${e.message}`);
      Deno.exit(e.exitCode);
    }
    if (e instanceof Deno.errors.NotCapable) {
      console.error(`error: ${e.message.split("\n")[0]}; run it as ${taskName()}, which grants it`);
      Deno.exit(2);
    }
    throw e;
  }
}

/** The `deno task` that runs the current entry point (`cli/runs.ts` → `deno task runs`). */
function taskName(): string {
  const file = Deno.mainModule.split("/").pop()?.replace(/\.ts$/, "") ?? "";
  const task = { bench_train: "bench:train", bench_peers: "bench:peers" }[file] ?? file;
  return task ? `\`deno task ${task}\`` : "`deno task`";
}

/** Turns a `node:util` `parseArgs` failure into a one-line {@linkcode UserError}. */
export function argError(e: unknown, usage: string): UserError {
  const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
  return new UserError(`${msg}; usage: ${usage}`);
}

/** Where a command's output goes (tests capture it). */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Standard output and standard error. */
export const defaultIo: Io = { out: (t) => console.log(t), err: (t) => console.error(t) };

/**
 * `node:util` `parseArgs` whose failures become one-line {@linkcode UserError}s ending in `usage`.
 * An option given twice (`--lr 0.1 --lr 0.2`) is refused rather than silently taking the last.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCliArgs } from "./main.ts";
 * const usage = "deno task runs [--json] [--lr X]";
 * const options = { json: { type: "boolean" }, lr: { type: "string" } } as const;
 * const { values } = parseCliArgs({ args: ["--json", "--lr", "-1"], options }, usage);
 * assert.equal(values.json, true);
 * assert.equal(values.lr, "-1"); // a negative value stays with its option
 * assert.throws(() => parseCliArgs({ args: ["--jsn"], options }, usage), {
 *   name: "UserError",
 *   message: /^Unknown option '--jsn'.*; usage: deno task runs \[--json\] \[--lr X\]$/,
 * });
 * assert.throws(() => parseCliArgs({ args: ["--lr", "1", "--lr", "2"], options }, usage), {
 *   message: "--lr is given twice (1, 2); give it once",
 * });
 * ```
 */
export function parseCliArgs<T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ParsedResults<T> {
  let parsed;
  try {
    // Same options, with negative values kept with their keys (no `args`: parseArgs's default).
    const args = config.args && joinNegativeValues(config.args);
    parsed = parseArgs({ ...config, args, tokens: true } as T & { tokens: true });
  } catch (e) {
    throw argError(e, usage);
  }
  refuseRepeats(parsed.tokens ?? []);
  return parsed as unknown as ParsedResults<T>;
}

/**
 * Refuses an option that appears more than once among `parseArgs` tokens, naming its values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseArgs } from "node:util";
 * import { refuseRepeats } from "./main.ts";
 * const { tokens } = parseArgs({
 *   args: ["--lr", "0.1", "--lr", "0.2"], options: { lr: { type: "string" } }, tokens: true,
 * });
 * assert.throws(() => refuseRepeats(tokens), /--lr is given twice \(0.1, 0.2\); give it once/);
 * ```
 */
export function refuseRepeats(
  tokens: readonly { kind: string; name?: string; value?: unknown }[],
): void {
  const seen = new Map<string, string[]>();
  for (const t of tokens) {
    if (t.kind !== "option" || !t.name) continue;
    const values = seen.get(t.name) ?? [];
    values.push(t.value === undefined ? "" : String(t.value));
    seen.set(t.name, values);
  }
  for (const [name, values] of seen) {
    if (values.length > 1) {
      const shown = values.every((v) => v === "") ? "" : ` (${values.join(", ")})`;
      const times = values.length === 2 ? "twice" : `${values.length} times`;
      throw new UserError(`--${name} is given ${times}${shown}; give it once`);
    }
  }
}

/**
 * The folder the user ran the command from: `deno task` runs every task in the project root and
 * names the caller's folder in `INIT_CWD`.
 */
export function userCwd(): string {
  try {
    return Deno.env.get("INIT_CWD") || Deno.cwd();
  } catch {
    return Deno.cwd();
  }
}

/**
 * A path the user typed, resolved against the folder they typed it in ({@linkcode userCwd}), not
 * the project root where `deno task` runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { userPath } from "./main.ts";
 * assert.equal(userPath("/tmp/x"), "/tmp/x");
 * assert.ok(userPath("out").endsWith("/out"));
 * ```
 */
export function userPath(p: string): string {
  return isAbsolute(p) ? p : resolve(userCwd(), p);
}

/**
 * A path as the user should see it: relative to their folder when it lies inside it, else
 * absolute (so that it can be pasted into the next command from where they stand).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shownPath, userCwd } from "./main.ts";
 * assert.equal(shownPath(`${userCwd()}/results/x`), "results/x");
 * ```
 */
export function shownPath(p: string): string {
  const abs = resolve(p);
  const rel = relative(userCwd(), abs);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
}

/**
 * `--seed` as an integer in `[0, 2^32 - 1]` (the generator's seed range); else a one-line error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSeed } from "./main.ts";
 * assert.equal(parseSeed("7"), 7);
 * assert.throws(() => parseSeed("4294967297"), /--seed 4294967297: must be an integer in \[0, 4294967295\]/);
 * ```
 */
export function parseSeed(raw: string): number {
  const v = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(v) || v > 0xffffffff) {
    throw new UserError(`--seed ${raw}: must be an integer in [0, 4294967295]`);
  }
  return v;
}

/**
 * Joins an option and a negative number after it (`--lr -1` becomes `--lr=-1`), which `parseArgs`
 * would otherwise read as two options, so that a command's range check, not the parser, answers
 * the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { joinNegativeValues } from "./main.ts";
 * assert.equal(joinNegativeValues(["--lr", "-1", "-h"]).join(" "), "--lr=-1 -h");
 * ```
 */
export function joinNegativeValues(args: string[]): string[] {
  return args.reduce<string[]>((acc, a) => {
    const prev = acc.at(-1);
    if (/^-\d|^-\.\d/.test(a) && prev?.startsWith("--") && !prev.includes("=")) {
      acc[acc.length - 1] = `${prev}=${a}`;
    } else acc.push(a);
    return acc;
  }, []);
}

/**
 * The single run directory a command takes (trailing slashes dropped); anything else is a
 * {@linkcode UserError} ending in `usage`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneRunDir } from "./main.ts";
 * assert.equal(oneRunDir(["results/x/1/"], "usage"), "results/x/1");
 * ```
 */
export function oneRunDir(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UserError(`give one run directory; usage: ${usage}`);
  return positionals[0].replace(/\/+$/, "");
}
