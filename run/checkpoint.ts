/**
 * Checkpoint files: a model's parameters and carried state plus the run's position, in one
 * binary file.
 *
 * Layout (all integers little-endian):
 *
 * | bytes | content |
 * |---|---|
 * | 0–7 | magic `RNNLABCK` |
 * | 8–11 | u32 format version (1) |
 * | 12–15 | u32 header length `H` in bytes |
 * | 16 … 16+H | UTF-8 JSON header, space-padded to a multiple of 4 |
 * | 16+H … | tensor data: float32, row-major, in header order |
 *
 * The header is `{ dtype: "float32", tensors: [{ name, shape, offset, length }], data_sha256, meta }`
 * where `offset` counts bytes from the start of the data section and `meta` is any JSON (the
 * trainer's position, the RNG state, the learning rate). Files are written atomically and their
 * checksum is verified on load.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import type { Param } from "../core/param.ts";
import { sha256Hex } from "../core/hash.ts";
import { writeFileAtomic } from "./record.ts";

const MAGIC = "RNNLABCK";
const VERSION = 1;

/** A named tensor in a checkpoint. */
export interface Tensor {
  /** The name it is saved and looked up under, e.g. a parameter's name such as `"embed.W"`. */
  name: string;
  /** Dimensions, e.g. `[V, D]` for an embedding matrix. */
  shape: number[];
  /** The values, row-major (after loading: a view into the file's data). */
  data: Float32Array;
}

/** A loaded checkpoint. */
export interface Checkpoint {
  /** The tensors by name. */
  tensors: Map<string, Tensor>;
  /** The JSON metadata saved with them (e.g. the trainer's position). */
  meta: Record<string, unknown>;
}

/**
 * Saves tensors and metadata to `path` atomically.
 *
 * @example
 * ```ts ignore
 * await saveCheckpoint("run/checkpoints/last.ckpt", paramTensors(model.params), { epoch: 3 });
 * ```
 */
export async function saveCheckpoint(
  path: string,
  tensors: Tensor[],
  meta: Record<string, unknown>,
): Promise<void> {
  let bytes = 0;
  const entries = tensors.map((t) => {
    const e = { name: t.name, shape: t.shape, offset: bytes, length: t.data.length };
    bytes += t.data.length * 4;
    return e;
  });
  const data = new Uint8Array(bytes);
  const view = new Float32Array(data.buffer);
  for (let i = 0; i < tensors.length; i++) view.set(tensors[i].data, entries[i].offset / 4);
  const header = { dtype: "float32", tensors: entries, data_sha256: await sha256Hex(data), meta };
  let json = JSON.stringify(header);
  json += " ".repeat((4 - (new TextEncoder().encode(json).length % 4)) % 4);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(16 + head.length + data.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, VERSION, true);
  dv.setUint32(12, head.length, true);
  out.set(head, 16);
  out.set(data, 16 + head.length);
  await writeFileAtomic(path, out);
}

/** Loads and verifies a checkpoint; a damaged file is a {@linkcode UserError} naming it. */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    throw new UserError(
      `checkpoint ${path} not found; checkpoints are not committed, so resume or sample a run on the machine that made it, or start a new run`,
    );
  }
  const bad = (why: string) => new UserError(`checkpoint ${path} is damaged (${why})`);
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw bad("not an rnnlab checkpoint");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(8, true) !== VERSION) throw bad(`unknown version ${dv.getUint32(8, true)}`);
  const headLen = dv.getUint32(12, true);
  if (16 + headLen > bytes.length) throw bad("truncated header");
  let header: {
    tensors: { name: string; shape: number[]; offset: number; length: number }[];
    data_sha256: string;
    meta: Record<string, unknown>;
  };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headLen)));
  } catch {
    throw bad("header is not JSON");
  }
  const data = bytes.slice(16 + headLen);
  if ((await sha256Hex(data)) !== header.data_sha256) throw bad("checksum mismatch");
  const floats = new Float32Array(data.buffer, 0, data.length / 4);
  const tensors = new Map<string, Tensor>();
  for (const t of header.tensors) {
    tensors.set(t.name, {
      name: t.name,
      shape: t.shape,
      data: floats.subarray(t.offset / 4, t.offset / 4 + t.length),
    });
  }
  return { tensors, meta: header.meta };
}

/** The parameters as checkpoint tensors (views, not copies). */
export function paramTensors(params: Param[]): Tensor[] {
  return params.map((p) => ({ name: p.name, shape: [...p.shape], data: p.value }));
}

/**
 * Copies checkpoint values into `params` (in place), checking that every name and shape matches.
 */
export function restoreParams(params: Param[], ckpt: Checkpoint, path = "checkpoint"): void {
  for (const p of params) {
    const t = ckpt.tensors.get(p.name);
    if (!t) {
      throw new UserError(`${path} has no parameter ${p.name}; was it made by another model?`);
    }
    if (t.shape.join(",") !== p.shape.join(",")) {
      throw new UserError(
        `${path}: ${p.name} has shape [${t.shape}] but the model needs [${p.shape}]; the checkpoint comes from a model of other sizes`,
      );
    }
    p.value.set(t.data);
  }
}
