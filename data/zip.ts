/**
 * Reading a zip archive (PKWARE's APPNOTE format) in memory: the files Aozora Bunko distributes
 * (`<id>.zip`, one Shift_JIS text and sometimes images) are plain zips, so the central
 * directory, the local headers, the "stored" and "deflate" methods and a CRC-32 check are all
 * that is needed. Deflate goes through the web platform's `DecompressionStream("deflate-raw")`.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";

/** One file of a zip archive. */
export interface ZipEntry {
  /** The name stored in the archive (UTF-8 if flagged so, else read as Shift_JIS / CP437 bytes). */
  name: string;
  /** The file's bytes, decompressed and CRC-checked. */
  bytes: Uint8Array<ArrayBuffer>;
}

const EOCD = 0x06054b50; // end of central directory
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * The files of a zip archive (folders left out), in the archive's order. A damaged or
 * unsupported archive is a {@linkcode UserError} naming `label`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readZip } from "@rnnlab/rnnlab";
 * // A zip of one stored file "a.txt" holding "hi".
 * const zip = Uint8Array.from(atob(
 *   "UEsDBBQAAAAAAAAAIQCsKpPYAgAAAAIAAAAFAAAAYS50eHRoaVBLAQIUAxQAAAAAAAAAIQCsKpPYAgAAAAIAAAAFAAAAAAAAAAAAAACAAQAAAABhLnR4dFBLBQYAAAAAAQABADMAAAAlAAAAAAA=",
 * ), (c) => c.charCodeAt(0));
 * const [entry] = await readZip(zip, "tiny.zip");
 * assert.equal(entry.name, "a.txt");
 * assert.equal(new TextDecoder().decode(entry.bytes), "hi");
 * ```
 */
export async function readZip(bytes: Uint8Array, label: string): Promise<ZipEntry[]> {
  const bad = (why: string) => new UserError(`${label} is not a readable zip archive (${why})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is the last 22 bytes plus a comment of at most 65,535 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad("no end-of-archive record: truncated, or not a zip");
  const count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== CENTRAL) {
      throw bad("damaged central directory");
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const packed = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const rawName = bytes.subarray(p + 46, p + 46 + nameLen);
    const name = new TextDecoder(flags & 0x800 ? "utf-8" : "shift_jis").decode(rawName);
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith("/")) continue;
    if (flags & 1) throw bad(`${name} is encrypted`);
    if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) {
      throw bad(`damaged local header of ${name}`);
    }
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + packed > bytes.length) throw bad(`${name} is cut short`);
    const data = bytes.subarray(start, start + packed);
    let out: Uint8Array<ArrayBuffer>;
    if (method === 0) out = data.slice();
    else if (method === 8) {
      try {
        out = await inflateRaw(data);
      } catch {
        throw bad(`${name} does not decompress`);
      }
    } else throw bad(`${name} uses compression method ${method}; only stored and deflate are read`);
    if (out.length !== size || crc32(out) !== crc) throw bad(`${name} fails its CRC-32 check`);
    entries.push({ name, bytes: out });
  }
  return entries;
}

async function inflateRaw(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

let table: Uint32Array | null = null;

/**
 * The CRC-32 of `bytes` (the zip / PNG / gzip polynomial 0xEDB88320), as an unsigned integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc32 } from "@rnnlab/rnnlab";
 * assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  if (table === null) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
