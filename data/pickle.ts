/**
 * A reader for Python pickles that hold NumPy arrays of float16 or float32, and nothing else:
 * the format of the book's published weights (`pickle.dump` of a list of arrays, as its
 * `BaseModel.save_params` writes them).
 *
 * A pickle is a program for a small stack machine, and Python's `pickle.load` calls whatever
 * functions it names. This reader runs only the opcodes that pickled NumPy arrays use
 * (protocols 3 to 5) and knows only the names NumPy puts there: `ndarray` rebuilt by
 * `_reconstruct` and `BUILD` (protocols 3 and 4), or by `_frombuffer` (protocol 5), and
 * `dtype`. Any other opcode or name is refused with a one-line {@linkcode UserError} naming the
 * file, so a hostile file cannot make it do anything but fail.
 *
 * The shape of one array in such a pickle (protocol 3, as in the book's `Rnnlm.pkl`):
 *
 * ```text
 * GLOBAL 'numpy.core.multiarray _reconstruct'  GLOBAL 'numpy ndarray'  (0,)  b'b'  REDUCE
 * (1, shape, dtype('f2', False, True) + BUILD (3, '<', None, None, None, -1, -1, 0),
 *  is_fortran False, raw bytes)  BUILD
 * ```
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { decodeFloat16 } from "./float16.ts";
import { readBytes } from "./files.ts";

/** A NumPy array read from a pickle, its values decoded to float32. */
export interface NumpyArray {
  /** The element type it was stored in. */
  dtype: "float16" | "float32";
  /** Dimensions, e.g. `[10000, 100]`. */
  shape: number[];
  /** The values, row-major, as float32 (float16 widens exactly). */
  data: Float32Array;
}

// Opcodes, as named in Python's pickletools.
const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  REDUCE: 0x52, // R
  BINUNICODE: 0x58, // X
  EMPTY_LIST: 0x5d, // ]
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  APPENDS: 0x65, // e
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  TUPLE: 0x74, // t
  EMPTY_TUPLE: 0x29, // )
  BINBYTES: 0x42, // B
  SHORT_BINBYTES: 0x43, // C
  PROTO: 0x80,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  SHORT_BINUNICODE: 0x8c,
  BINBYTES8: 0x8e,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  BYTEARRAY8: 0x96,
} as const;

/** A name a pickle refers to, `module.name`. */
class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  is(kind: "ndarray" | "dtype" | "_reconstruct" | "_frombuffer"): boolean {
    const m = this.module;
    switch (kind) {
      case "ndarray":
      case "dtype":
        return m === "numpy" && this.name === kind;
      case "_reconstruct": // NumPy 1 calls the module numpy.core, NumPy 2 numpy._core
        return (m === "numpy.core.multiarray" || m === "numpy._core.multiarray") &&
          this.name === kind;
      case "_frombuffer":
        return (m === "numpy.core.numeric" || m === "numpy._core.numeric") && this.name === kind;
    }
  }
}

/** A NumPy dtype: its code (`f2`, `f4`) and, once built, its byte order. */
class PyDtype {
  byteOrder = "<";
  constructor(readonly code: "f2" | "f4") {}
}

/** An array made by `_reconstruct`, filled in by the `BUILD` that follows. */
class PendingArray {
  array: NumpyArray | null = null;
}

type Value =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | Value[]
  | PyGlobal
  | PyDtype
  | PendingArray;

const SUPPORTED = "a pickled list of float16 or float32 NumPy arrays, like the book's Rnnlm.pkl";

/**
 * Parses a pickle of a list (or tuple) of NumPy float16/float32 arrays; `source` names the file
 * in error messages. Anything else is a one-line {@linkcode UserError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNumpyPickle } from "@rnnlab/rnnlab";
 * // pickle.dumps([np.array([1, -2], dtype=np.float16)], protocol=3)
 * const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
 * const bytes = new Uint8Array([
 *   0x80, 3, ...ascii("]("),
 *   ...ascii("cnumpy.core.multiarray\n_reconstruct\n"), ...ascii("cnumpy\nndarray\n"),
 *   ...ascii("K\x00\x85C\x01b\x87R"), // (0,) b'b' -> _reconstruct(ndarray, (0,), b'b')
 *   ...ascii("(K\x01K\x02\x85"), // (1, (2,),
 *   ...ascii("cnumpy\ndtype\nX\x02\x00\x00\x00f2\x89\x88\x87R"), // dtype('f2', False, True)
 *   ...ascii("(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"),
 *   ...ascii("\x89C\x04\x00\x3c\x00\xc0tb"), // False, b'\x00\x3c\x00\xc0') BUILD
 *   ...ascii("e."),
 * ]);
 * const [a] = parseNumpyPickle(bytes, "tiny.pkl");
 * assert.equal(a.dtype, "float16");
 * assert.deepEqual(a.shape, [2]);
 * assert.deepEqual(Array.from(a.data), [1, -2]);
 * ```
 */
export function parseNumpyPickle(bytes: Uint8Array, source: string): NumpyArray[] {
  const result = new Machine(bytes, source).run();
  const items = Array.isArray(result) ? result : null;
  if (items === null || !items.every((v) => v instanceof PendingArray && v.array !== null)) {
    throw new UserError(
      `${source} holds ${describe(result)}, not a list of NumPy arrays; expected ${SUPPORTED}`,
    );
  }
  return items.map((v) => (v as PendingArray).array!);
}

/**
 * Reads a pickle file of NumPy float16/float32 arrays (see {@linkcode parseNumpyPickle}); a
 * missing or unreadable file is a {@linkcode UserError} too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readNumpyPickle } from "@rnnlab/rnnlab";
 * // pickle.dumps([np.array([1, -2], dtype=np.float16)], protocol=3), as parseNumpyPickle shows
 * const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
 * const pickle = ascii(
 *   "\x80\x03](cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R" +
 *     "(K\x01K\x02\x85cnumpy\ndtype\nX\x02\x00\x00\x00f2\x89\x88\x87R" +
 *     "(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb" +
 *     "\x89C\x04\x00\x3c\x00\xc0tbe.",
 * );
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/tiny.pkl`, pickle);
 * const [a] = await readNumpyPickle(`${dir}/tiny.pkl`); // the book's Rnnlm.pkl: 10000x100, ...
 * assert.deepEqual(a.shape, [2]);
 * assert.deepEqual(Array.from(a.data), [1, -2]);
 * await assert.rejects(readNumpyPickle(`${dir}/Rnnlm.pkl`), { name: "UserError" }); // missing
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readNumpyPickle(path: string): Promise<NumpyArray[]> {
  return parseNumpyPickle(await readBytes(path), path);
}

/** The pickle stack machine, restricted to the opcodes and names of NumPy array pickles. */
class Machine {
  #bytes: Uint8Array;
  #view: DataView;
  #pos = 0;
  #source: string;
  #stack: Value[] = [];
  #marks: number[] = [];
  #memo = new Map<number, Value>();

  constructor(bytes: Uint8Array, source: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#source = source;
  }

  run(): Value {
    const src = this.#source;
    const first = this.#bytes[0];
    const proto = this.#bytes[1];
    if (this.#bytes.length < 2 || first !== OP.PROTO || proto < 3 || proto > 5) {
      const what = first === OP.PROTO ? `pickle protocol ${proto}` : "no pickle header";
      throw new UserError(
        `${src} is not a pickle of protocol 3 to 5 (${what}); expected ${SUPPORTED}`,
      );
    }
    this.#pos = 2;
    const stack = this.#stack;
    for (;;) {
      const at = this.#pos;
      const op = this.#u8();
      switch (op) {
        case OP.STOP: {
          if (stack.length !== 1 || this.#marks.length !== 0) this.#malformed(at, "STOP");
          return stack[0];
        }
        case OP.FRAME:
          this.#length64(); // frames only group opcodes; nothing to do
          break;
        case OP.MARK:
          this.#marks.push(stack.length);
          break;
        case OP.EMPTY_LIST:
        case OP.EMPTY_TUPLE: // lists and tuples are both plain arrays here
          stack.push([]);
          break;
        case OP.APPEND: {
          const item = this.#pop(at);
          this.#list(at).push(item);
          break;
        }
        case OP.APPENDS: {
          const items = this.#popMark(at);
          this.#list(at).push(...items);
          break;
        }
        case OP.TUPLE:
          stack.push(this.#popMark(at));
          break;
        case OP.TUPLE1:
        case OP.TUPLE2:
        case OP.TUPLE3: {
          const n = op - OP.TUPLE1 + 1;
          if (stack.length - this.#floor() < n) this.#malformed(at, "TUPLE");
          stack.push(stack.splice(stack.length - n, n));
          break;
        }
        case OP.BININT1:
          stack.push(this.#u8());
          break;
        case OP.BININT2:
          stack.push(this.#u8() | (this.#u8() << 8));
          break;
        case OP.BININT:
          this.#need(4);
          stack.push(this.#view.getInt32(this.#pos, true));
          this.#pos += 4;
          break;
        case OP.NONE:
          stack.push(null);
          break;
        case OP.NEWTRUE:
          stack.push(true);
          break;
        case OP.NEWFALSE:
          stack.push(false);
          break;
        case OP.BINUNICODE:
          stack.push(this.#utf8(this.#u32()));
          break;
        case OP.SHORT_BINUNICODE:
          stack.push(this.#utf8(this.#u8()));
          break;
        case OP.SHORT_BINBYTES:
          stack.push(this.#take(this.#u8()));
          break;
        case OP.BINBYTES:
          stack.push(this.#take(this.#u32()));
          break;
        case OP.BINBYTES8:
        case OP.BYTEARRAY8:
          stack.push(this.#take(this.#length64()));
          break;
        case OP.GLOBAL: {
          const module = this.#line(at);
          stack.push(this.#global(module, this.#line(at)));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.#pop(at), module = this.#pop(at);
          if (typeof module !== "string" || typeof name !== "string") {
            this.#malformed(at, "STACK_GLOBAL");
          }
          stack.push(this.#global(module, name));
          break;
        }
        case OP.BINPUT:
          this.#put(this.#u8(), at);
          break;
        case OP.LONG_BINPUT:
          this.#put(this.#u32(), at);
          break;
        case OP.MEMOIZE:
          this.#put(this.#memo.size, at);
          break;
        case OP.BINGET:
          stack.push(this.#get(this.#u8(), at));
          break;
        case OP.LONG_BINGET:
          stack.push(this.#get(this.#u32(), at));
          break;
        case OP.REDUCE: {
          const args = this.#pop(at), fn = this.#pop(at);
          stack.push(this.#call(fn, args, at));
          break;
        }
        case OP.BUILD: {
          const state = this.#pop(at);
          const target = stack.length > this.#floor() ? stack[stack.length - 1] : undefined;
          this.#build(target, state, at);
          break;
        }
        default:
          throw new UserError(
            `${src}: pickle opcode 0x${op.toString(16).padStart(2, "0")} at byte ${at} is not ` +
              `one that NumPy array pickles use; expected ${SUPPORTED}`,
          );
      }
    }
  }

  /** Only the callables NumPy array pickles name; anything else is refused before it runs. */
  #global(module: string, name: string): PyGlobal {
    const g = new PyGlobal(module, name);
    if (g.is("ndarray") || g.is("dtype") || g.is("_reconstruct") || g.is("_frombuffer")) return g;
    throw new UserError(
      `${this.#source} refers to '${module}.${name}', which a pickle of NumPy arrays never ` +
        `does; refusing to read it (expected ${SUPPORTED})`,
    );
  }

  #call(fn: Value, args: Value, at: number): Value {
    if (!(fn instanceof PyGlobal) || !Array.isArray(args)) return this.#malformed(at, "REDUCE");
    if (fn.is("_reconstruct")) {
      // _reconstruct(ndarray, (0,), b'b'): an empty array that BUILD fills in.
      if (!(args[0] instanceof PyGlobal && args[0].is("ndarray"))) {
        this.#malformed(at, "_reconstruct");
      }
      return new PendingArray();
    }
    if (fn.is("dtype")) {
      // dtype('f2', False, True)
      const code = args[0];
      if (typeof code !== "string") return this.#malformed(at, "dtype");
      if (code !== "f2" && code !== "f4") {
        throw new UserError(
          `${this.#source} holds an array of NumPy dtype '${code}'; only float16 ('f2') and ` +
            `float32 ('f4') arrays can be read: save them with arr.astype(np.float32)`,
        );
      }
      return new PyDtype(code);
    }
    if (fn.is("_frombuffer")) {
      // _frombuffer(buffer, dtype, shape, order): protocol 5's form of a whole array.
      const [buffer, dtype, shape, order] = args;
      if (order !== "C") this.#notRowMajor();
      const out = new PendingArray();
      out.array = this.#array(shape, dtype, buffer, at);
      return out;
    }
    return this.#malformed(at, `call of ${fn.module}.${fn.name}`); // ndarray itself is not called
  }

  #build(target: Value | undefined, state: Value, at: number): void {
    if (target instanceof PyDtype) {
      // (3, byte order, subarray, names, fields, elsize, alignment, flags) of a plain dtype
      if (!Array.isArray(state) || state.length !== 8 || state[0] !== 3) {
        return this.#malformed(at, "dtype state");
      }
      const [, order, sub, names, fields] = state;
      if (sub !== null || names !== null || fields !== null) {
        throw new UserError(
          `${this.#source} holds a structured NumPy array; only plain float16/float32 arrays ` +
            `can be read`,
        );
      }
      if (order !== "<") {
        throw new UserError(
          `${this.#source} holds a big-endian ('${order}') array; re-save it little-endian ` +
            `(arr.astype('<f4'))`,
        );
      }
      target.byteOrder = order;
      return;
    }
    if (target instanceof PendingArray && target.array === null) {
      // (version 1, shape, dtype, is_fortran, raw data)
      if (!Array.isArray(state) || state.length !== 5 || state[0] !== 1) {
        return this.#malformed(at, "ndarray state");
      }
      const [, shape, dtype, fortran, raw] = state;
      if (fortran !== false) this.#notRowMajor();
      target.array = this.#array(shape, dtype, raw, at);
      return;
    }
    this.#malformed(at, "BUILD");
  }

  #array(shape: Value, dtype: Value, raw: Value, at: number): NumpyArray {
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && Number(d) >= 0)) {
      return this.#malformed(at, "array shape");
    }
    if (!(dtype instanceof PyDtype) || !(raw instanceof Uint8Array)) {
      return this.#malformed(at, "array data");
    }
    const dims = shape as number[];
    const size = dims.reduce((a, b) => a * b, 1);
    const width = dtype.code === "f2" ? 2 : 4;
    if (raw.length !== size * width) {
      throw new UserError(
        `${this.#source}: an array of shape [${dims}] has ${raw.length} bytes of data, not ` +
          `${size * width}; the file is damaged: get it again`,
      );
    }
    if (dtype.code === "f2") return { dtype: "float16", shape: dims, data: decodeFloat16(raw) };
    const data = new Float32Array(size);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < size; i++) data[i] = view.getFloat32(4 * i, true);
    return { dtype: "float32", shape: dims, data };
  }

  #notRowMajor(): never {
    throw new UserError(
      `${this.#source} holds a column-major (Fortran-order) array; re-save it row-major ` +
        `(np.ascontiguousarray(arr))`,
    );
  }

  #malformed(at: number, what: string): never {
    throw new UserError(
      `${this.#source} is not a well-formed NumPy array pickle (unexpected ${what} at byte ` +
        `${at}); expected ${SUPPORTED}`,
    );
  }

  /** The stack height below which the innermost mark forbids popping. */
  #floor(): number {
    return this.#marks.length > 0 ? this.#marks[this.#marks.length - 1] : 0;
  }

  #pop(at: number): Value {
    if (this.#stack.length <= this.#floor()) this.#malformed(at, "empty stack");
    return this.#stack.pop()!;
  }

  #popMark(at: number): Value[] {
    const mark = this.#marks.pop();
    if (mark === undefined) return this.#malformed(at, "missing MARK");
    return this.#stack.splice(mark);
  }

  #list(at: number): Value[] {
    const top = this.#stack.length > this.#floor() ? this.#stack[this.#stack.length - 1] : null;
    if (!Array.isArray(top)) return this.#malformed(at, "APPEND to a non-list");
    return top;
  }

  #put(index: number, at: number): void {
    if (this.#stack.length === 0) this.#malformed(at, "memo of an empty stack");
    this.#memo.set(index, this.#stack[this.#stack.length - 1]);
  }

  #get(index: number, at: number): Value {
    if (!this.#memo.has(index)) this.#malformed(at, `memo ${index}`);
    return this.#memo.get(index)!;
  }

  #need(n: number): void {
    if (this.#pos + n > this.#bytes.length) {
      throw new UserError(
        `${this.#source} ends early (needs byte ${this.#pos + n} of ${this.#bytes.length}); ` +
          `the file is truncated: get it again`,
      );
    }
  }

  #u8(): number {
    this.#need(1);
    return this.#bytes[this.#pos++];
  }

  #u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return v;
  }

  /** An 8-byte length (beyond 2^32 it is longer than any file this reads). */
  #length64(): number {
    const low = this.#u32(), high = this.#u32();
    if (high !== 0) this.#need(high * 2 ** 32 + low); // more than the file holds: truncated
    return low;
  }

  #take(n: number): Uint8Array {
    this.#need(n);
    const out = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  #utf8(n: number): string {
    return new TextDecoder().decode(this.#take(n));
  }

  #line(at: number): string {
    const end = this.#bytes.indexOf(0x0a, this.#pos);
    if (end < 0) this.#malformed(at, "GLOBAL without a newline");
    const s = new TextDecoder().decode(this.#bytes.subarray(this.#pos, end));
    this.#pos = end + 1;
    return s;
  }
}

function describe(v: Value): string {
  if (v === null) return "None";
  if (Array.isArray(v)) return `a list of ${v.length} items that are not all NumPy arrays`;
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof PendingArray) return "a single array";
  if (v instanceof PyDtype) return "a dtype";
  if (v instanceof PyGlobal) return `the name ${v.module}.${v.name}`;
  return `a ${typeof v}`;
}
