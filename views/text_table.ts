/**
 * The plain-text pieces every view prints with: a number with fixed digits or `-`, a table of
 * aligned columns (`runs`, `compare`, `sweep status`) and a Markdown table (`compare --format md`,
 * `bench:peers`).
 *
 * @module
 */

/**
 * `v` with `digits` decimals, or `-` when there is no finite value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fixed } from "@rnnlab/rnnlab";
 * assert.equal(fixed(76.4449), "76.44");
 * assert.equal(fixed(12.34, 1), "12.3");
 * assert.equal(fixed(null), "-");
 * assert.equal(fixed(Infinity), "-");
 * ```
 */
export function fixed(v: number | null | undefined, digits = 2): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "-";
}

/** Options of {@linkcode alignedTable}. */
export interface AlignedTableOptions {
  /** A line of dashes under the headers. Default true. */
  rule?: boolean;
}

/**
 * An aligned table: columns two spaces apart, those marked in `numeric` aligned to the right,
 * no trailing spaces.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { alignedTable } from "@rnnlab/rnnlab";
 * const t = alignedTable(["run", "test ppl"], [["a", "136.08"], ["bb", "9.5"]], [false, true]);
 * assert.equal(t, "run  test ppl\n---  --------\na      136.08\nbb        9.5");
 * const bare = alignedTable(["run", "seed"], [["a", "1"]], [false, true], { rule: false });
 * assert.equal(bare, "run  seed\na       1");
 * ```
 */
export function alignedTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly boolean[],
  options: AlignedTableOptions = {},
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ")
      .trimEnd();
  const rule = (options.rule ?? true) ? [widths.map((w) => "-".repeat(w)).join("  ")] : [];
  return [line(headers), ...rule, ...rows.map(line)].join("\n");
}

/** Options of {@linkcode markdownTable}. */
export interface MarkdownTableOptions {
  /** Pad each column to its widest cell, so that the source reads as a table too. Default false. */
  pad?: boolean;
}

/**
 * A Markdown (GitHub) table: cells with `|`, `\\` and line breaks escaped, and the columns marked
 * in `numeric` aligned to the right.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { markdownTable } from "@rnnlab/rnnlab";
 * const t = markdownTable(["run", "test ppl"], [["a|b", "136.08"]], [false, true]);
 * assert.equal(t, "| run | test ppl |\n| --- | ---: |\n| a\\|b | 136.08 |");
 * const padded = markdownTable(["config", "ms"], [["ch05", "0.32"]], [], { pad: true });
 * assert.equal(padded, "| config | ms   |\n| ------ | ---- |\n| ch05   | 0.32 |");
 * ```
 */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly boolean[] = [],
  options: MarkdownTableOptions = {},
): string {
  const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n/g, " ");
  const all = [headers, ...rows].map((r) => r.map(esc));
  const widths = headers.map((_, i) =>
    options.pad ? Math.max(3, ...all.map((r) => [...r[i]].length)) : 0
  );
  const cell = (c: string, i: number) => c + " ".repeat(Math.max(0, widths[i] - [...c].length));
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  const rule = widths.map((w, i) => {
    const dashes = "-".repeat(Math.max(3, numeric[i] ? w - 1 : w));
    return numeric[i] ? dashes + ":" : dashes;
  });
  return [line(all[0]), `| ${rule.join(" | ")} |`, ...all.slice(1).map(line)].join("\n");
}
