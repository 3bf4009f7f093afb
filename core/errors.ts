/**
 * Errors meant for the person at the keyboard.
 *
 * A {@linkcode UserError} carries one line that says what went wrong and what to do about it. The
 * command-line entry points print its message alone (no stack trace) and exit non-zero; anything
 * else that escapes is a bug and keeps its stack.
 *
 * @module
 */

/**
 * An error caused by the user's input or environment (a missing library, a corrupt file, a bad
 * option), whose message is one line that says what to do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UserError } from "@rnnlab/rnnlab";
 * try {
 *   throw new UserError("unknown experiment 'ch99'; available: ch05_simple_rnnlm");
 * } catch (e) {
 *   assert.ok(e instanceof UserError);
 * }
 * ```
 */
export class UserError extends Error {
  /** The process exit code the command line uses for this error. */
  readonly exitCode: number;
  /** Creates the error from a one-line `message` and the process exit code to use (default 2). */
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}
