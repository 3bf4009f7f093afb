/**
 * Checkpoints: safetensors files whose checksum covers every byte, header included; restoring one
 * checks every tensor against the model; files of the first format still load; and NumPy reads
 * them with the three lines the README shows.
 */
import assert from "node:assert/strict";
import {
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  paramTensors,
  restoreParams,
  saveCheckpoint,
} from "../run/checkpoint.ts";
import { Param } from "../core/param.ts";
import { UserError } from "../core/errors.ts";
import { sha256Hex } from "../core/hash.ts";
import { tempDir } from "./fixtures.ts";

const tensors = () => [
  { name: "embed.W", shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
  { name: "rnn.b", shape: [2], data: Float32Array.from([-0.5, 0.25]) },
];
const meta = { trainer: { timeIdx: 3280, epoch: 2 }, note: "x" };

const damaged = (e: unknown) => e instanceof UserError && /is damaged/.test(e.message);

Deno.test("a checkpoint is a safetensors file: u64 header length, JSON header with F32 tensors and string metadata, data at a multiple of 8", async () => {
  const bytes = await encodeCheckpoint(tensors(), meta);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header["embed.W"], { dtype: "F32", shape: [3, 2], data_offsets: [0, 24] });
  assert.deepEqual(header["rnn.b"], { dtype: "F32", shape: [2], data_offsets: [24, 32] });
  const md = header.__metadata__;
  assert.equal(md.format, "rnnlab");
  assert.deepEqual(JSON.parse(md["rnnlab.meta"]), meta);
  assert.ok(Object.values(md).every((v) => typeof v === "string"));
  assert.equal(bytes.length, 8 + n + 32);
  // The checksum is the SHA-256 of the file with its own 64 digits written as zeros.
  const zeroed = bytes.slice();
  const at = 8 + new TextDecoder().decode(bytes.subarray(8, 8 + n)).indexOf(md["rnnlab.sha256"]);
  zeroed.set(new TextEncoder().encode("0".repeat(64)), at);
  assert.equal(await sha256Hex(zeroed), md["rnnlab.sha256"]);
  const back = await decodeCheckpoint(bytes, "a.safetensors");
  assert.deepEqual(Array.from(back.tensors.get("rnn.b")!.data), [-0.5, 0.25]);
  assert.deepEqual(back.meta, meta);
  assert.equal(back.format, "safetensors");
});

Deno.test("one changed byte anywhere, header or data, is refused", async () => {
  const bytes = await encodeCheckpoint(tensors(), meta);
  const text = new TextDecoder().decode(bytes);
  // The run's position: "timeIdx":3280 becomes 2280, still valid JSON.
  const at = text.indexOf('"timeIdx":3280') + '"timeIdx":'.length;
  const flips: [string, number, number][] = [
    ["position in the metadata", at, 0x01], // '3' (0x33) -> '2' (0x32)
    ["a tensor's offset", text.indexOf('"data_offsets":[24') + 16, 0x01], // 2 -> 3
    ["the dtype", text.indexOf('"F32"') + 1, 0x20], // F -> f
    ["a float of the data", bytes.length - 3, 0x01],
    ["the length field", 0, 0x08],
  ];
  for (const [what, pos, mask] of flips) {
    const copy = bytes.slice();
    copy[pos] ^= mask;
    await assert.rejects(decodeCheckpoint(copy, "x.safetensors"), damaged, what);
  }
  await assert.rejects(decodeCheckpoint(bytes.subarray(0, 20).slice(), "x"), damaged);
});

Deno.test("a header that is consistent but wrong is refused: dtype, shape against length, gaps and overlaps", async () => {
  // Forge files whose checksum is right, so that only the layout checks can refuse them.
  const forge = async (header: Record<string, unknown>, data: Uint8Array) => {
    const h = {
      ...header,
      __metadata__: { format: "rnnlab", "rnnlab.meta": "{}", "rnnlab.sha256": "0".repeat(64) },
    };
    let json = JSON.stringify(h);
    json += " ".repeat((8 - ((8 + json.length) % 8)) % 8);
    const head = new TextEncoder().encode(json);
    const out = new Uint8Array(8 + head.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
    out.set(head, 8);
    out.set(data, 8 + head.length);
    const sha = await sha256Hex(out);
    out.set(new TextEncoder().encode(sha), 8 + json.lastIndexOf("0".repeat(64)));
    return out;
  };
  const data = new Uint8Array(16);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["gloat32", { w: { dtype: "gloat32", shape: [4], data_offsets: [0, 16] } }, /dtype "gloat32"/],
    [
      "shape",
      { w: { dtype: "F32", shape: [5], data_offsets: [0, 16] } },
      /do not hold shape \[5\]/,
    ],
    ["gap", {
      a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
      b: { dtype: "F32", shape: [2], data_offsets: [8, 16] },
    }, /does not start where the previous tensor ends/],
    ["overlap", {
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "F32", shape: [3], data_offsets: [4, 16] },
    }, /does not start where the previous tensor ends/],
    [
      "tail",
      { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } },
      /8 bytes after the last tensor/,
    ],
  ];
  for (const [what, header, re] of cases) {
    await assert.rejects(
      decodeCheckpoint(await forge(header, data), "f.safetensors"),
      (e: unknown) => damaged(e) && re.test((e as Error).message),
      what,
    );
  }
});

Deno.test("restoreParams checks every tensor's name, shape and length before it copies anything", async () => {
  const ckpt = await decodeCheckpoint(await encodeCheckpoint(tensors(), {}), "m");
  const fresh = () => [new Param("embed.W", [3, 2]), new Param("rnn.b", [2])];
  const ok = fresh();
  restoreParams(ok, ckpt, "m");
  assert.deepEqual(Array.from(ok[1].value), [-0.5, 0.25]);
  const refusals: [Param[], RegExp][] = [
    [[new Param("embed.W", [3, 2])], /has a tensor rnn\.b that the model does not have/],
    [[...fresh(), new Param("lstm.Wh", [2, 8])], /has no parameter lstm\.Wh/],
    [
      [new Param("embed.W", [2, 3]), new Param("rnn.b", [2])],
      /embed\.W has shape \[3,2\] but the model needs \[2,3\]/,
    ],
  ];
  for (const [params, re] of refusals) {
    assert.throws(
      () => restoreParams(params, ckpt, "m"),
      (e: unknown) => e instanceof UserError && re.test(e.message),
    );
    for (const p of params) assert.ok(p.value.every((v) => v === 0), `${p.name} untouched`);
  }
});

Deno.test("a checkpoint of the first format (RNNLABCK) still loads, and its damage is still seen", async () => {
  await using dir = await tempDir();
  // The first format: magic, u32 version 1, u32 header length, JSON header (data checksum), data.
  const data = new Uint8Array(Float32Array.from([7, 8, 9]).buffer);
  const header = {
    dtype: "float32",
    tensors: [{ name: "w", shape: [3], offset: 0, length: 3 }],
    data_sha256: await sha256Hex(data),
    meta: { epoch: 1 },
  };
  let json = JSON.stringify(header);
  json += " ".repeat((4 - (json.length % 4)) % 4);
  const head = new TextEncoder().encode(json);
  const file = new Uint8Array(16 + head.length + data.length);
  file.set(new TextEncoder().encode("RNNLABCK"));
  new DataView(file.buffer).setUint32(8, 1, true);
  new DataView(file.buffer).setUint32(12, head.length, true);
  file.set(head, 16);
  file.set(data, 16 + head.length);
  await Deno.writeFile(`${dir.path}/last.ckpt`, file);
  const old = await loadCheckpoint(`${dir.path}/last.ckpt`);
  assert.equal(old.format, "rnnlab-v1");
  assert.deepEqual(Array.from(old.tensors.get("w")!.data), [7, 8, 9]);
  assert.deepEqual(old.meta, { epoch: 1 });
  const bad = file.slice();
  bad[bad.length - 1] ^= 0x40;
  await Deno.writeFile(`${dir.path}/bad.ckpt`, bad);
  await assert.rejects(loadCheckpoint(`${dir.path}/bad.ckpt`), /checksum mismatch/);
});

/** A Python with NumPy, for the interchange check; null (and the test skips) without one. */
const PYTHON: string | null = (() => {
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      const r = new Deno.Command(py, {
        args: ["-c", "import numpy"],
        stdout: "null",
        stderr: "null",
      })
        .outputSync();
      if (r.success) return py;
    } catch { /* not there */ }
  }
  console.log("no python3 with NumPy: the NumPy interchange test is skipped");
  return null;
})();

Deno.test({
  name: "NumPy reads a checkpoint with the README's three lines",
  ignore: PYTHON === null,
  async fn() {
    await using dir = await tempDir();
    const path = `${dir.path}/last.safetensors`;
    const w = new Param("embed.W", [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6]));
    await saveCheckpoint(path, paramTensors([w]), { epoch: 4 });
    const script = [
      "import json, sys, numpy as np",
      "b = open(sys.argv[1], 'rb').read(); n = int.from_bytes(b[:8], 'little'); h = json.loads(b[8:8 + n])",
      "W = {k: np.frombuffer(b, np.float32, int(np.prod(v['shape'])), 8 + n + v['data_offsets'][0]).reshape(v['shape']) for k, v in h.items() if k != '__metadata__'}",
      "print(json.dumps({k: v.tolist() for k, v in W.items()}))",
    ].join("\n");
    const r = await new Deno.Command(PYTHON!, { args: ["-c", script, path], stdout: "piped" })
      .output();
    assert.ok(r.success);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(r.stdout)), {
      "embed.W": [[1, 2], [3, 4], [5, 6]],
    });
  },
});
