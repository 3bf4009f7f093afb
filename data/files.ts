/**
 * Reading files for the data layer, with failures turned into one-line messages for the user:
 * a missing or unreadable file, or bytes that are not UTF-8.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";

/**
 * Reads a whole file as bytes; a missing, unreadable or forbidden file is a
 * {@linkcode UserError} that names it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBytes } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/corpus.txt`, "the cat sat\n");
 * const bytes = await readBytes(`${dir}/corpus.txt`);
 * assert.equal(new TextDecoder().decode(bytes), "the cat sat\n");
 * await assert.rejects(readBytes(`${dir}/missing.txt`), {
 *   name: "UserError",
 *   message: `file not found: ${dir}/missing.txt`,
 * });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readBytes(path: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw readError(path, e);
  }
}

/**
 * Turns an error thrown while reading `path` into a one-line {@linkcode UserError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readError } from "@rnnlab/rnnlab";
 * const e = readError("a.txt", new Deno.errors.NotFound("x"));
 * assert.equal(e.message, "file not found: a.txt");
 * ```
 */
export function readError(path: string, e: unknown): UserError {
  if (e instanceof UserError) return e;
  if (e instanceof Deno.errors.NotFound) return new UserError(`file not found: ${path}`);
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
    return new UserError(`no permission to read ${path} (run with --allow-read)`);
  }
  if (e instanceof Deno.errors.IsADirectory) {
    return new UserError(`${path} is a folder, not a text file`);
  }
  return new UserError(`cannot read ${path}: ${oneLine(e)}`);
}

/**
 * Checks that `bytes` are valid UTF-8 (strict decoding); otherwise a {@linkcode UserError}
 * naming `path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertUtf8 } from "@rnnlab/rnnlab";
 * assertUtf8(new TextEncoder().encode("猫 です"), "ok.txt"); // passes
 * let failed = false;
 * try { assertUtf8(new Uint8Array([0xff, 0x41]), "bad.txt"); } catch { failed = true; }
 * assert.ok(failed);
 * ```
 */
export function assertUtf8(bytes: Uint8Array, path: string): void {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${path} is not valid UTF-8 text; convert it to UTF-8 first`);
  }
}

/**
 * The message of any thrown value, on one line (for embedding in a {@linkcode UserError}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneLine } from "@rnnlab/rnnlab";
 * assert.equal(oneLine(new Error("a\nb")), "a b");
 * ```
 */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, " ").trim();
}
