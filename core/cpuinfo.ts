/**
 * The CPU's model name and feature flags on Linux, from `/proc/cpuinfo`.
 *
 * Deno 2 lets a program read `/proc` only with `--allow-all`, so without it the file is read
 * through `cat` (which needs `--allow-run=cat`). Anywhere else, or without either permission,
 * the answer is `null` and callers fall back to defaults.
 *
 * @module
 */

/** What `/proc/cpuinfo` says about the first CPU. */
export interface CpuInfo {
  /** The `model name` line, e.g. `"AMD EPYC"`. */
  model: string;
  /** The `flags` line as a set, e.g. `avx2`, `avx512f`. */
  flags: Set<string>;
}

let cached: CpuInfo | null | undefined;

function readText(): string | null {
  try {
    return Deno.readTextFileSync("/proc/cpuinfo");
  } catch { /* not permitted or not Linux: try cat */ }
  try {
    const out = new Deno.Command("cat", {
      args: ["/proc/cpuinfo"],
      stdout: "piped",
      stderr: "null",
    })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

/**
 * Reads (once per process) the CPU's model name and flags; `null` when they cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cpuInfo } from "@rnnlab/rnnlab";
 * const info = cpuInfo();
 * if (Deno.build.os === "linux") {
 *   assert.ok(info !== null && info.model.length > 0);
 *   const avx2 = info.flags.has("avx2"); // e.g. pick a kernel
 *   assert.equal(typeof avx2, "boolean");
 * } else {
 *   assert.equal(info, null);
 * }
 * assert.equal(cpuInfo(), info); // read once, then the same answer
 * ```
 */
export function cpuInfo(): CpuInfo | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (Deno.build.os !== "linux") return cached;
  const text = readText();
  if (text) {
    const model = text.match(/^model name\s*:\s*(.*)$/m)?.[1]?.trim() ?? "unknown";
    const flags = new Set((text.match(/^flags\s*:(.*)$/m)?.[1] ?? "").trim().split(/\s+/));
    cached = { model, flags };
  }
  return cached;
}
