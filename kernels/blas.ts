/**
 * OpenBLAS through Deno FFI: discovery, `sgemm` and the level-1/2 routines the layers use.
 *
 * Every routine takes `Float32Array`s (sub-views at any offset work: Deno passes the view's own
 * start address) in row-major order. The library is opened on first use. Lookup order:
 *
 * 1. the `OPENBLAS_LIB` environment variable (a path to the shared library);
 * 2. the usual names and paths on Linux (Debian's `openblas-pthread` directory included) and on
 *    macOS (Homebrew on Apple silicon and Intel).
 *
 * OpenBLAS 0.3.21 (Debian 12) does not know the newest Intel cores and falls back to its slow
 * generic "Prescott" kernels there. When `OPENBLAS_CORETYPE` is not set, this module sets it before
 * loading the library, from the CPU's flags (AVX-512 → `SkylakeX`, AVX2 → `Haswell`); the chosen
 * core is reported by {@linkcode blasInfo} and recorded in every run.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { cpuInfo } from "../core/cpuinfo.ts";
import { addFlops, enterPhase, exitPhase, Phase, phaseTimerOn } from "./phase_timer.ts";

const CblasRowMajor = 101;
const CblasNoTrans = 111;
const CblasTrans = 112;

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32", // order, transA, transB
      "i32",
      "i32",
      "i32", // m, n, k
      "f32",
      "buffer",
      "i32", // alpha, a, lda
      "buffer",
      "i32", // b, ldb
      "f32",
      "buffer",
      "i32", // beta, c, ldc
    ],
    result: "void",
  },
  cblas_sgemv: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32", // order, trans, m, n
      "f32",
      "buffer",
      "i32", // alpha, a, lda
      "buffer",
      "i32", // x, incx
      "f32",
      "buffer",
      "i32", // beta, y, incy
    ],
    result: "void",
  },
  cblas_sger: {
    parameters: ["i32", "i32", "i32", "f32", "buffer", "i32", "buffer", "i32", "buffer", "i32"],
    result: "void",
  },
  cblas_somatcopy: {
    parameters: ["i32", "i32", "i32", "i32", "f32", "buffer", "i32", "buffer", "i32"],
    result: "void",
  },
  cblas_saxpy: { parameters: ["i32", "f32", "buffer", "i32", "buffer", "i32"], result: "void" },
  cblas_sscal: { parameters: ["i32", "f32", "buffer", "i32"], result: "void" },
  cblas_sdot: { parameters: ["i32", "buffer", "i32", "buffer", "i32"], result: "f32" },
  cblas_snrm2: { parameters: ["i32", "buffer", "i32"], result: "f32" },
  openblas_get_config: { parameters: [], result: "pointer" },
  openblas_get_corename: { parameters: [], result: "pointer" },
  openblas_get_num_threads: { parameters: [], result: "i32" },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>;

let lib: Lib | null = null;
let loadedPath = "";
let coreTypeSource: "pinned" | "environment" | "cpu-flags" | "library" = "library";
let pinnedFrom: string | null = null;
let pinned: { core: string; l2Size: string | null } | null = null;

/** The file names and paths tried, in order, when `OPENBLAS_LIB` is not set. */
export function candidatePaths(
  os: string = Deno.build.os,
  arch: string = Deno.build.arch,
): string[] {
  if (os === "darwin") {
    return [
      "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
      "/usr/local/opt/openblas/lib/libopenblas.dylib",
      "/opt/local/lib/libopenblas.dylib",
      "libopenblas.dylib",
    ];
  }
  const triple = arch === "aarch64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  return [
    `/usr/lib/${triple}/openblas-pthread/libopenblas.so.0`,
    `/usr/lib/${triple}/libopenblas.so.0`,
    `/usr/lib/${triple}/openblas-openmp/libopenblas.so.0`,
    `/usr/lib/${triple}/openblas-serial/libopenblas.so.0`,
    "/usr/lib64/libopenblas.so.0",
    "/usr/lib64/libopenblasp.so.0",
    "/usr/lib/libopenblas.so.0",
    "/usr/local/lib/libopenblas.so.0",
    "/opt/OpenBLAS/lib/libopenblas.so.0",
    "libopenblas.so.0",
    "libopenblas.so",
  ];
}

function chooseCoreType(): void {
  if (pinned !== null) {
    Deno.env.set("OPENBLAS_CORETYPE", pinned.core);
    if (pinned.l2Size === null) Deno.env.delete("OPENBLAS_L2_SIZE");
    else Deno.env.set("OPENBLAS_L2_SIZE", pinned.l2Size);
    coreTypeSource = "pinned";
    return;
  }
  let preset: string | undefined;
  try {
    preset = Deno.env.get("OPENBLAS_CORETYPE");
  } catch {
    return; // no --allow-env: leave the library's own choice
  }
  if (preset) {
    coreTypeSource = "environment";
    return;
  }
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return;
  const flags = cpuInfo()?.flags;
  if (!flags) return;
  const has = (f: string) => flags.has(f);
  const core = has("avx512f") && has("avx512bw") && has("avx512vl") && has("avx512dq")
    ? "SkylakeX"
    : has("avx2") && has("fma")
    ? "Haswell"
    : "";
  if (core) {
    Deno.env.set("OPENBLAS_CORETYPE", core);
    coreTypeSource = "cpu-flags";
  }
}

/**
 * OpenBLAS's idle threads spin for `2^OPENBLAS_THREAD_TIMEOUT` cycles (default 2^28, about 0.1 s)
 * after every product before they sleep. That spinning competes with the softmax worker for the
 * second core, so unless the user set it, the spin is cut to 2^20 cycles (a fraction of a
 * millisecond: long enough to span the short gaps of a recurrent time loop).
 */
function chooseThreadTimeout(): void {
  try {
    if (!Deno.env.get("OPENBLAS_THREAD_TIMEOUT")) Deno.env.set("OPENBLAS_THREAD_TIMEOUT", "20");
  } catch { /* no --allow-env: keep the library's default */ }
}

function load(): Lib {
  if (lib) return lib;
  let override: string | undefined;
  try {
    override = Deno.env.get("OPENBLAS_LIB");
  } catch {
    override = undefined;
  }
  const paths = override ? [override] : candidatePaths();
  chooseCoreType();
  chooseThreadTimeout();
  const failures: string[] = [];
  for (const path of paths) {
    try {
      lib = Deno.dlopen(path, SYMBOLS);
      loadedPath = path;
      return lib;
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        throw new UserError("loading OpenBLAS needs --allow-ffi; run through `deno task`");
      }
      failures.push(path);
    }
  }
  const install = Deno.build.os === "darwin"
    ? "brew install openblas"
    : "sudo apt-get install libopenblas0-pthread (Debian/Ubuntu)";
  throw new UserError(
    override
      ? `OPENBLAS_LIB=${override} could not be loaded; point it at libopenblas.so.0 / libopenblas.dylib, or unset it to search the usual paths`
      : `OpenBLAS not found (tried: ${
        failures.join(", ")
      }); install it with \`${install}\` or set OPENBLAS_LIB to the library's path`,
  );
}

/**
 * The CPU flags each of OpenBLAS's x86-64 kernel families needs (lowercase names, as
 * `OPENBLAS_CORETYPE` takes them). A family missing here is tried, and checked after loading.
 */
const CORE_FLAGS: Record<string, string[]> = {
  sapphirerapids: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16", "amx_bf16"],
  cooperlake: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16"],
  skylakex: ["avx512f", "avx512bw", "avx512vl", "avx512dq"],
  haswell: ["avx2", "fma"],
  zen: ["avx2", "fma"],
  sandybridge: ["avx"],
  nehalem: ["sse4_2"],
  penryn: ["sse4_1"],
  core2: ["ssse3"],
  prescott: ["pni"],
};

/**
 * Asks that OpenBLAS load with kernel family `core` (and `OPENBLAS_L2_SIZE` = `l2Size`), whatever
 * the environment says: a run that is resumed or reproduced computes with the kernels it was
 * made with. Call it before anything loads the library. Returns null when the pin is set, or
 * one line saying why this machine cannot run that core (another architecture, or a CPU without
 * its instructions; the caller then judges the run by statistics instead of bit for bit).
 *
 * @example
 * ```ts ignore
 * const why = pinBlasCore("SkylakeX", null, "results/ch05_simple_rnnlm/<run-id>");
 * if (why) console.log(why);
 * ```
 */
export function pinBlasCore(core: string, l2Size: string | null, from: string): string | null {
  if (lib !== null) {
    const now = cString(lib.symbols.openblas_get_corename());
    return now.toLowerCase() === core.toLowerCase()
      ? null
      : `OpenBLAS is already loaded with its ${now} kernels, not ${core}`;
  }
  const key = core.toLowerCase();
  if (CORE_FLAGS[key] !== undefined) {
    if (Deno.build.arch !== "x86_64") {
      return `the record ran OpenBLAS's ${core} kernels on x86-64; this machine is ${Deno.build.arch}`;
    }
    const flags = cpuInfo()?.flags;
    const missing = flags ? CORE_FLAGS[key].filter((f) => !flags.has(f)) : [];
    if (missing.length > 0) {
      return `this CPU cannot run OpenBLAS's ${core} kernels (it lacks ${missing.join(", ")})`;
    }
  }
  pinned = { core, l2Size };
  pinnedFrom = from;
  return null;
}

/**
 * The library's version, `"0.3.21"` from its config string, or null when it does not say.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openblasVersion } from "@rnnlab/rnnlab";
 * assert.equal(openblasVersion("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64"), "0.3.21");
 * ```
 */
export function openblasVersion(config: string): string | null {
  return /OpenBLAS (\d+\.\d+\.\d+)/.exec(config)?.[1] ?? null;
}

/** What the loaded OpenBLAS says about itself; recorded in every run record. */
export interface BlasInfo {
  /** The path that was loaded. */
  path: string;
  /** `openblas_get_config()`, e.g. `"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64"`. */
  config: string;
  /** `openblas_get_corename()`: the kernel family in use. */
  core: string;
  /**
   * Where the core came from: `"pinned"` (from a recorded run, by {@linkcode pinBlasCore}), the
   * user's `OPENBLAS_CORETYPE` (`"environment"`), this module's CPU-flag check (`"cpu-flags"`),
   * or the library's own choice (`"library"`).
   */
  coreSource: string;
  /** The run directory the core was pinned from, or null. */
  pinnedFrom: string | null;
  /** `OPENBLAS_L2_SIZE` as the library saw it (it changes the blocking), or null when unset. */
  l2Size: string | null;
  /** Threads OpenBLAS uses for one call. */
  threads: number;
}

/**
 * Loads OpenBLAS (if not yet loaded) and describes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blasInfo } from "@rnnlab/rnnlab";
 * const info = blasInfo();
 * assert.match(info.config, /^OpenBLAS \d/);
 * assert.ok(info.threads >= 1 && info.core !== "");
 * ```
 */
export function blasInfo(): BlasInfo {
  const l = load();
  return {
    path: loadedPath,
    config: cString(l.symbols.openblas_get_config()),
    core: cString(l.symbols.openblas_get_corename()),
    coreSource: coreTypeSource,
    pinnedFrom,
    l2Size: envOrNull("OPENBLAS_L2_SIZE"),
    threads: l.symbols.openblas_get_num_threads(),
  };
}

/**
 * Sets the number of threads OpenBLAS uses (1 makes every product deterministic and single-core).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blasInfo, setBlasThreads } from "@rnnlab/rnnlab";
 * setBlasThreads(1);
 * assert.equal(blasInfo().threads, 1);
 * ```
 */
export function setBlasThreads(n: number): void {
  load().symbols.openblas_set_num_threads(n);
}

/**
 * The number of threads OpenBLAS uses for one call (cheaper than {@linkcode blasInfo}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blasThreads } from "@rnnlab/rnnlab";
 * assert.ok(blasThreads() >= 1);
 * ```
 */
export function blasThreads(): number {
  return load().symbols.openblas_get_num_threads();
}

function envOrNull(name: string): string | null {
  try {
    return Deno.env.get(name) ?? null;
  } catch {
    return null;
  }
}

function cString(p: Deno.PointerValue): string {
  return p === null ? "" : Deno.UnsafePointerView.getCString(p);
}

/**
 * `C = alpha * op(A) @ op(B) + beta * C`, row-major, where `op(A)` is `(m, k)`, `op(B)` is `(k, n)`
 * and `C` is `(m, n)`. `lda`, `ldb`, `ldc` are the row strides of the stored matrices (for a
 * transposed `A`, the stored matrix is `(k, m)` and `lda >= m`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sgemm } from "@rnnlab/rnnlab";
 * const a = new Float32Array([1, 2, 3, 4]); // (2, 2)
 * const b = new Float32Array([1, 0, 0, 1]); // identity
 * const c = new Float32Array(4);
 * sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2);
 * assert.equal(c[3], 4);
 * ```
 */
export function sgemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
): void {
  if (m === 0 || n === 0) return;
  if (phaseTimerOn()) addFlops(2 * m * n * k);
  const prev = enterPhase(Phase.matmul);
  (lib ?? load()).symbols.cblas_sgemm(
    CblasRowMajor,
    transA ? CblasTrans : CblasNoTrans,
    transB ? CblasTrans : CblasNoTrans,
    m,
    n,
    k,
    alpha,
    a,
    lda,
    b,
    ldb,
    beta,
    c,
    ldc,
  );
  exitPhase(prev);
}

/**
 * `y = alpha * op(A) @ x + beta * y` with `A` stored `(m, n)` row-major. With `trans`, `op(A)` is
 * `A^T`, so `x` has `m` elements and `y` has `n`: `gemv(true, ...)` with `x` all ones sums `A`'s
 * columns (the bias gradient).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sgemv } from "@rnnlab/rnnlab";
 * const a = new Float32Array([1, 2, 3, 4, 5, 6]); // (2, 3)
 * const ones = new Float32Array([1, 1]);
 * const colSums = new Float32Array(3);
 * sgemv(true, 2, 3, 1, a, 3, ones, 1, 0, colSums, 1);
 * assert.equal(colSums[0], 5);
 * assert.equal(colSums[2], 9);
 * ```
 */
export function sgemv(
  trans: boolean,
  m: number,
  n: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  x: Float32Array,
  incx: number,
  beta: number,
  y: Float32Array,
  incy: number,
): void {
  (lib ?? load()).symbols.cblas_sgemv(
    CblasRowMajor,
    trans ? CblasTrans : CblasNoTrans,
    m,
    n,
    alpha,
    a,
    lda,
    x,
    incx,
    beta,
    y,
    incy,
  );
}

/**
 * Rank-one update `A += alpha * x @ y^T` with `A` stored `(m, n)` row-major; with `x` all ones it
 * adds the row vector `y` to every row (a bias broadcast).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sger } from "@rnnlab/rnnlab";
 * const a = new Float32Array(6); // (2, 3)
 * sger(2, 3, 1, new Float32Array([1, 1]), 1, new Float32Array([1, 2, 3]), 1, a, 3);
 * assert.equal(a[5], 3);
 * ```
 */
export function sger(
  m: number,
  n: number,
  alpha: number,
  x: Float32Array,
  incx: number,
  y: Float32Array,
  incy: number,
  a: Float32Array,
  lda: number,
): void {
  (lib ?? load()).symbols.cblas_sger(CblasRowMajor, m, n, alpha, x, incx, y, incy, a, lda);
}

/**
 * `B = alpha * op(A)` for `A` a `(rows, cols)` block, row-major, with row strides `lda` and `ldb`
 * (OpenBLAS's `somatcopy` extension); with `trans`, `B` is `A^T`, `(cols, rows)`. Copies a
 * matrix into columns of a wider one, or transposes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { somatcopy } from "@rnnlab/rnnlab";
 * const wide = new Float32Array(6); // (2, 3)
 * somatcopy(false, 2, 2, 1, new Float32Array([1, 2, 3, 4]), 2, wide, 3); // into columns 0..1
 * assert.equal(wide.join(), "1,2,0,3,4,0");
 * const t = new Float32Array(6);
 * somatcopy(true, 2, 3, 1, new Float32Array([1, 2, 3, 4, 5, 6]), 3, t, 2); // (3, 2)
 * assert.equal(t.join(), "1,4,2,5,3,6");
 * ```
 */
export function somatcopy(
  trans: boolean,
  rows: number,
  cols: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
): void {
  if (rows === 0 || cols === 0) return;
  (lib ?? load()).symbols.cblas_somatcopy(
    CblasRowMajor,
    trans ? CblasTrans : CblasNoTrans,
    rows,
    cols,
    alpha,
    a,
    lda,
    b,
    ldb,
  );
}

/**
 * `y += alpha * x` over `n` elements.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { saxpy } from "@rnnlab/rnnlab";
 * const y = new Float32Array([1, 1]);
 * saxpy(2, -0.5, new Float32Array([2, 4]), 1, y, 1);
 * assert.equal(y[1], -1);
 * ```
 */
export function saxpy(
  n: number,
  alpha: number,
  x: Float32Array,
  incx: number,
  y: Float32Array,
  incy: number,
): void {
  (lib ?? load()).symbols.cblas_saxpy(n, alpha, x, incx, y, incy);
}

/**
 * `x *= alpha` over `n` elements.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sscal } from "@rnnlab/rnnlab";
 * const x = new Float32Array([2, 4]);
 * sscal(2, 0.5, x, 1);
 * assert.equal(x[1], 2);
 * ```
 */
export function sscal(n: number, alpha: number, x: Float32Array, incx: number): void {
  (lib ?? load()).symbols.cblas_sscal(n, alpha, x, incx);
}

/**
 * Dot product of `n` elements.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sdot } from "@rnnlab/rnnlab";
 * assert.equal(sdot(2, new Float32Array([1, 2]), 1, new Float32Array([3, 4]), 1), 11);
 * ```
 */
export function sdot(
  n: number,
  x: Float32Array,
  incx: number,
  y: Float32Array,
  incy: number,
): number {
  return (lib ?? load()).symbols.cblas_sdot(n, x, incx, y, incy);
}

/**
 * Euclidean norm of `n` elements.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { snrm2 } from "@rnnlab/rnnlab";
 * assert.equal(snrm2(2, new Float32Array([3, 4]), 1), 5);
 * ```
 */
export function snrm2(n: number, x: Float32Array, incx: number): number {
  return (lib ?? load()).symbols.cblas_snrm2(n, x, incx);
}
