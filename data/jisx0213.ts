/**
 * JIS X 0213 plane-row-cell codes to Unicode, the codes Aozora Bunko's notes for characters
 * outside Shift_JIS name (`第3水準1-85-54` is plane 1, row 85, cell 54: 枘).
 *
 * The cells outside JIS X 0208 come from the generated table in `jisx0213_table.ts` (written by
 * `data/tools/gen_jisx0213.py` from Python's `euc_jis_2004` codec). A JIS X 0208 cell (plane 1,
 * and not in that table) is decoded as EUC-JP, which maps it the way the Shift_JIS text around
 * the note is decoded.
 *
 * @module
 */

import { JISX0213_ROWS, JISX0213_SEQUENCES } from "./jisx0213_table.ts";

const EMPTY = "\u3000";
/** Row key → its 94 cells as code points, split on first use. */
const rows = new Map<string, string[]>();
const eucJp = new TextDecoder("euc-jp", { fatal: true });

/**
 * The character of JIS X 0213 cell `plane-row-cell` (plane 1 or 2, row and cell 1..94), or
 * `null` when JIS X 0213 has no character there. A few cells are a base character and a
 * combining mark, so the answer can be two code points.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jisx0213Char } from "@rnnlab/rnnlab";
 * assert.equal(jisx0213Char(1, 85, 54), "枘"); // 第3水準1-85-54
 * assert.equal(jisx0213Char(2, 88, 74), "譃"); // 第4水準2-88-74
 * assert.equal(jisx0213Char(1, 16, 1), "亜"); // a JIS X 0208 cell
 * assert.equal(jisx0213Char(1, 4, 87), "か\u309a");
 * assert.equal(jisx0213Char(2, 2, 1), null); // plane 2 has no row 2
 * ```
 */
export function jisx0213Char(plane: number, row: number, cell: number): string | null {
  if (!(plane === 1 || plane === 2) || !inRange(row) || !inRange(cell)) return null;
  const seq = JISX0213_SEQUENCES[`${plane}-${row}-${cell}`];
  if (seq !== undefined) return seq;
  const key = `${plane}-${row}`;
  let cells = rows.get(key);
  if (cells === undefined && JISX0213_ROWS[key] !== undefined) {
    cells = Array.from(JISX0213_ROWS[key]);
    rows.set(key, cells);
  }
  const ch = cells?.[cell - 1];
  if (ch !== undefined && ch !== EMPTY) return ch;
  // JIS X 0208 has rows 1-8 and 16-84; the EUC-JP decoder also knows vendor rows (NEC's row 13,
  // IBM's 89-92) that JIS X 0213 fills differently, so those are not asked.
  if (plane !== 1 || (row > 8 && row < 16) || row > 84) return null;
  try {
    return eucJp.decode(new Uint8Array([0xa0 + row, 0xa0 + cell]));
  } catch {
    return null; // an unused JIS X 0208 cell
  }
}

function inRange(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 94;
}
