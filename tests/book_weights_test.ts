import assert from "node:assert/strict";
import {
  bookRnnlmWeights,
  decodeFloat16,
  evalPerplexity,
  float16ToFloat32,
  loadBookRnnlm,
  loadPtb,
  type NumpyArray,
  parseNumpyPickle,
  readBookRnnlmWeights,
  readNumpyPickle,
  Rng,
  Rnnlm,
  setBookRnnlmWeights,
  UserError,
} from "@rnnlab/rnnlab";
import { HAVE_PTB, ptbDir, ROOT, tempDir } from "./fixtures.ts";

// ---------------------------------------------------------------------------------------------
// float16

/** The value of float16 bits `h` by the definition of binary16, in double precision. */
function float16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0x1f) return m === 0 ? sign * Infinity : NaN;
  return sign * (e === 0 ? m * 2 ** -24 : 2 ** (e - 15) * (1 + m / 1024));
}

const f32Bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

Deno.test("float16: each of the 65,536 bit patterns decodes to exactly its value", () => {
  const bytes = new Uint8Array(65536 * 2);
  for (let h = 0; h < 65536; h++) {
    bytes[2 * h] = h & 0xff;
    bytes[2 * h + 1] = h >> 8;
  }
  const out = decodeFloat16(bytes);
  let mismatches = 0;
  for (let h = 0; h < 65536; h++) {
    if (!Object.is(out[h], float16Value(h))) mismatches++; // Object.is tells -0 and NaN apart
  }
  assert.equal(mismatches, 0);
});

Deno.test("float16: subnormals, extremes, signed zero, infinities and NaN payloads", () => {
  assert.equal(float16ToFloat32(0x0001), 2 ** -24); // smallest subnormal
  assert.equal(float16ToFloat32(0x8001), -(2 ** -24));
  assert.equal(float16ToFloat32(0x03ff), 1023 * 2 ** -24); // largest subnormal
  assert.equal(float16ToFloat32(0x0400), 2 ** -14); // smallest normal
  assert.equal(float16ToFloat32(0x3555), 0.333251953125);
  assert.equal(float16ToFloat32(0x7bff), 65504);
  assert.equal(float16ToFloat32(0x7c00), Infinity);
  assert.equal(float16ToFloat32(0xfc00), -Infinity);
  assert.ok(Object.is(float16ToFloat32(0x0000), 0));
  assert.ok(Object.is(float16ToFloat32(0x8000), -0));
  assert.ok(Number.isNaN(float16ToFloat32(0x7e00)));
  // NaNs keep sign and payload (the 10 fraction bits move to the top of float32's 23).
  const nans = decodeFloat16(new Uint8Array([0x01, 0x7e, 0x00, 0xfd]));
  assert.deepEqual(Array.from(f32Bits(nans)), [0x7fc02000, 0xffa00000]);
});

Deno.test("float16: decodes little-endian pairs into a given buffer and refuses odd lengths", () => {
  const whole = new Float32Array(4).fill(7);
  decodeFloat16(new Uint8Array([0x00, 0xc0, 0x00, 0x38]), whole.subarray(1, 3));
  assert.deepEqual(Array.from(whole), [7, -2, 0.5, 7]);
  assert.throws(() => decodeFloat16(new Uint8Array(3)), /odd number of bytes/);
});

// ---------------------------------------------------------------------------------------------
// A pickle writer for the tests: emits what Python's pickle.dump of a list of NumPy arrays
// emits (protocol 3 as NumPy 1 writes it, 4 and 5 as NumPy 2 does), opcode by opcode.

interface ArraySpec {
  code: string; // NumPy dtype code: "f2", "f4", ...
  shape: number[];
  raw: Uint8Array;
  byteOrder?: string;
  fortran?: boolean;
}

const latin1 = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const u32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
const u64 = (n: number) => [...u32(n), 0, 0, 0, 0];
const int = (n: number) =>
  n >= 0 && n < 256
    ? [0x4b, n]
    : n >= 0 && n < 65536
    ? [0x4d, n & 255, n >> 8]
    : [0x4a, ...u32(n >>> 0)];
const tuple = (items: number[][]) =>
  items.length === 0 ? [0x29] : items.length <= 3
    ? [...items.flat(), 0x84 + items.length] // TUPLE1..3
    : [0x28, ...items.flat(), 0x74]; // MARK ... TUPLE
const NONE = [0x4e], FALSE = [0x89], TRUE = [0x88];

function pickleArrays(arrays: ArraySpec[], protocol: 3 | 4 | 5): Uint8Array {
  const memo = new Map<string, number>();
  let next = 1; // memo 0 is the list
  const put = () => (protocol === 3 ? [0x71, next++] : (next++, [0x94])); // BINPUT / MEMOIZE
  const str = (s: string) => {
    const b = Array.from(new TextEncoder().encode(s));
    return protocol >= 4 && b.length < 256
      ? [0x8c, b.length, ...b]
      : [0x58, ...u32(b.length), ...b];
  };
  const global = (module: string, name: string) => {
    const key = `${module} ${name}`;
    const seen = memo.get(key);
    if (seen !== undefined) return [0x68, seen]; // BINGET
    memo.set(key, next);
    const load = protocol === 3
      ? [0x63, ...latin1(`${module}\n${name}\n`)] // GLOBAL
      : [...str(module), ...str(name), 0x93]; // STACK_GLOBAL
    return [...load, ...put()];
  };
  const bytes = (raw: Uint8Array) =>
    raw.length < 256
      ? [0x43, raw.length, ...raw] // SHORT_BINBYTES
      : protocol === 3
      ? [0x42, ...u32(raw.length), ...raw] // BINBYTES
      : [0x8e, ...u64(raw.length), ...raw]; // BINBYTES8
  const core = protocol === 3 ? "numpy.core" : "numpy._core";
  const dtype = (a: ArraySpec) => [
    ...global("numpy", "dtype"),
    ...tuple([str(a.code), FALSE, TRUE]),
    0x52, // REDUCE
    ...tuple([int(3), str(a.byteOrder ?? "<"), NONE, NONE, NONE, int(-1), int(-1), int(0)]),
    0x62, // BUILD
  ];
  const body: number[] = [0x5d, ...(protocol === 3 ? [0x71, 0] : [0x94]), 0x28]; // ] memo (
  for (const a of arrays) {
    const shape = tuple(a.shape.map(int));
    if (protocol === 5) {
      // _frombuffer(bytearray, dtype, shape, order)
      body.push(...global(`${core}.numeric`, "_frombuffer"), 0x28);
      body.push(0x96, ...u64(a.raw.length), ...a.raw); // BYTEARRAY8
      body.push(...dtype(a), ...shape, ...str(a.fortran ? "F" : "C"), 0x74, 0x52);
    } else {
      // _reconstruct(ndarray, (0,), b'b') then BUILD (1, shape, dtype, is_fortran, raw)
      body.push(...global(`${core}.multiarray`, "_reconstruct"), ...global("numpy", "ndarray"));
      body.push(...tuple([int(0)]), 0x43, 1, 0x62, 0x87, 0x52);
      body.push(0x28, ...int(1), ...shape, ...dtype(a), ...(a.fortran ? TRUE : FALSE));
      body.push(...bytes(a.raw), 0x74, 0x62);
    }
  }
  body.push(0x65, 0x2e); // APPENDS STOP
  const head = protocol === 3 ? [0x80, 3] : [0x80, protocol, 0x95, ...u64(body.length)]; // FRAME
  return new Uint8Array([...head, ...body]);
}

/** `n` random float16 bit patterns of magnitude in [2^-6, 1), and their values. */
function randomHalves(n: number, rng: Rng): { raw: Uint8Array; values: Float32Array } {
  const raw = new Uint8Array(2 * n), values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const h = (rng.int(2) << 15) | ((9 + rng.int(6)) << 10) | rng.int(1024);
    raw[2 * i] = h & 0xff;
    raw[2 * i + 1] = h >> 8;
    values[i] = float16Value(h);
  }
  return { raw, values };
}

const f2 = (shape: number[], halves: number[]): ArraySpec => ({
  code: "f2",
  shape,
  raw: new Uint8Array(new Uint16Array(halves).buffer),
});
const f4 = (shape: number[], values: number[]): ArraySpec => ({
  code: "f4",
  shape,
  raw: new Uint8Array(new Float32Array(values).buffer),
});

// ---------------------------------------------------------------------------------------------
// The pickle reader

Deno.test("pickle: a list of float16 and float32 arrays reads the same in protocols 3, 4, 5", () => {
  const big = Array.from({ length: 70 }, (_, i) => i / 8 - 4); // 280 bytes: BINBYTES(8)
  const specs = [
    f2([2, 3], [0x3c00, 0xc000, 0x0001, 0x8000, 0x7c00, 0x3555]),
    f4([10, 7], big),
    f2([1, 1, 1, 2], [0x4000, 0x4200]), // a 4-d shape is a MARK ... TUPLE
    f4([], [0.25]), // a 0-d array
    f2([0, 5], []),
    f2([3], [0x3800, 0x3800, 0x3800]), // a second use of every memoized name
  ];
  for (const protocol of [3, 4, 5] as const) {
    const arrays = parseNumpyPickle(pickleArrays(specs, protocol), "mixed.pkl");
    assert.deepEqual(arrays.map((a) => a.dtype), [
      "float16",
      "float32",
      "float16",
      "float32",
      "float16",
      "float16",
    ]);
    assert.deepEqual(arrays.map((a) => a.shape), [[2, 3], [10, 7], [1, 1, 1, 2], [], [0, 5], [3]]);
    assert.deepEqual(Array.from(arrays[0].data), [1, -2, 2 ** -24, -0, Infinity, 0.333251953125]);
    assert.ok(Object.is(arrays[0].data[3], -0));
    assert.deepEqual(Array.from(arrays[1].data), big);
    assert.deepEqual(Array.from(arrays[2].data), [2, 3]);
    assert.deepEqual(Array.from(arrays[3].data), [0.25]);
    assert.equal(arrays[4].data.length, 0);
    assert.deepEqual(Array.from(arrays[5].data), [0.5, 0.5, 0.5]);
  }
});

/** Asserts that `bytes` are refused with a one-line UserError naming the file. */
function assertRefused(bytes: Uint8Array | number[], re: RegExp): void {
  assert.throws(
    () => parseNumpyPickle(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), "w.pkl"),
    (e: unknown) => {
      assert.ok(e instanceof UserError, `not a UserError: ${e}`);
      assert.ok(!e.message.includes("\n"), `more than one line: ${e.message}`);
      assert.match(e.message, /w\.pkl/);
      assert.match(e.message, re);
      return true;
    },
  );
}

Deno.test("pickle: anything but NumPy float16/float32 arrays is refused in one line", () => {
  const ok = (a: Partial<ArraySpec>, p: 3 | 4 | 5 = 3) =>
    pickleArrays([{ ...f2([2], [0x3c00, 0x3c00]), ...a }], p);
  assertRefused([], /not a pickle of protocol 3 to 5 \(no pickle header\)/);
  assertRefused(latin1("aer banknote berlitz\n"), /no pickle header/);
  assertRefused([0x80, 2, 0x5d, 0x2e], /not a pickle of protocol 3 to 5 \(pickle protocol 2\)/);
  // os.system("echo hi"): refused when the name is read, long before anything could be called
  const evil = [0x80, 3, 0x63, ...latin1("os\nsystem\n"), 0x58, ...u32(7), ...latin1("echo hi")];
  assertRefused([...evil, 0x85, 0x52, 0x2e], /refers to 'os\.system'.*refusing/);
  const evil4 = [0x80, 4, 0x8c, 8, ...latin1("builtins"), 0x8c, 4, ...latin1("eval"), 0x93];
  assertRefused(evil4, /refers to 'builtins\.eval'/);
  assertRefused(ok({ code: "i8", raw: new Uint8Array(16) }), /dtype 'i8'.*float16/);
  assertRefused(ok({ code: "f8", raw: new Uint8Array(16) }, 4), /dtype 'f8'/);
  assertRefused(ok({ byteOrder: ">" }), /big-endian/);
  assertRefused(ok({ fortran: true }), /Fortran/);
  assertRefused(ok({ fortran: true }, 5), /Fortran/);
  assertRefused(ok({ shape: [3] }), /shape \[3\] has 4 bytes of data, not 6/);
  const whole = ok({});
  assertRefused(whole.subarray(0, whole.length - 20), /ends early.*truncated/);
  assertRefused(whole.subarray(0, whole.length - 1), /ends early/); // no STOP
  assertRefused([0x80, 3, 0x7d, 0x2e], /opcode 0x7d at byte 2/); // EMPTY_DICT
  assertRefused([0x80, 3, 0x4b, 5, 0x2e], /holds a number, not a list of NumPy arrays/);
  assertRefused([0x80, 3, 0x5d, 0x28, 0x4b, 1, 0x65, 0x2e], /not all NumPy arrays/);
  assertRefused([0x80, 3, 0x68, 9, 0x2e], /not a well-formed NumPy array pickle.*memo 9/);
  assertRefused([0x80, 3, 0x52, 0x2e], /not a well-formed.*empty stack/);
});

Deno.test("pickle: a missing file is a one-line UserError", async () => {
  await using dir = await tempDir();
  await assert.rejects(readNumpyPickle(`${dir.path}/none.pkl`), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /^file not found: .*none\.pkl$/);
    return true;
  });
});

// ---------------------------------------------------------------------------------------------
// The book's Rnnlm weights

const V = 11, D = 5, H = 4;
const SHAPES = [[V, D], [D, 4 * H], [H, 4 * H], [4 * H], [H, V], [V]];

function zeros(shape: number[]): NumpyArray {
  return { dtype: "float16", shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
}

Deno.test("book weights: six arrays of one Rnnlm's shapes, or a one-line error", () => {
  const { config, tensors } = bookRnnlmWeights(SHAPES.map(zeros), "r.pkl");
  assert.deepEqual(config, { vocabSize: V, wordvecSize: D, hiddenSize: H });
  assert.deepEqual(
    tensors.map((t) => `${t.name} ${t.shape.join("x")}`),
    ["embed.W 11x5", "lstm.Wx 5x16", "lstm.Wh 4x16", "lstm.b 16", "affine.W 4x11", "affine.b 11"],
  );
  const refused = (arrays: NumpyArray[], re: RegExp) =>
    assert.throws(() => bookRnnlmWeights(arrays, "r.pkl"), (e: unknown) => {
      assert.ok(e instanceof UserError && !e.message.includes("\n"));
      assert.match(e.message, re);
      return true;
    });
  // BetterRnnlm's file has 8 arrays
  refused([...SHAPES, [V]].map(zeros), /r\.pkl holds 7 arrays, not the 6 of the book's/);
  const transposedWh = SHAPES.map((s, i) => (i === 2 ? [4 * H, H] : s));
  refused(transposedWh.map(zeros), /lstm\.Wh \(array 2\) has shape \[16,4\], expected \[H, 4H\]/);
  const otherV = SHAPES.map((s, i) => (i === 5 ? [V + 1] : s));
  refused(otherV.map(zeros), /affine\.b \(array 5\) has shape \[12\], expected \[V\] = \[11\]/);
  refused([[V * D], ...SHAPES.slice(1)].map(zeros), /embed\.W has shape \[55\]/);
  const oddBias = SHAPES.map((s, i) => (i === 3 ? [4 * H + 1] : s));
  refused(oddBias.map(zeros), /lstm\.b \[17\], expected \[V, D\] and \[4H\]/);
});

Deno.test("book weights: a model of other sizes is a one-line error that names the sizes", () => {
  const weights = bookRnnlmWeights(SHAPES.map(zeros), "r.pkl");
  const model = new Rnnlm({ vocabSize: V, wordvecSize: D, hiddenSize: H + 1 }, new Rng(0));
  assert.throws(() => setBookRnnlmWeights(model, weights, "r.pkl"), (e: unknown) => {
    assert.ok(e instanceof UserError && !e.message.includes("\n"));
    assert.match(e.message, /lstm\.Wx is \[5,16\] but the model's is \[5,20\]/);
    assert.match(e.message, /vocabSize 11, wordvecSize 5, hiddenSize 4/);
    return true;
  });
});

/**
 * Chapter 6's Rnnlm forward pass written out from the book's equations in double precision
 * (gates sliced f, g, i, o; `c = f*c + g*i`, `h = o*tanh(c)`), over consecutive windows with the
 * state carried: the mean loss of each window.
 */
function referenceLosses(
  w: Float32Array[],
  windows: { xs: Int32Array; ts: Int32Array }[],
  N: number,
  T: number,
): number[] {
  const [E, Wx, Wh, b, Wa, ba] = w, G = 4 * H;
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const h = Array.from({ length: N }, () => new Float64Array(H));
  const c = Array.from({ length: N }, () => new Float64Array(H));
  return windows.map(({ xs, ts }) => {
    let total = 0;
    for (let t = 0; t < T; t++) {
      for (let n = 0; n < N; n++) {
        const id = xs[t * N + n], a = new Float64Array(G);
        for (let j = 0; j < G; j++) {
          let s = b[j];
          for (let d = 0; d < D; d++) s += E[id * D + d] * Wx[d * G + j];
          for (let k = 0; k < H; k++) s += h[n][k] * Wh[k * G + j];
          a[j] = s;
        }
        for (let k = 0; k < H; k++) {
          const f = sigmoid(a[k]), g = Math.tanh(a[H + k]);
          const i = sigmoid(a[2 * H + k]), o = sigmoid(a[3 * H + k]);
          c[n][k] = f * c[n][k] + g * i;
          h[n][k] = o * Math.tanh(c[n][k]);
        }
        const scores = Array.from({ length: V }, (_, v) => {
          let s = ba[v];
          for (let k = 0; k < H; k++) s += h[n][k] * Wa[k * V + v];
          return s;
        });
        const max = Math.max(...scores);
        const lse = max + Math.log(scores.reduce((acc, s) => acc + Math.exp(s - max), 0));
        total += lse - scores[ts[t * N + n]];
      }
    }
    return total / (N * T);
  });
}

Deno.test("book weights: a float16 Rnnlm.pkl loads into an Rnnlm that computes the book's forward pass", async () => {
  const rng = new Rng(6);
  const halves = SHAPES.map((s) => randomHalves(s.reduce((a, b) => a * b, 1), rng));
  await using dir = await tempDir();
  const path = `${dir.path}/Rnnlm.pkl`;
  const specs = SHAPES.map((shape, i) => ({ code: "f2", shape, raw: halves[i].raw }));
  await Deno.writeFile(path, pickleArrays(specs, 3));

  const read = await readBookRnnlmWeights(path);
  read.tensors.forEach((t, i) => assert.deepEqual(t.data, halves[i].values));
  const model = await loadBookRnnlm(path);
  assert.deepEqual(model.params.map((p) => p.value), halves.map((x) => x.values));

  const N = 3, T = 4;
  const windows = [0, 1].map(() => ({
    xs: Int32Array.from({ length: N * T }, () => rng.int(V)),
    ts: Int32Array.from({ length: N * T }, () => rng.int(V)),
  }));
  const expected = referenceLosses(halves.map((x) => x.values), windows, N, T);
  const got = windows.map(({ xs, ts }) => model.forward(xs, ts, N, T, false));
  for (let k = 0; k < 2; k++) {
    assert.ok(Math.abs(got[k] - expected[k]) < 1e-5, `window ${k}: ${got[k]} vs ${expected[k]}`);
  }
});

// ---------------------------------------------------------------------------------------------
// The fixed point: the book's published weights on PTB test

/** The book's reference folder: `DLFS2_DIR`, else the shared copy beside the project. */
function bookDir(): string | null {
  for (const dir of [Deno.env.get("DLFS2_DIR"), `${ROOT}/../shared/reference/dlfs2`]) {
    if (!dir) continue;
    try {
      Deno.statSync(`${dir}/ch06/Rnnlm.pkl`);
      return dir;
    } catch { /* try the next */ }
  }
  return null;
}

const BOOK = bookDir();
if (BOOK === null) {
  console.log("the book's ch06/Rnnlm.pkl not found (set DLFS2_DIR): its PTB test is skipped");
}

Deno.test({
  name: "book weights: ch06/Rnnlm.pkl scores PTB test at 136.08, as the book's eval.py",
  ignore: BOOK === null || !HAVE_PTB,
  async fn() {
    const model = await loadBookRnnlm(`${BOOK}/ch06/Rnnlm.pkl`);
    const ptb = await loadPtb({ dataDir: ptbDir()!, splits: ["test"] });
    assert.equal(ptb.vocabSize, model.V);
    model.resetState();
    const ppl = evalPerplexity(model, ptb.test);
    // ch06/eval.py prints 136.0776 (NumPy, float32) for these weights.
    assert.ok(Math.abs(ppl - 136.0776) < 0.005, `test perplexity ${ppl}, the book's 136.0776`);
  },
});
