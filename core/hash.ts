/**
 * SHA-256 of bytes or text as lowercase hex, via WebCrypto (`crypto.subtle.digest`).
 *
 * @module
 */

/**
 * Returns the SHA-256 digest of `data` (text is hashed as UTF-8) as 64 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "@rnnlab/rnnlab";
 * const h = await sha256Hex(new TextEncoder().encode("abc"));
 * assert.ok(h.startsWith("ba7816bf"));
 * ```
 */
export async function sha256Hex(data: Uint8Array<ArrayBuffer> | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
