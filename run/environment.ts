/**
 * The environment a run was made in: runtime versions, OS, CPU, OpenBLAS, the code's git state and
 * hashes. Recorded in every `run.json`; `reproduce` compares fingerprints to decide whether two
 * runs must be bit-identical.
 *
 * @module
 */

import { blasInfo } from "../kernels/blas.ts";
import { parallelEnabled } from "../kernels/pool.ts";
import { sha256Hex } from "../core/hash.ts";
import { cpuInfo } from "../core/cpuinfo.ts";

/** The `environment` block of `run.json`. */
export interface Environment {
  /** Deno version, as `Deno.version.deno`. */
  deno: string;
  /** V8 version of that Deno. */
  v8: string;
  /** TypeScript version of that Deno. */
  typescript: string;
  /** Operating system, as `Deno.build.os` (e.g. `"linux"`). */
  os: string;
  /** Kernel release, as `Deno.osRelease()`. */
  os_release: string;
  /** CPU architecture, as `Deno.build.arch` (e.g. `"x86_64"`). */
  arch: string;
  /** The CPU's model name, or `"unknown"` when it cannot be read. */
  cpu_model: string;
  /** Logical CPUs, as `navigator.hardwareConcurrency`. */
  cpu_count: number;
  /**
   * The loaded OpenBLAS as {@linkcode blasInfo} describes it: its config string, the kernel
   * family (`core`) and why that one (`core_source`: `pinned`, `environment`, `cpu-flags` or
   * `library`; `pinned_from` names the record it was pinned from), `OPENBLAS_L2_SIZE` as set
   * (`l2_size`), threads and path. Older records lack the last fields.
   */
  openblas: {
    config: string;
    core: string;
    core_source: string;
    pinned_from?: string | null;
    l2_size?: string | null;
    threads: number;
    path: string;
  };
  /** Helper workers the kernels shared work with (0 or 1; `RNNLAB_WORKERS=0` turns it off). */
  workers?: number;
  /**
   * The checkout: `HEAD`'s commit, and whether the work tree has uncommitted changes outside
   * `results/` (each `null` when git cannot tell).
   */
  git: { commit: string | null; dirty: boolean | null };
  /** SHA-256 of `deno.lock`, or null when the project has none. */
  deno_lock_sha256: string | null;
  /** SHA-256 of the experiment's source file. */
  experiment_sha256: string;
  /** SHA-256 over every library source file (path and content), the "code hash". */
  code_sha256: string;
}

const ROOT = new URL("../", import.meta.url);
/** Library folders whose sources make up the code hash. */
const CODE_DIRS = ["core", "kernels", "layers", "models", "optim", "data", "training"];

async function hashFile(url: URL): Promise<string | null> {
  try {
    return await sha256Hex(await Deno.readFile(url));
  } catch {
    return null;
  }
}

/** SHA-256 over the sorted library sources: changes whenever the code that computes a run does. */
export async function codeHash(): Promise<string> {
  const parts: string[] = [];
  for (const dir of CODE_DIRS) {
    const files: string[] = [];
    try {
      for await (const e of Deno.readDir(new URL(`${dir}/`, ROOT))) {
        if (e.isFile && e.name.endsWith(".ts")) files.push(e.name);
      }
    } catch {
      continue;
    }
    files.sort();
    for (const f of files) {
      parts.push(`${dir}/${f}\n${await Deno.readTextFile(new URL(`${dir}/${f}`, ROOT))}`);
    }
  }
  return sha256Hex(parts.join("\n\0\n"));
}

async function git(args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", {
      args,
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

/** The project's uncommitted changes as a patch (tracked files), or null when clean or not a checkout. */
export async function gitDiff(): Promise<string | null> {
  const diff = await git(["diff", "HEAD", "--", ".", ":(exclude)results"]);
  return diff && diff.trim() !== "" ? diff : null;
}

/**
 * Collects the environment block for a run of the experiment at `experimentUrl`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { collectEnvironment, loadExperiment, sha256Hex } from "@rnnlab/rnnlab";
 * const { url } = loadExperiment("ch05_simple_rnnlm");
 * const env = await collectEnvironment(url);
 * assert.equal(env.deno, Deno.version.deno);
 * assert.equal(env.os, Deno.build.os);
 * assert.equal(env.experiment_sha256, await sha256Hex(await Deno.readFile(url)));
 * assert.match(env.code_sha256, /^[0-9a-f]{64}$/);
 * assert.ok(env.openblas.threads >= 1);
 * assert.ok(env.git.commit === null || /^[0-9a-f]{40}$/.test(env.git.commit)); // null: no checkout
 * ```
 */
export async function collectEnvironment(experimentUrl: URL): Promise<Environment> {
  const blas = blasInfo();
  const commit = (await git(["rev-parse", "HEAD"]))?.trim() ?? null;
  const status = await git(["status", "--porcelain", "--", ".", ":(exclude)results"]);
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    os: Deno.build.os,
    os_release: Deno.osRelease(),
    arch: Deno.build.arch,
    cpu_model: cpuInfo()?.model ?? "unknown",
    cpu_count: navigator.hardwareConcurrency,
    openblas: {
      config: blas.config,
      core: blas.core,
      core_source: blas.coreSource,
      pinned_from: blas.pinnedFrom,
      l2_size: blas.l2Size,
      threads: blas.threads,
      path: blas.path,
    },
    workers: parallelEnabled() ? 1 : 0,
    git: { commit, dirty: status === null ? null : status.trim() !== "" },
    deno_lock_sha256: await hashFile(new URL("deno.lock", ROOT)),
    experiment_sha256: (await hashFile(experimentUrl)) ?? "",
    code_sha256: await codeHash(),
  };
}
