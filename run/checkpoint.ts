/**
 * Checkpoints: a model's parameters and carried state plus the run's position, in one
 * [safetensors](https://huggingface.co/docs/safetensors) file that NumPy and PyTorch read directly.
 *
 * Layout (all integers little-endian):
 *
 * | bytes | content |
 * |---|---|
 * | 0–7 | u64 header length `N` |
 * | 8 … 8+N | UTF-8 JSON header, space-padded so that the data starts at a multiple of 8 |
 * | 8+N … | tensor data: float32, row-major, in header order, back to back |
 *
 * The header maps each tensor's name to `{ dtype: "F32", shape, data_offsets: [begin, end] }`
 * (byte offsets into the data) and keeps rnnlab's own fields, as strings, in `__metadata__`:
 * `format` (`"rnnlab"`), `rnnlab.version` (`"2"`), `rnnlab.meta` (JSON: the run's position) and,
 * last, `rnnlab.sha256`: the SHA-256 of the whole file with those 64 hex digits written as zeros.
 * The checksum thus covers the header (names, shapes, offsets, dtype, metadata) as well as the
 * data, and {@linkcode loadCheckpoint} refuses a file in which any byte changed.
 *
 * Files of the first format (magic `RNNLABCK`, version 1, whose checksum covered only the data)
 * still load.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import type { Param } from "../core/param.ts";
import { sha256Hex } from "../core/hash.ts";
import { writeFileAtomic } from "../core/files.ts";

/** A named tensor in a checkpoint. */
export interface Tensor {
  /** The name it is saved and looked up under, e.g. a parameter's name such as `"embed.W"`. */
  name: string;
  /** Dimensions, e.g. `[V, D]` for an embedding matrix. */
  shape: number[];
  /** The values, row-major. */
  data: Float32Array;
}

/** A loaded checkpoint. */
export interface Checkpoint {
  /** The tensors by name. */
  tensors: Map<string, Tensor>;
  /** The JSON metadata saved with them (e.g. the trainer's position). */
  meta: Record<string, unknown>;
  /** `"safetensors"`, or `"rnnlab-v1"` for a file of the first format. */
  format: "safetensors" | "rnnlab-v1";
}

const SHA_KEY = "rnnlab.sha256";
const ZEROS = "0".repeat(64);
const MAX_HEADER = 100_000_000;

/**
 * The bytes of a checkpoint holding `tensors` and `meta` (any JSON).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeCheckpoint, encodeCheckpoint } from "@rnnlab/rnnlab";
 * const w = { name: "w", shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) };
 * const bytes = await encodeCheckpoint([w], { epoch: 3 });
 * const back = await decodeCheckpoint(bytes, "w.safetensors");
 * assert.deepEqual(Array.from(back.tensors.get("w")!.data), [1, 2, 3, 4]);
 * assert.deepEqual(back.meta, { epoch: 3 });
 * ```
 */
export async function encodeCheckpoint(
  tensors: Tensor[],
  meta: Record<string, unknown>,
): Promise<Uint8Array<ArrayBuffer>> {
  const header: Record<string, unknown> = {};
  let bytes = 0;
  for (const t of tensors) {
    if (t.name === "__metadata__" || t.name in header) {
      throw new Error(`checkpoint: duplicate or reserved tensor name ${t.name}`);
    }
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) {
      throw new Error(`checkpoint: ${t.name} has ${t.data.length} values, shape needs ${size}`);
    }
    header[t.name] = { dtype: "F32", shape: t.shape, data_offsets: [bytes, bytes + size * 4] };
    bytes += size * 4;
  }
  header.__metadata__ = {
    format: "rnnlab",
    "rnnlab.version": "2",
    "rnnlab.meta": JSON.stringify(meta),
    [SHA_KEY]: ZEROS, // last, replaced by the digest below
  };
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  json += " ".repeat((8 - ((8 + enc.encode(json).length) % 8)) % 8);
  const head = enc.encode(json);
  const out = new Uint8Array(8 + head.length + bytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  const data = new Float32Array(out.buffer, 8 + head.length, bytes / 4);
  let off = 0;
  for (const t of tensors) {
    data.set(t.data, off);
    off += t.data.length;
  }
  const at = 8 + json.lastIndexOf(`"${SHA_KEY}":"${ZEROS}"`) + SHA_KEY.length + 4;
  out.set(enc.encode(await sha256Hex(out)), at);
  return out;
}

/**
 * Saves tensors and metadata to `path` atomically (see `core/files.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint, saveCheckpoint } from "@rnnlab/rnnlab";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveCheckpoint(path, [{ name: "b", shape: [3], data: new Float32Array(3).fill(0.5) }], {});
 * assert.deepEqual((await loadCheckpoint(path)).tensors.get("b")!.shape, [3]);
 * await Deno.remove(path);
 * ```
 */
export async function saveCheckpoint(
  path: string,
  tensors: Tensor[],
  meta: Record<string, unknown>,
): Promise<void> {
  await writeFileAtomic(path, await encodeCheckpoint(tensors, meta));
}

/**
 * Loads and verifies a checkpoint; a missing file or one whose checksum, header or layout is
 * wrong is a {@linkcode UserError} naming it.
 */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    throw new UserError(
      `checkpoint ${path} not found; checkpoints are not committed, so resume or sample a run on the machine that made it, or start a new run`,
    );
  }
  return await decodeCheckpoint(bytes, path);
}

/**
 * Verifies and decodes checkpoint `bytes` read from `path` (named in errors). Every tensor must be
 * float32, its shape must match its byte length, and the tensors must tile the data exactly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeCheckpoint, encodeCheckpoint, UserError } from "@rnnlab/rnnlab";
 * const bytes = await encodeCheckpoint([{ name: "w", shape: [1], data: Float32Array.of(7) }], {});
 * bytes[20] ^= 1; // one bit of the header
 * await assert.rejects(decodeCheckpoint(bytes, "w.safetensors"), UserError);
 * ```
 */
export async function decodeCheckpoint(
  bytes: Uint8Array<ArrayBuffer>,
  path: string,
): Promise<Checkpoint> {
  const bad = (why: string) => new UserError(`checkpoint ${path} is damaged (${why})`);
  if (bytes.length >= 8 && new TextDecoder().decode(bytes.subarray(0, 8)) === "RNNLABCK") {
    return await decodeV1(bytes, bad);
  }
  if (bytes.length < 8) throw bad("shorter than a header");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) throw bad("truncated header");
  const headLen = Number(n);
  const json = new TextDecoder().decode(bytes.subarray(8, 8 + headLen));
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(json);
  } catch {
    throw bad("header is not valid JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw bad("header is not an object");
  }
  const metadata = header.__metadata__ as Record<string, unknown> | undefined;
  const sha = metadata?.[SHA_KEY];
  if (typeof sha !== "string" || !/^[0-9a-f]{64}$/.test(sha)) throw bad("no checksum");
  const at = json.lastIndexOf(`"${SHA_KEY}":"${sha}"`);
  if (at < 0) throw bad("checksum not where it belongs");
  const copy = bytes.slice();
  const start = 8 + new TextEncoder().encode(json.slice(0, at)).length + SHA_KEY.length + 4;
  copy.set(new TextEncoder().encode(ZEROS), start);
  if ((await sha256Hex(copy)) !== sha) throw bad("checksum mismatch");
  if (metadata?.format !== "rnnlab") throw bad("not an rnnlab checkpoint");
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(String(metadata["rnnlab.meta"] ?? "{}"));
  } catch {
    throw bad("metadata is not valid JSON");
  }

  const dataStart = 8 + headLen, dataLen = bytes.length - dataStart;
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (t?.dtype !== "F32") throw bad(`${name}: dtype ${JSON.stringify(t?.dtype)}, not F32`);
    const shape = t.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw bad(`${name}: shape ${JSON.stringify(shape)}`);
    }
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(Number.isInteger)) {
      throw bad(`${name}: data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as number[];
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (begin < 0 || end > dataLen || end - begin !== size * 4) {
      throw bad(`${name}: offsets [${begin}, ${end}] do not hold shape [${shape}] of float32`);
    }
    entries.push({ name, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin !== cursor) throw bad(`${e.name} does not start where the previous tensor ends`);
    cursor = e.end;
  }
  if (cursor !== dataLen) throw bad(`${dataLen - cursor} bytes after the last tensor`);
  // Float32Array views need 4-byte alignment; a file written elsewhere may not have it.
  const floats = dataStart % 4 === 0
    ? new Float32Array(bytes.buffer, bytes.byteOffset + dataStart, dataLen / 4)
    : new Float32Array(bytes.slice(dataStart).buffer);
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    tensors.set(e.name, {
      name: e.name,
      shape: e.shape,
      data: floats.subarray(e.begin / 4, e.end / 4),
    });
  }
  return { tensors, meta, format: "safetensors" };
}

/** The first format: `RNNLABCK`, u32 version 1, u32 header length, JSON header, float32 data. */
async function decodeV1(
  bytes: Uint8Array<ArrayBuffer>,
  bad: (why: string) => UserError,
): Promise<Checkpoint> {
  if (bytes.length < 16) throw bad("truncated header");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(8, true) !== 1) throw bad(`unknown version ${dv.getUint32(8, true)}`);
  const headLen = dv.getUint32(12, true);
  if (16 + headLen > bytes.length) throw bad("truncated header");
  let header: {
    dtype?: unknown;
    tensors?: { name: string; shape: number[]; offset: number; length: number }[];
    data_sha256?: unknown;
    meta?: Record<string, unknown>;
  };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headLen)));
  } catch {
    throw bad("header is not JSON");
  }
  if (header.dtype !== "float32") throw bad(`dtype ${JSON.stringify(header.dtype)}`);
  const data = bytes.slice(16 + headLen);
  if ((await sha256Hex(data)) !== header.data_sha256) throw bad("checksum mismatch");
  if (data.length % 4 !== 0 || !Array.isArray(header.tensors)) throw bad("bad layout");
  const floats = new Float32Array(data.buffer, 0, data.length / 4);
  const tensors = new Map<string, Tensor>();
  for (const t of header.tensors) {
    const size = Array.isArray(t.shape) ? t.shape.reduce((a, b) => a * b, 1) : -1;
    if (
      !Number.isInteger(t.offset) || t.offset % 4 !== 0 || t.length !== size ||
      t.offset + 4 * t.length > data.length
    ) throw bad(`${t.name}: offset ${t.offset}, length ${t.length}, shape [${t.shape}]`);
    tensors.set(t.name, {
      name: t.name,
      shape: t.shape,
      data: floats.subarray(t.offset / 4, t.offset / 4 + t.length),
    });
  }
  return { tensors, meta: header.meta ?? {}, format: "rnnlab-v1" };
}

/**
 * The parameters as checkpoint tensors (views, not copies).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Param, paramTensors } from "@rnnlab/rnnlab";
 * const [t] = paramTensors([new Param("embed.W", [3, 2])]);
 * assert.deepEqual([t.name, t.shape, t.data.length], ["embed.W", [3, 2], 6]);
 * ```
 */
export function paramTensors(params: Param[]): Tensor[] {
  return params.map((p) => ({ name: p.name, shape: [...p.shape], data: p.value }));
}

/**
 * Copies checkpoint values into `params` (in place). Every parameter must be in the file with
 * its exact shape and length, and every tensor of the file (but the carried `state.*`) must be a
 * parameter of the model; otherwise a {@linkcode UserError} says which, before anything is copied.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeCheckpoint, encodeCheckpoint, Param, paramTensors, restoreParams } from "@rnnlab/rnnlab";
 * const saved = new Param("w", [2], Float32Array.of(1, 2));
 * const ckpt = await decodeCheckpoint(await encodeCheckpoint(paramTensors([saved]), {}), "w");
 * const fresh = new Param("w", [2]);
 * restoreParams([fresh], ckpt);
 * assert.deepEqual(Array.from(fresh.value), [1, 2]);
 * ```
 */
export function restoreParams(params: Param[], ckpt: Checkpoint, path = "checkpoint"): void {
  const names = new Set(params.map((p) => p.name));
  for (const name of ckpt.tensors.keys()) {
    if (!names.has(name) && !name.startsWith("state.")) {
      throw new UserError(
        `${path} has a tensor ${name} that the model does not have; was it made by another model?`,
      );
    }
  }
  for (const p of params) {
    const t = ckpt.tensors.get(p.name);
    if (!t) {
      throw new UserError(`${path} has no parameter ${p.name}; was it made by another model?`);
    }
    if (t.shape.join(",") !== p.shape.join(",") || t.data.length !== p.size) {
      throw new UserError(
        `${path}: ${p.name} has shape [${t.shape}] but the model needs [${p.shape}]; the checkpoint comes from a model of other sizes`,
      );
    }
  }
  for (const p of params) p.value.set(ckpt.tensors.get(p.name)!.data);
}
