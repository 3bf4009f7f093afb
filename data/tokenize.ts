/**
 * Cutting a text into word tokens, exactly as the book does: every newline becomes the token
 * `<eos>` (the text is rewritten with `"\n"` replaced by `" <eos> "`), then the text is split on
 * white space and empty strings are dropped.
 *
 * "White space" is Python's `str.split()` set (the book's code is Python): `\t \n \v \f \r`,
 * U+001C–U+001F, space, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F
 * and U+3000 (the ideographic space of Japanese text). A byte-order mark at the very start of a
 * file is skipped.
 *
 * {@linkcode tokenize} works on a string and is the plain statement of the rule;
 * {@linkcode scanTokens} finds the same tokens directly in UTF-8 bytes without making a string per
 * token, which is what loading the 5 MB PTB training file fast needs.
 *
 * @module
 */

/** The token that stands for a line break. */
export const EOS = "<eos>";

// U+001C–U+001F are white space to Python's str.split(), so they belong here.
const WHITESPACE =
  // deno-lint-ignore no-control-regex
  /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** Per byte value: 1 = ASCII white space, 2 = lead byte of a possible wide space, 0 = other. */
const BYTE_CLASS = new Uint8Array(256);
for (const c of [9, 10, 11, 12, 13, 0x1c, 0x1d, 0x1e, 0x1f, 32]) BYTE_CLASS[c] = 1;
for (const c of [0xc2, 0xe1, 0xe2, 0xe3]) BYTE_CLASS[c] = 2;

/**
 * Splits a text into tokens: newline → `<eos>`, then split on white space, empties dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenize } from "@rnnlab/rnnlab";
 * assert.equal(tokenize(" the cat\nsat \n").join("|"), "the|cat|<eos>|sat|<eos>");
 * assert.equal(tokenize("吾輩\u3000は 猫").length, 3);
 * ```
 */
export function tokenize(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return body.replaceAll("\n", ` ${EOS} `).split(WHITESPACE).filter((s) => s.length > 0);
}

/**
 * Token boundaries in a UTF-8 buffer: token `k` is the bytes `[starts[k], ends[k])`, except that
 * `starts[k] === -1` marks a newline, i.e. the token `<eos>`.
 */
export interface TokenSpans {
  /** Number of tokens. */
  count: number;
  /** Byte offset where each token starts, or -1 for `<eos>`. */
  starts: Int32Array;
  /** Byte offset just past each token's end. */
  ends: Int32Array;
}

/**
 * Finds the tokens of UTF-8 `bytes` (same rule as {@linkcode tokenize}) as byte spans. The
 * bytes are assumed to be valid UTF-8. With `maxTokens`, scanning stops after that many tokens
 * (the spans are then those of the text's first `maxTokens` tokens).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scanTokens } from "@rnnlab/rnnlab";
 * const s = scanTokens(new TextEncoder().encode("ab c\n"));
 * assert.equal(s.count, 3);
 * assert.equal(s.starts[1], 3);
 * assert.equal(s.ends[1], 4);
 * assert.equal(s.starts[2], -1);
 * assert.equal(scanTokens(new TextEncoder().encode("ab c\n"), 2).count, 2);
 * ```
 */
export function scanTokens(bytes: Uint8Array, maxTokens = Infinity): TokenSpans {
  const n = bytes.length;
  // A token needs at least one byte plus one separator, so n/2 + 1 bounds the count.
  const cap = Math.max(0, Math.min((n >> 1) + 2, maxTokens));
  let starts = new Int32Array(cap);
  let ends = new Int32Array(cap);
  let count = 0;
  let start = -1;
  let i = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < n && count < cap) {
    const c = bytes[i];
    const cls = BYTE_CLASS[c];
    const w = cls === 0 ? 0 : cls === 1 ? 1 : wideSpace(bytes, i, c);
    if (w === 0) {
      if (start < 0) start = i;
      i++;
      continue;
    }
    if (start >= 0) {
      starts[count] = start;
      ends[count++] = i;
      start = -1;
      if (count === cap) break;
    }
    if (c === 10) {
      starts[count] = -1;
      ends[count++] = -1;
    }
    i += w;
  }
  if (start >= 0 && count < cap) {
    starts[count] = start;
    ends[count++] = n;
  }
  starts = starts.slice(0, count);
  ends = ends.slice(0, count);
  return { count, starts, ends };
}

/** Length in bytes of the non-ASCII white-space character at `i` (lead byte `c`), else 0. */
function wideSpace(b: Uint8Array, i: number, c: number): number {
  const c1 = b[i + 1], c2 = b[i + 2];
  if (c === 0xc2) return c1 === 0x85 || c1 === 0xa0 ? 2 : 0; // U+0085, U+00A0
  if (c === 0xe1) return c1 === 0x9a && c2 === 0x80 ? 3 : 0; // U+1680
  if (c === 0xe2) {
    if (c1 === 0x80) {
      // U+2000–U+200A, U+2028, U+2029, U+202F
      return c2 <= 0x8a || c2 === 0xa8 || c2 === 0xa9 || c2 === 0xaf ? 3 : 0;
    }
    return c1 === 0x81 && c2 === 0x9f ? 3 : 0; // U+205F
  }
  if (c === 0xe3) return c1 === 0x80 && c2 === 0x80 ? 3 : 0; // U+3000
  return 0;
}
