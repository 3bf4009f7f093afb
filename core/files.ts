/**
 * Writing files so that a reader never sees half of one, and write failures the user can act on.
 *
 * {@linkcode writeFileAtomic} writes a temporary file beside the target, flushes it and renames it
 * over the target; when anything fails, the temporary file is removed and the target is left as it
 * was. {@linkcode writeError} turns the error of a failed write into one line that says what to do:
 * a full disk, a read-only file system, a missing permission.
 *
 * @module
 */

import { UserError } from "./errors.ts";

/** Why a write failed, read from the error's `code`; null when it is none of these. */
export type WriteProblem = "full" | "read-only" | "permission" | "missing" | null;

/**
 * Classifies a write error by its system error code (`ENOSPC`, `EDQUOT`, `EROFS`, `EACCES`,
 * `EPERM`, `ENOENT`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeProblem } from "@rnnlab/rnnlab";
 * assert.equal(writeProblem(Object.assign(new Error("x"), { code: "ENOSPC" })), "full");
 * assert.equal(writeProblem(new Deno.errors.NotFound("x")), "missing");
 * ```
 */
export function writeProblem(e: unknown): WriteProblem {
  const code = (e as { code?: string })?.code;
  if (code === "ENOSPC" || code === "EDQUOT") return "full";
  if (code === "EROFS") return "read-only";
  if (
    code === "EACCES" || code === "EPERM" || e instanceof Deno.errors.PermissionDenied ||
    e instanceof Deno.errors.NotCapable
  ) return "permission";
  if (code === "ENOENT" || e instanceof Deno.errors.NotFound) return "missing";
  return null;
}

/**
 * A one-line {@linkcode UserError} for a failed write of `path`, ending in `advice` (what to free
 * or where to write instead; a function of the {@linkcode WriteProblem} to fit the reason).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeError } from "@rnnlab/rnnlab";
 * const e = writeError("out/run.json", Object.assign(new Error("x"), { code: "ENOSPC" }), "free space");
 * assert.equal(e.message, "cannot write out/run.json: the disk is full; free space");
 * ```
 */
export function writeError(
  path: string,
  e: unknown,
  advice: string | ((problem: WriteProblem) => string),
): UserError {
  if (e instanceof UserError) return e;
  const problem = writeProblem(e);
  const why = problem === "full"
    ? "the disk is full"
    : problem === "read-only"
    ? "the file system is read-only"
    : problem === "permission"
    ? "permission denied"
    : problem === "missing"
    ? "its folder does not exist"
    : (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, " ");
  const todo = typeof advice === "string" ? advice : advice(problem);
  return new UserError(`cannot write ${path}: ${why}; ${todo}`);
}

/** The temporary name a write of `path` goes to before its rename. */
function tempName(path: string): string {
  return `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder, flushed, then renamed
 * over `path`. On failure the temporary file is removed, `path` is unchanged, and the error is
 * rethrown as it came (see {@linkcode writeError} to report it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.json`, '{"ok":true}');
 * assert.equal(await Deno.readTextFile(`${dir}/a.json`), '{"ok":true}');
 * await assert.rejects(writeFileAtomic(dir, "x")); // a folder cannot be replaced by a file
 * assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["a.json"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempName(path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const f = await Deno.open(tmp, { write: true, createNew: true });
    try {
      let off = 0;
      while (off < bytes.length) off += await f.write(bytes.subarray(off));
      await f.sync();
    } finally {
      f.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * {@linkcode writeFileAtomic} without awaiting: for the few writes a synchronous loop makes (a
 * run's heartbeat between two iterations).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomicSync } from "@rnnlab/rnnlab";
 * const dir = Deno.makeTempDirSync();
 * writeFileAtomicSync(`${dir}/b.txt`, "two");
 * assert.equal(Deno.readTextFileSync(`${dir}/b.txt`), "two");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const tmp = tempName(path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const f = Deno.openSync(tmp, { write: true, createNew: true });
    try {
      let off = 0;
      while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
      f.syncSync();
    } finally {
      f.close();
    }
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* never created */ }
    throw e;
  }
}
