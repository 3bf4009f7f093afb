/**
 * The Penn Treebank corpus (Mikolov's preprocessed word-level split), found, downloaded if need
 * be, verified and tokenised.
 *
 * Where the files are looked for, in order:
 * 1. `options.dataDir` (the command line's `--data-dir`);
 * 2. the environment variable `PTB_DIR`;
 * 3. the git-ignored cache `data/ptb/` of the project (or `options.cacheDir`), filled on first use
 *    by downloading from `options.baseUrl`, else env `PTB_BASE_URL`, else
 *    {@linkcode PTB_DEFAULT_BASE_URL}.
 *
 * A folder named explicitly (1 or 2) must hold all three files; nothing is downloaded into it.
 * Every file's SHA-256 is checked against {@linkcode PTB_SHA256} on every load (nothing is cached
 * across processes); a corrupt or truncated file is never used.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../core/errors.ts";
import { assembleCorpus, type Corpus } from "./corpus.ts";
import { DownloadError, downloadVerified } from "./download.ts";
import { readError } from "./files.ts";
import { sha256Hex } from "../core/hash.ts";
import { scanTokens } from "./tokenize.ts";

/** File names of the three splits. */
export const PTB_FILES = {
  train: "ptb.train.txt",
  valid: "ptb.valid.txt",
  test: "ptb.test.txt",
} as const;

/** SHA-256 of the canonical files (the same bytes as `tomsercu/lstm`'s `data/` folder). */
export const PTB_SHA256 = {
  train: "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
  valid: "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
  test: "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
} as const;

/** Where the files are downloaded from unless `baseUrl` or `PTB_BASE_URL` says otherwise. */
export const PTB_DEFAULT_BASE_URL = "https://raw.githubusercontent.com/tomsercu/lstm/master/data/";

const SPLITS = ["train", "valid", "test"] as const;
const HOLDING = "a folder holding ptb.train.txt, ptb.valid.txt and ptb.test.txt";

/** Options of {@linkcode loadPtb}. */
export interface LoadPtbOptions {
  /** A folder holding the three files (the command line's `--data-dir`); beats `PTB_DIR`. */
  dataDir?: string;
  /** The download cache; default env `PTB_CACHE_DIR`, else `data/ptb/` in the project root. */
  cacheDir?: string;
  /** Base URL of the three files; default env `PTB_BASE_URL`, else the GitHub copy. */
  baseUrl?: string;
  /** Never download: missing cache files are an error. */
  offline?: boolean;
  /** Progress messages (downloads); default silent. */
  log?: (msg: string) => void;
  /**
   * The splits to tokenise; default all three. The training split is always tokenised (it
   * defines the vocabulary); a split left out comes back empty (its entry in `files` says
   * 0 tokens). Every file is still found and checksum-verified, so a corrupt file is reported
   * either way. Skipping valid and test saves about a fifth of the load time.
   */
  splits?: readonly ("train" | "valid" | "test")[];
  /**
   * Tokenise only the first `trainTokens` tokens of the training file (a positive integer at most
   * the file's 929,589): `train` then holds exactly those tokens and the vocabulary is theirs
   * (ids in order of first appearance, as always, so they agree with the full load's). Chapter 5
   * trains on the first 1000 tokens; with `splits: ["train"]` this makes loading PTB take a few
   * milliseconds beyond reading and hashing the files. Valid/test, when loaded, must then only
   * use words of that prefix (a `UserError` otherwise).
   */
  trainTokens?: number;
}

/**
 * The project's default download cache, `data/ptb/` next to this module's folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultPtbCacheDir } from "@rnnlab/rnnlab";
 * assert.ok(defaultPtbCacheDir().replaceAll("\\", "/").endsWith("/data/ptb"));
 * ```
 */
export function defaultPtbCacheDir(): string {
  const url = new URL("./ptb/", import.meta.url);
  return url.protocol === "file:" ? resolve(fileURLToPath(url)) : resolve("data", "ptb");
}

/**
 * Loads PTB: locates (or downloads) the three files, verifies them and encodes valid/test with
 * the train vocabulary (10,000 words; 929,589 / 73,760 / 82,430 tokens). `splits` and
 * `trainTokens` limit what is tokenised (never what is verified).
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { loadPtb } from "@rnnlab/rnnlab";
 * const ptb = await loadPtb({ log: console.error });
 * assert.equal(ptb.vocabSize, 10000);
 * assert.equal(ptb.idToWord[0], "aer");
 * assert.deepEqual([ptb.train.length, ptb.valid.length, ptb.test.length], [929589, 73760, 82430]);
 * const ch05 = await loadPtb({ splits: ["train"], trainTokens: 1000 });
 * assert.deepEqual([ch05.vocabSize, ch05.train.length, ch05.valid.length], [418, 1000, 0]);
 * ```
 */
export async function loadPtb(options: LoadPtbOptions = {}): Promise<Corpus> {
  const wanted = new Set<string>(options.splits ?? SPLITS);
  for (const s of wanted) {
    if (!(SPLITS as readonly string[]).includes(s)) {
      throw new UserError(`unknown PTB split '${s}'; expected train, valid or test`);
    }
  }
  const limit = options.trainTokens;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
    throw new UserError(`trainTokens must be a positive integer; got ${limit}`);
  }
  const dataDir = options.dataDir || undefined;
  const envDir = dataDir === undefined ? getEnv("PTB_DIR") : undefined;
  const found = dataDir !== undefined
    ? await readUserDir(resolve(dataDir), `--data-dir ${resolve(dataDir)}`)
    : envDir !== undefined
    ? await readUserDir(resolve(envDir), `PTB_DIR=${resolve(envDir)}`)
    : await readCache(options);
  // The checksums guarantee the canonical bytes, so no separate UTF-8 check is needed.
  const used = found.filter((f) => f.split === "train" || wanted.has(f.split));
  const splits = used.map((f) => ({
    ...f,
    spans: scanTokens(f.bytes, f.split === "train" ? limit : undefined),
  }));
  if (limit !== undefined && splits[0].spans.count < limit) {
    throw new UserError(
      `PTB has only ${splits[0].spans.count} training tokens; asked for ${limit}`,
    );
  }
  const corpus = assembleCorpus("ptb", splits, "error");
  // Every file was verified; the ones not tokenised are listed with 0 tokens.
  corpus.files = found.map((f) =>
    corpus.files.find((c) => c.split === f.split) ??
      { split: f.split, path: f.path, sha256: f.sha256, tokens: 0 }
  );
  return corpus;
}

interface FoundFile {
  split: (typeof SPLITS)[number];
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
  sha256: string;
}

async function readUserDir(dir: string, label: string): Promise<FoundFile[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UserError(`${label} does not exist; PTB_DIR/--data-dir must point at ${HOLDING}`);
    }
    throw readError(dir, e);
  }
  if (!info.isDirectory) {
    throw new UserError(`${label} is not a folder; PTB_DIR/--data-dir must point at ${HOLDING}`);
  }
  const out: FoundFile[] = [];
  for (const split of SPLITS) {
    const path = join(dir, PTB_FILES[split]);
    const bytes = await tryRead(path);
    if (bytes === null) {
      throw new UserError(
        `${label} has no ${PTB_FILES[split]}; PTB_DIR/--data-dir must point at ${HOLDING}`,
      );
    }
    const sha256 = await verify(split, path, bytes, "replace it with the canonical file");
    out.push({ split, path, bytes, sha256 });
  }
  return out;
}

async function readCache(options: LoadPtbOptions): Promise<FoundFile[]> {
  const dir = resolve(options.cacheDir ?? getEnv("PTB_CACHE_DIR") ?? defaultPtbCacheDir());
  const base = baseUrl(options);
  const log = options.log ?? (() => {});
  const out: FoundFile[] = [];
  for (const split of SPLITS) {
    const name = PTB_FILES[split];
    const path = join(dir, name);
    let bytes = await tryRead(path);
    if (bytes === null) {
      const url = new URL(name, base).href;
      const fix = `set PTB_DIR to ${HOLDING} (or pass --data-dir)`;
      if (options.offline) {
        throw new UserError(`PTB not found in ${dir} and downloading is off (offline); ${fix}`);
      }
      log(`downloading ${url} -> ${path}`);
      try {
        bytes = await downloadVerified(url, path, PTB_SHA256[split]);
      } catch (e) {
        if (!(e instanceof DownloadError)) throw e;
        throw new UserError(
          `PTB not found in ${dir} and download from ${url} failed (${e.reason}); ${fix}`,
        );
      }
      log(`saved ${path} (${bytes.length} bytes, SHA-256 verified)`);
      out.push({ split, path, bytes, sha256: PTB_SHA256[split] });
    } else {
      const sha256 = await verify(split, path, bytes, "delete it to re-download");
      out.push({ split, path, bytes, sha256 });
    }
  }
  return out;
}

async function verify(
  split: (typeof SPLITS)[number],
  path: string,
  bytes: Uint8Array<ArrayBuffer>,
  fix: string,
): Promise<string> {
  const actual = await sha256Hex(bytes);
  const expected = PTB_SHA256[split];
  if (actual !== expected) {
    throw new UserError(
      `${path} is corrupt or truncated (${bytes.length} bytes, SHA-256 ${actual}, expected ` +
        `${expected}); ${fix}`,
    );
  }
  return actual;
}

/** Reads a file; `null` if it does not exist, a {@linkcode UserError} for any other failure. */
async function tryRead(path: string): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
    throw readError(path, e);
  }
}

function baseUrl(options: LoadPtbOptions): URL {
  const raw = options.baseUrl || getEnv("PTB_BASE_URL") || PTB_DEFAULT_BASE_URL;
  try {
    return new URL(raw.endsWith("/") ? raw : raw + "/");
  } catch {
    throw new UserError(`PTB download URL '${raw}' (PTB_BASE_URL) is not a valid URL`);
  }
}

/** An environment variable, or undefined when unset, empty or not readable (no --allow-env). */
function getEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
