/**
 * The shared wrapper of every command-line entry point: a {@linkcode UserError} becomes one line
 * on stderr and a non-zero exit, without a stack trace.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";

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
