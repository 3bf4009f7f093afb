/**
 * Finding the fourteen Soseki novels ({@linkcode SOSEKI_WORKS}), the way the PTB loader finds
 * Penn Treebank. Where they are looked for, in order:
 *
 * 1. `options.dataDir` (the command line's `--data-dir`);
 * 2. the environment variable `AOZORA_DIR`;
 * 3. the git-ignored cache `data/aozora/` of the project (or `options.cacheDir`, else env
 *    `AOZORA_CACHE_DIR`), filled on first use from Aozora Bunko's own zip files,
 *    `<base>/<id>.zip` with base `options.baseUrl`, else env `AOZORA_BASE_URL`, else
 *    {@linkcode AOZORA_DEFAULT_BASE_URL}; the text inside is saved as `<id>.txt`.
 *
 * A folder named explicitly (1 or 2) must hold every work, as `<id>.txt` or `<id>.zip`, in the
 * folder itself or in its `soseki/` subfolder (the layout of the shared data folder); nothing is
 * downloaded into it. Every text's SHA-256 is checked on every load; a damaged file is named
 * and never used.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../core/errors.ts";
import { sha256Hex } from "../core/hash.ts";
import { type AozoraSource, identifyText, readAozoraFile } from "./aozora_source.ts";
import { AOZORA_DEFAULT_BASE_URL, type AozoraWorkFile, SOSEKI_WORKS } from "./aozora_works.ts";
import { DownloadError, fetchBytes } from "./download.ts";
import { oneLine, readBytes, readError } from "./files.ts";
import { readZip } from "./zip.ts";

/** Options of {@linkcode findSosekiWorks}. */
export interface FindAozoraOptions {
  /** A folder holding the works (the command line's `--data-dir`); beats `AOZORA_DIR`. */
  dataDir?: string;
  /** The download cache; default env `AOZORA_CACHE_DIR`, else `data/aozora/` in the project. */
  cacheDir?: string;
  /** Where `<id>.zip` is downloaded from; default env `AOZORA_BASE_URL`, else Aozora Bunko. */
  baseUrl?: string;
  /** Never download: a work missing from the cache is an error. */
  offline?: boolean;
  /** Progress messages (downloads); default silent. */
  log?: (msg: string) => void;
  /** The works to find; default all fourteen. */
  works?: readonly AozoraWorkFile[];
}

const HOLDING = "a folder holding Soseki's <id>.txt or <id>.zip files from Aozora Bunko";

/**
 * The project's download cache, `data/aozora/` next to this module's folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultAozoraCacheDir } from "@rnnlab/rnnlab";
 * assert.ok(defaultAozoraCacheDir().replaceAll("\\", "/").endsWith("/data/aozora"));
 * ```
 */
export function defaultAozoraCacheDir(): string {
  const url = new URL("../data/aozora/", import.meta.url);
  return url.protocol === "file:" ? resolve(fileURLToPath(url)) : resolve("data", "aozora");
}

/**
 * Finds, verifies and reads the known works (all fourteen unless `options.works` says), in the
 * order of {@linkcode SOSEKI_WORKS}.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { findSosekiWorks } from "@rnnlab/rnnlab";
 * const works = await findSosekiWorks({ log: console.error }); // AOZORA_DIR, the cache, Aozora
 * assert.equal(works.length, 14);
 * assert.equal(works[0].title, "坊っちゃん");
 * assert.ok(works.every((w) => w.known !== null)); // each one the known work, checksum verified
 * ```
 */
export async function findSosekiWorks(options: FindAozoraOptions = {}): Promise<AozoraSource[]> {
  const works = options.works ?? SOSEKI_WORKS;
  const dataDir = options.dataDir || undefined;
  const envDir = dataDir === undefined ? getEnv("AOZORA_DIR") : undefined;
  if (dataDir !== undefined) {
    return await readUserDir(resolve(dataDir), `--data-dir ${resolve(dataDir)}`, works);
  }
  if (envDir !== undefined) {
    return await readUserDir(resolve(envDir), `AOZORA_DIR=${resolve(envDir)}`, works);
  }
  return await readCache(options, works);
}

async function readUserDir(
  dir: string,
  label: string,
  works: readonly AozoraWorkFile[],
): Promise<AozoraSource[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UserError(
        `${label} does not exist; AOZORA_DIR/--data-dir must point at ${HOLDING}`,
      );
    }
    throw readError(dir, e);
  }
  if (!info.isDirectory) {
    throw new UserError(`${label} is not a folder; AOZORA_DIR/--data-dir must point at ${HOLDING}`);
  }
  const found: AozoraSource[] = [];
  const missing: string[] = [];
  for (const w of works) {
    const path = await firstExisting([
      join(dir, `${w.id}.txt`),
      join(dir, `${w.id}.zip`),
      join(dir, "soseki", `${w.id}.txt`),
      join(dir, "soseki", `${w.id}.zip`),
    ]);
    if (path === null) {
      missing.push(`${w.id} (${w.title})`);
      continue;
    }
    // A wrong text under a work's name is refused by readAozoraFile; a zip must hold that text.
    const sources = await readAozoraFile(path);
    if (sources.length !== 1 || sources[0].known?.id !== w.id) {
      throw new UserError(
        `${path} does not hold Aozora's ${w.id}.txt (${w.title}) alone; replace it with the original`,
      );
    }
    found.push(sources[0]);
  }
  if (missing.length > 0) {
    const list = missing.length <= 3
      ? missing.join(", ")
      : `${missing.slice(0, 3).join(", ")} and ${missing.length - 3} more`;
    throw new UserError(
      `${label} lacks ${missing.length} of the ${works.length} works: ${list}; AOZORA_DIR/--data-dir must point at ${HOLDING}`,
    );
  }
  return found;
}

async function readCache(
  options: FindAozoraOptions,
  works: readonly AozoraWorkFile[],
): Promise<AozoraSource[]> {
  const dir = resolve(options.cacheDir ?? getEnv("AOZORA_CACHE_DIR") ?? defaultAozoraCacheDir());
  const base = baseUrl(options);
  const log = options.log ?? (() => {});
  const out: AozoraSource[] = [];
  for (const w of works) {
    const path = join(dir, `${w.id}.txt`);
    if ((await firstExisting([path])) === null) {
      const url = new URL(`${w.id}.zip`, base).href;
      const fix = `set AOZORA_DIR to ${HOLDING} (or pass --data-dir)`;
      if (options.offline) {
        throw new UserError(
          `${w.id}.txt (${w.title}) is not in ${dir} and downloading is off; ${fix}`,
        );
      }
      log(`downloading ${url} -> ${path}`);
      try {
        await download(url, path, w);
      } catch (e) {
        if (!(e instanceof DownloadError)) throw e;
        throw new UserError(
          `${w.id}.txt (${w.title}) is not in ${dir} and the download from ${url} failed (${e.reason}); ${fix}`,
        );
      }
      log(`saved ${path} (${w.bytes} bytes, SHA-256 verified)`);
    }
    const bytes = await readBytes(path);
    const sha = await sha256Hex(bytes);
    if (sha !== w.sha256) {
      throw new UserError(
        `${path} is corrupt or truncated (${bytes.length} bytes, SHA-256 ${sha}, expected ${w.bytes} bytes, ${w.sha256}); delete it to download it again`,
      );
    }
    out.push(await identifyText(bytes, w.id, `${w.id}.txt`, path));
  }
  return out;
}

/** Downloads `<id>.zip`, checks the text inside, and saves it at `dest` (never half a file). */
async function download(url: string, dest: string, w: AozoraWorkFile): Promise<void> {
  const zip = await fetchBytes(url, 300_000);
  let entries;
  try {
    entries = await readZip(zip, url);
  } catch (e) {
    throw new DownloadError(oneLine(e));
  }
  const texts = entries.filter((e) => e.name.toLowerCase().endsWith(".txt"));
  if (texts.length !== 1) {
    throw new DownloadError(`the zip holds ${texts.length} .txt files, not 1`);
  }
  const bytes = texts[0].bytes;
  const sha = await sha256Hex(bytes);
  if (sha !== w.sha256) {
    throw new DownloadError(
      `its ${
        texts[0].name
      } has ${bytes.length} bytes with SHA-256 ${sha}, expected ${w.bytes} bytes, ${w.sha256} (a damaged download, or Aozora revised the file); nothing was saved`,
    );
  }
  let tmp: string | undefined;
  try {
    await Deno.mkdir(join(dest, ".."), { recursive: true });
    tmp = await Deno.makeTempFile({ dir: join(dest, ".."), prefix: `.${w.id}.`, suffix: ".tmp" });
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, dest);
    tmp = undefined;
  } catch (e) {
    throw new UserError(`cannot save ${dest} (${oneLine(e)}); check that its folder is writable`);
  } finally {
    if (tmp !== undefined) await Deno.remove(tmp).catch(() => {});
  }
}

async function firstExisting(paths: string[]): Promise<string | null> {
  for (const p of paths) {
    try {
      if ((await Deno.stat(p)).isFile) return p;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) continue;
      throw readError(p, e);
    }
  }
  return null;
}

function baseUrl(options: FindAozoraOptions): URL {
  const raw = options.baseUrl || getEnv("AOZORA_BASE_URL") || AOZORA_DEFAULT_BASE_URL;
  try {
    return new URL(raw.endsWith("/") ? raw : raw + "/");
  } catch {
    throw new UserError(`Aozora download URL '${raw}' (AOZORA_BASE_URL) is not a valid URL`);
  }
}

function getEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
