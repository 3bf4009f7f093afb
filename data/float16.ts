/**
 * IEEE 754 half precision (binary16, NumPy's `float16`) decoded to single precision.
 *
 * Every float16 is exactly a float32: the 5-bit exponent and 10-bit fraction widen to 8 and 23
 * bits. Normal numbers re-bias the exponent (15 → 127); subnormals (exponent 0, value
 * `fraction * 2^-24`) become normal float32s; the sign of zero, the infinities and the NaN
 * payloads carry over bit for bit. The book saves its trained weights this way
 * (`BaseModel.save_params` casts to `float16`).
 *
 * @module
 */

/**
 * The float32 bit pattern of the float16 whose bits are `h` (0 ≤ h < 65536).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { float16BitsToFloat32Bits } from "@rnnlab/rnnlab";
 * assert.equal(float16BitsToFloat32Bits(0x3c00), 0x3f800000); // 1
 * assert.equal(float16BitsToFloat32Bits(0x0001), 0x33800000); // 2^-24, the smallest subnormal
 * assert.equal(float16BitsToFloat32Bits(0xfc00), 0xff800000); // -Infinity
 * ```
 */
export function float16BitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let frac = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (frac << 13)) >>> 0; // infinity or NaN
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (frac << 13)) >>> 0; // normal: 127 - 15
  if (frac === 0) return sign >>> 0; // ±0
  // Subnormal: shift the leading 1 up to the implicit bit, lowering the exponent each time.
  let e = 113; // the exponent of 2^-14 (the float16 subnormals' scale) in float32: 127 - 14
  while ((frac & 0x400) === 0) {
    frac <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((frac & 0x3ff) << 13)) >>> 0;
}

/** float16 bits → float32 bits for all 65,536 patterns, built on first use (256 KiB). */
let table: Uint32Array | null = null;

function float16Table(): Uint32Array {
  if (table === null) {
    table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = float16BitsToFloat32Bits(h);
  }
  return table;
}

/**
 * The value of the float16 whose bits are `h`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { float16ToFloat32 } from "@rnnlab/rnnlab";
 * assert.equal(float16ToFloat32(0xc000), -2);
 * assert.equal(float16ToFloat32(0x7bff), 65504); // the largest float16
 * assert.ok(Object.is(float16ToFloat32(0x8000), -0));
 * assert.ok(Number.isNaN(float16ToFloat32(0x7e00)));
 * ```
 */
export function float16ToFloat32(h: number): number {
  const f = new Float32Array(new Uint32Array([float16BitsToFloat32Bits(h)]).buffer);
  return f[0];
}

/**
 * Decodes the little-endian float16 values in `bytes` (2 bytes each) into `out` (default: a new
 * array of `bytes.length / 2`), bit-exactly, and returns `out`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeFloat16 } from "@rnnlab/rnnlab";
 * // 1, -0.5, 2^-24 as little-endian float16
 * const out = decodeFloat16(new Uint8Array([0x00, 0x3c, 0x00, 0xb8, 0x01, 0x00]));
 * assert.deepEqual(Array.from(out), [1, -0.5, 2 ** -24]);
 * ```
 */
export function decodeFloat16(
  bytes: Uint8Array,
  out: Float32Array = new Float32Array(bytes.length >> 1),
): Float32Array {
  if (bytes.length % 2 !== 0) {
    throw new Error(`float16 data has an odd number of bytes (${bytes.length})`);
  }
  const n = bytes.length >> 1;
  if (out.length !== n) throw new Error(`out holds ${out.length} values, the data ${n}`);
  const t = float16Table();
  // Copying bit patterns as integers keeps NaN payloads intact.
  const bits = new Uint32Array(out.buffer, out.byteOffset, n);
  for (let i = 0; i < n; i++) bits[i] = t[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
  return out;
}
