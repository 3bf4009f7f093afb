/**
 * Downloading one file into place safely: fetch it, check its SHA-256, write it to a temporary
 * file in the destination folder, then rename it over the destination. A failed or corrupt
 * download never leaves a file (whole or partial) at the destination, nor a temporary file.
 *
 * @module
 */

import { dirname } from "node:path";
import { UserError } from "../core/errors.ts";
import { sha256Hex } from "../core/hash.ts";
import { oneLine } from "./files.ts";

/** A download that did not produce the expected bytes; `reason` is one line for the user. */
export class DownloadError extends Error {
  /** Why the download failed, e.g. `"HTTP 404 Not Found"`. */
  readonly reason: string;
  /** Creates the error; `reason` is also its message. */
  constructor(reason: string) {
    super(reason);
    this.name = "DownloadError";
    this.reason = reason;
  }
}

/** Options of {@linkcode downloadVerified}. */
export interface DownloadOptions {
  /** Give up after this many milliseconds (default 300,000). */
  timeoutMs?: number;
}

/**
 * Downloads `url` to `dest` if and only if its SHA-256 equals `sha256`, and returns the bytes.
 * Network, HTTP and checksum failures throw {@linkcode DownloadError}; a folder that cannot be
 * written throws a {@linkcode UserError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathToFileURL } from "node:url";
 * import { DownloadError, downloadVerified, sha256Hex } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * // Any URL fetch() takes, e.g. https://...; a file: URL keeps this example offline.
 * await Deno.writeTextFile(`${dir}/served.txt`, "the cat sat\n");
 * const url = pathToFileURL(`${dir}/served.txt`).href;
 * const sha256 = await sha256Hex("the cat sat\n");
 * const bytes = await downloadVerified(url, `${dir}/ptb/ptb.test.txt`, sha256);
 * assert.equal(bytes.length, 12);
 * assert.equal(await Deno.readTextFile(`${dir}/ptb/ptb.test.txt`), "the cat sat\n");
 * // Other bytes than expected: an error, and no file at the destination.
 * await assert.rejects(downloadVerified(url, `${dir}/bad.txt`, "0".repeat(64)), DownloadError);
 * await assert.rejects(Deno.stat(`${dir}/bad.txt`), Deno.errors.NotFound);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function downloadVerified(
  url: string,
  dest: string,
  sha256: string,
  options: DownloadOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await fetchBytes(url, options.timeoutMs ?? 300_000);
  const actual = await sha256Hex(bytes);
  if (actual !== sha256) {
    throw new DownloadError(
      `got ${bytes.length} bytes with SHA-256 ${actual}, expected ${sha256}: truncated or ` +
        `corrupt download, nothing was saved`,
    );
  }
  const dir = dirname(dest);
  let tmp: string | undefined;
  try {
    await Deno.mkdir(dir, { recursive: true });
    tmp = await Deno.makeTempFile({
      dir,
      prefix: `.${dest.split(/[\\/]/).pop()}.`,
      suffix: ".tmp",
    });
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, dest);
    tmp = undefined;
  } catch (e) {
    throw new UserError(`cannot save ${dest} (${oneLine(e)}); check that ${dir} is writable`);
  } finally {
    if (tmp !== undefined) await Deno.remove(tmp).catch(() => {});
  }
  return bytes;
}

/**
 * Fetches `url` whole, giving up after `timeoutMs`; network and HTTP failures throw
 * {@linkcode DownloadError}. For a download whose checksum is known only after unpacking (a zip).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathToFileURL } from "node:url";
 * import { DownloadError, fetchBytes } from "@rnnlab/rnnlab";
 * const dir = await Deno.makeTempDir();
 * // e.g. https://www.aozora.gr.jp/cards/000148/files/773_ruby_5968.zip; here a local file: URL.
 * await Deno.writeFile(`${dir}/773_ruby_5968.zip`, new Uint8Array([0x50, 0x4b, 5, 6]));
 * const zip = await fetchBytes(pathToFileURL(`${dir}/773_ruby_5968.zip`).href, 60_000);
 * assert.deepEqual(Array.from(zip), [0x50, 0x4b, 5, 6]);
 * const missing = pathToFileURL(`${dir}/none.zip`).href;
 * await assert.rejects(fetchBytes(missing, 60_000), DownloadError);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function fetchBytes(
  url: string,
  timeoutMs: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: abort.signal });
    } catch (e) {
      throw new DownloadError(abort.signal.aborted ? `no answer in ${timeoutMs} ms` : oneLine(e));
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new DownloadError(`HTTP ${res.status} ${res.statusText}`.trim());
    }
    try {
      return new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      throw new DownloadError(
        abort.signal.aborted ? `not complete after ${timeoutMs} ms` : oneLine(e),
      );
    }
  } finally {
    clearTimeout(timer);
  }
}
