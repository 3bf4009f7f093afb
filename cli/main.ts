/**
 * The shared wrapper of every command-line entry point: a {@linkcode UserError} becomes one line
 * on stderr and a non-zero exit, without a stack trace.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "../core/errors.ts";

type ParsedResults<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * Runs `main`, exits with its return code; user errors print `error: <message>` and exit non-zero.
 *
 * @example
 * ```ts ignore
 * if (import.meta.main) await runCli(() => main(Deno.args));
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
      console.error(`error: ${e.message}; run the command through \`deno task\``);
      Deno.exit(2);
    }
    throw e;
  }
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
 *
 * @example
 * ```ts ignore
 * const { values } = parseCliArgs({ args, options: { json: { type: "boolean" } } }, "deno task runs [--json]");
 * ```
 */
export function parseCliArgs<T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ParsedResults<T> {
  try {
    // Same options, with negative values kept with their keys (no `args`: parseArgs's default).
    const args = config.args && joinNegativeValues(config.args);
    return parseArgs({ ...config, args } as T);
  } catch (e) {
    throw argError(e, usage);
  }
}

/**
 * Joins an option and a negative number after it (`--lr -1` becomes `--lr=-1`), which `parseArgs`
 * would otherwise read as two options, so that a command's range check, not the parser, answers
 * the value.
 *
 * @example
 * ```ts
 * import { joinNegativeValues } from "./main.ts";
 * console.assert(joinNegativeValues(["--lr", "-1", "-h"]).join(" ") === "--lr=-1 -h");
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
 * import { oneRunDir } from "./main.ts";
 * console.assert(oneRunDir(["results/x/1/"], "usage") === "results/x/1");
 * ```
 */
export function oneRunDir(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UserError(`give one run directory; usage: ${usage}`);
  return positionals[0].replace(/\/+$/, "");
}
