/**
 * MeCab, the Japanese morphological analyser, through Deno FFI: word segmentation (`-Owakati`)
 * with a UTF-8 dictionary (IPAdic), the way kernels/blas.ts reaches OpenBLAS.
 *
 * Where the library is looked for, in order:
 * 1. `options.lib`, else the `MECAB_LIB` environment variable (a path to the shared library);
 * 2. the usual names and paths on Linux (Debian's `libmecab2`) and on macOS (Homebrew on Apple
 *    silicon and Intel): {@linkcode mecabCandidatePaths}.
 *
 * The configuration file (which names the dictionary folder) is `options.rcfile`, else the
 * `MECABRC` environment variable, else the first of {@linkcode mecabRcCandidates} that exists;
 * `options.dicdir` (the command line's `--mecab-dic`) overrides the dictionary it names.
 *
 * MeCab is opened through its model API (`mecab_model_new`) rather than `mecab_new2`: after
 * `mecab_new2` fails, libmecab 0.996 answers `mecab_strerror(NULL)` with an empty string, while a
 * failed `mecab_model_new` leaves the real reason there ("no such file or directory: …/dicrc").
 *
 * A dictionary compiled for another encoding (Debian's EUC-JP `mecab-ipadic`) does not fail: it
 * cuts UTF-8 text at byte positions that are not character boundaries and returns garbage. So
 * {@linkcode openMecab} refuses a dictionary whose charset is not UTF-8, and checks on a probe
 * sentence that the words it returns put the sentence back together.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { UserError } from "../core/errors.ts";
import { sha256Hex } from "../core/hash.ts";
import { oneLine } from "./files.ts";
import { tokenize } from "./tokenize.ts";

const SYMBOLS = {
  mecab_version: { parameters: [], result: "pointer" },
  mecab_strerror: { parameters: ["pointer"], result: "pointer" },
  mecab_model_new: { parameters: ["i32", "buffer"], result: "pointer" },
  mecab_model_destroy: { parameters: ["pointer"], result: "void" },
  mecab_model_new_tagger: { parameters: ["pointer"], result: "pointer" },
  mecab_model_dictionary_info: { parameters: ["pointer"], result: "pointer" },
  mecab_destroy: { parameters: ["pointer"], result: "void" },
  mecab_sparse_tostr2: { parameters: ["pointer", "buffer", "usize"], result: "pointer" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>;

/** The install commands every "MeCab not found" message gives. */
export const MECAB_INSTALL =
  "`sudo apt-get install libmecab2 mecab-ipadic-utf8` (Debian/Ubuntu) or `brew install mecab mecab-ipadic` (macOS)";

/**
 * The library file names and paths tried, in order, when neither `options.lib` nor `MECAB_LIB`
 * names one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mecabCandidatePaths } from "@rnnlab/rnnlab";
 * assert.ok(mecabCandidatePaths("linux", "x86_64").includes("/usr/lib/x86_64-linux-gnu/libmecab.so.2"));
 * assert.equal(mecabCandidatePaths("darwin", "aarch64")[0], "/opt/homebrew/opt/mecab/lib/libmecab.dylib");
 * ```
 */
export function mecabCandidatePaths(
  os: string = Deno.build.os,
  arch: string = Deno.build.arch,
): string[] {
  if (os === "darwin") {
    return [
      "/opt/homebrew/opt/mecab/lib/libmecab.dylib",
      "/opt/homebrew/lib/libmecab.dylib",
      "/usr/local/opt/mecab/lib/libmecab.dylib",
      "/usr/local/lib/libmecab.dylib",
      "/opt/local/lib/libmecab.dylib",
      "libmecab.dylib",
    ];
  }
  const triple = arch === "aarch64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  return [
    `/usr/lib/${triple}/libmecab.so.2`,
    "/usr/lib64/libmecab.so.2",
    "/usr/lib/libmecab.so.2",
    "/usr/local/lib/libmecab.so.2",
    "libmecab.so.2",
    "libmecab.so",
  ];
}

/**
 * The configuration files looked for, in order, when neither `options.rcfile` nor `MECABRC`
 * names one: Debian's, a source install's, Homebrew's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mecabRcCandidates } from "@rnnlab/rnnlab";
 * assert.equal(mecabRcCandidates("linux")[0], "/etc/mecabrc");
 * ```
 */
export function mecabRcCandidates(os: string = Deno.build.os): string[] {
  return os === "darwin"
    ? ["/opt/homebrew/etc/mecabrc", "/usr/local/etc/mecabrc", "/opt/local/etc/mecabrc"]
    : ["/etc/mecabrc", "/usr/local/etc/mecabrc", "/usr/etc/mecabrc"];
}

/** Options of {@linkcode openMecab}. */
export interface MecabOptions {
  /** The shared library; default env `MECAB_LIB`, else the first of `searchPaths` that loads. */
  lib?: string;
  /** The paths tried when no library is named; default {@linkcode mecabCandidatePaths}. */
  searchPaths?: readonly string[];
  /** The configuration file; default env `MECABRC`, else {@linkcode mecabRcCandidates}. */
  rcfile?: string;
  /** The dictionary folder (`--mecab-dic`); default the one the configuration names. */
  dicdir?: string;
}

/** The system dictionary MeCab opened. */
export interface MecabDictionary {
  /** The dictionary's folder, symbolic links resolved. */
  dir: string;
  /** The folder's name, e.g. `"ipadic-utf8"` (Debian) or `"ipadic"` (Homebrew). */
  name: string;
  /** The charset it was compiled for, as the dictionary states it (e.g. `"UTF-8"`). */
  charset: string;
  /** The dictionary format version. */
  version: number;
  /** Number of entries. */
  words: number;
}

/** What MeCab says about itself and the dictionary it opened. */
export interface MecabInfo {
  /** `mecab_version()`, e.g. `"0.996"`. */
  version: string;
  /** The library path that was loaded. */
  library: string;
  /** The configuration file used, or `null` when MeCab fell back to its built-in default. */
  rcfile: string | null;
  /** The system dictionary. */
  dictionary: MecabDictionary;
}

/** An open MeCab tagger. Close it (or `using` it) when done. */
export interface Mecab extends Disposable {
  /** Library, version and dictionary. */
  readonly info: MecabInfo;
  /**
   * The words of `text` in order (MeCab's `-Owakati`); white space separates words and is
   * never part of one.
   */
  wakati(text: string): string[];
  /** Frees the tagger; later calls of `wakati` throw. */
  close(): void;
}

const libs = new Map<string, Lib>();
const encoder = new TextEncoder();

function cString(p: Deno.PointerValue): string {
  return p === null ? "" : Deno.UnsafePointerView.getCString(p);
}

function getEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

function loadLib(
  explicit: string | undefined,
  search: readonly string[] | undefined,
): { lib: Lib; path: string } {
  const override = explicit ?? getEnv("MECAB_LIB");
  const paths = override ? [override] : search ?? mecabCandidatePaths();
  for (const path of paths) {
    const cached = libs.get(path);
    if (cached) return { lib: cached, path };
    try {
      const lib = Deno.dlopen(path, SYMBOLS);
      libs.set(path, lib);
      return { lib, path };
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        throw new UserError("loading MeCab needs --allow-ffi; run through `deno task`");
      }
    }
  }
  const what = explicit ? `the MeCab library ${explicit}` : `MECAB_LIB=${override}`;
  throw new UserError(
    override
      ? `${what} could not be loaded; point it at libmecab.so.2 / libmecab.dylib, or leave it unset to search the usual paths; install MeCab with ${MECAB_INSTALL}`
      : `MeCab not found (tried: ${
        paths.join(", ")
      }); install it with ${MECAB_INSTALL}, or set MECAB_LIB to the library's path`,
  );
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new UserError(`no permission to read ${path} (run with --allow-read)`);
    }
    return false;
  }
}

/** The C `argv` for `mecab_model_new`: the strings, their pointer array, kept alive together. */
function argv(args: string[]): { buffers: Uint8Array[]; pointers: BigUint64Array } {
  const buffers = args.map((a) => encoder.encode(a + "\0"));
  const pointers = new BigUint64Array(args.length + 1);
  buffers.forEach((b, i) => {
    pointers[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
  });
  return { buffers, pointers };
}

/** MeCab's error text without its source locations (`param.cpp(69) [ifs] `). */
function mecabError(lib: Lib): string {
  const raw = cString(lib.symbols.mecab_strerror(null)).trim();
  return raw.replace(/\S+\.cpp\(\d+\) \[[^\]]*\] /g, "") || "no reason given";
}

function readDictionary(lib: Lib, model: Deno.PointerObject): MecabDictionary {
  let p = lib.symbols.mecab_model_dictionary_info(model);
  while (p !== null) {
    const v = new Deno.UnsafePointerView(p);
    const type = v.getInt32(20);
    if (type === 0) {
      const file = cString(v.getPointer(0));
      let dir = dirname(file);
      try {
        dir = Deno.realPathSync(dir);
      } catch { /* keep the path MeCab gave */ }
      return {
        dir,
        name: basename(dir),
        charset: cString(v.getPointer(8)),
        version: v.getUint16(32),
        words: v.getUint32(16),
      };
    }
    p = v.getPointer(40);
  }
  throw new UserError("MeCab opened no system dictionary; pass --mecab-dic DIR (a UTF-8 IPAdic)");
}

const PROBE = "吾輩は猫である。名前はまだ無い。";

/**
 * Opens MeCab for word segmentation with a UTF-8 dictionary. A missing library, a dictionary
 * that does not open, or one in another encoding is a {@linkcode UserError} that says what to
 * install or set.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { openMecab } from "@rnnlab/rnnlab";
 * using mecab = openMecab();
 * assert.deepEqual(mecab.wakati("吾輩は猫である。"), ["吾輩", "は", "猫", "で", "ある", "。"]);
 * assert.equal(mecab.info.version, "0.996"); // Debian's libmecab2
 * assert.equal(mecab.info.dictionary.name, "ipadic-utf8");
 * assert.equal(mecab.info.dictionary.charset, "UTF-8");
 * ```
 */
export function openMecab(options: MecabOptions = {}): Mecab {
  const { lib, path } = loadLib(options.lib, options.searchPaths);
  const named = options.rcfile ?? getEnv("MECABRC");
  if (named !== undefined && !exists(named)) {
    const label = options.rcfile !== undefined
      ? `the MeCab configuration ${named}`
      : `MECABRC=${named}`;
    throw new UserError(`${label} does not exist; point it at a mecabrc file or leave it unset`);
  }
  let rcfile = named ?? mecabRcCandidates().find(exists) ?? null;
  if (options.dicdir !== undefined && !exists(join(options.dicdir, "sys.dic"))) {
    throw new UserError(
      `--mecab-dic ${options.dicdir} is not a MeCab dictionary (no sys.dic there); point it at a UTF-8 IPAdic folder such as /var/lib/mecab/dic/ipadic-utf8`,
    );
  }
  // With a dictionary named and no configuration anywhere, an empty one is enough.
  if (rcfile === null && options.dicdir !== undefined) rcfile = "/dev/null";
  const args = ["mecab", "-Owakati"];
  if (rcfile !== null) args.push("-r", rcfile);
  if (options.dicdir !== undefined) args.push("-d", options.dicdir);
  const { buffers, pointers } = argv(args);
  const model = lib.symbols.mecab_model_new(
    args.length,
    new Uint8Array(pointers.buffer),
  );
  void buffers; // the strings must outlive the call
  if (model === null) {
    const where = options.dicdir !== undefined
      ? `dictionary ${options.dicdir}`
      : rcfile !== null
      ? `configuration ${rcfile}`
      : "built-in default configuration";
    throw new UserError(
      `MeCab could not open its ${where}: ${
        mecabError(lib)
      }; install a UTF-8 dictionary with ${MECAB_INSTALL}, or set MECABRC / pass --mecab-dic DIR`,
    );
  }
  let dictionary: MecabDictionary;
  try {
    dictionary = readDictionary(lib, model);
    const charset = dictionary.charset.toLowerCase().replace(/[-_]/g, "");
    if (charset !== "utf8") {
      throw new UserError(
        `the MeCab dictionary ${dictionary.dir} is encoded in ${dictionary.charset}, not UTF-8, and would cut words apart at random; install mecab-ipadic-utf8 (Debian/Ubuntu) or pass --mecab-dic pointing at a UTF-8 dictionary`,
      );
    }
  } catch (e) {
    lib.symbols.mecab_model_destroy(model);
    throw e;
  }
  const tagger = lib.symbols.mecab_model_new_tagger(model);
  if (tagger === null) {
    const why = mecabError(lib);
    lib.symbols.mecab_model_destroy(model);
    throw new UserError(`MeCab could not create a tagger: ${why}`);
  }
  const info: MecabInfo = {
    version: cString(lib.symbols.mecab_version()),
    library: path,
    rcfile: rcfile === "/dev/null" ? null : rcfile,
    dictionary,
  };
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    lib.symbols.mecab_destroy(tagger);
    lib.symbols.mecab_model_destroy(model);
  };
  const wakati = (text: string): string[] => {
    if (!open) throw new Error("wakati: this MeCab tagger is closed");
    const bytes = encoder.encode(text);
    const out = lib.symbols.mecab_sparse_tostr2(tagger, bytes, BigInt(bytes.length));
    if (out === null) throw new UserError(`MeCab failed on a sentence: ${mecabError(lib)}`);
    // The corpus loader splits on the same white space, so no word may hold any of it (IPAdic
    // returns the ideographic space U+3000 as a word of its own).
    return tokenize(cString(out).replaceAll("\n", " "));
  };
  const probe = wakati(PROBE);
  if (probe.join("") !== PROBE || probe.some((w) => w.includes("\ufffd"))) {
    close();
    throw new UserError(
      `the MeCab dictionary ${dictionary.dir} returns garbage for UTF-8 text (${
        probe.slice(0, 4).join(" ")
      } …); install mecab-ipadic-utf8 (Debian/Ubuntu) or pass --mecab-dic pointing at a UTF-8 dictionary`,
    );
  }
  return { info, wakati, close, [Symbol.dispose]: close };
}

/** The files of a MeCab dictionary folder and their SHA-256. */
export interface DictionaryDigest {
  /** SHA-256 of the lines `"<sha256>  <file>\n"` for the files below, in name order. */
  sha256: string;
  /** Per file: SHA-256. */
  files: Record<string, string>;
}

/** The files of a compiled dictionary that decide how text is segmented. */
const DICTIONARY_FILES = ["char.bin", "dicrc", "matrix.bin", "sys.dic", "unk.dic"];

/**
 * Hashes the files of a compiled MeCab dictionary (`char.bin`, `dicrc`, `matrix.bin`,
 * `sys.dic`, `unk.dic`; those present), so that a corpus records exactly which dictionary cut
 * its words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashDictionary, sha256Hex } from "@rnnlab/rnnlab";
 * // For MeCab's own: hashDictionary(openMecab().info.dictionary.dir). Here a stand-in folder:
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/dicrc`, "cost-factor = 800\n");
 * await Deno.writeTextFile(`${dir}/sys.dic`, "words");
 * await Deno.writeTextFile(`${dir}/README`, "not part of the digest");
 * const digest = await hashDictionary(dir);
 * assert.deepEqual(Object.keys(digest.files), ["dicrc", "sys.dic"]);
 * assert.equal(digest.files["sys.dic"], await sha256Hex("words"));
 * const listing = `${digest.files.dicrc}  dicrc\n${digest.files["sys.dic"]}  sys.dic\n`;
 * assert.equal(digest.sha256, await sha256Hex(listing));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function hashDictionary(dir: string): Promise<DictionaryDigest> {
  const files: Record<string, string> = {};
  let listing = "";
  for (const name of DICTIONARY_FILES) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await Deno.readFile(join(dir, name));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw new UserError(
        `cannot read the MeCab dictionary file ${join(dir, name)}: ${oneLine(e)}`,
      );
    }
    files[name] = await sha256Hex(bytes);
    listing += `${files[name]}  ${name}\n`;
  }
  return { sha256: await sha256Hex(listing), files };
}
