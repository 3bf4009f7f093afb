/**
 * Reading Aozora Bunko texts as a user has them: Aozora's `.txt` (Shift_JIS), the `.zip` it
 * distributes (the text inside is read), a UTF-8 conversion, or a folder of any of these.
 * Every text is identified by its SHA-256: one of the known works ({@linkcode SOSEKI_WORKS}) is
 * recognised whatever its file is called, and a file that bears a known work's name but not its
 * bytes is refused (damaged, or another edition). Any other text is accepted as the user's own,
 * its checksum recorded.
 *
 * @module
 */

import { basename, extname, join, resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import { sha256Hex } from "../core/hash.ts";
import { type AozoraWorkFile, SOSEKI_WORKS } from "./aozora_works.ts";
import { readBytes, readError } from "./files.ts";
import { readZip } from "./zip.ts";

/** One text, read and identified. */
export interface AozoraSource {
  /** The known work's id (`"773_ruby_5968"`), else the file's stem. */
  id: string;
  /** The known work's number (`"773"`), else the stem's leading digits, else the stem. */
  work: string;
  /** The known work's title, else the text's first line. */
  title: string;
  /** The file as a manifest names it: `"773_ruby_5968.txt"`, or `"773_ruby_5968.zip:kokoro.txt"`. */
  file: string;
  /** The absolute path that was read (the zip, for a text inside one). */
  path: string;
  /** SHA-256 of the text's bytes (inside the zip, for a zip). */
  sha256: string;
  /** How the bytes were decoded. */
  encoding: "shift_jis" | "utf-8";
  /** The known work this text is, or `null` for a text of the user's own. */
  known: AozoraWorkFile | null;
  /** The decoded text. */
  text: string;
}

const BY_SHA = new Map(SOSEKI_WORKS.map((w) => [w.sha256, w]));
const BY_ID = new Map(SOSEKI_WORKS.map((w) => [w.id, w]));

/**
 * Decodes an Aozora text: UTF-8 when the bytes are valid UTF-8 (a byte-order mark is dropped),
 * else Shift_JIS (as the web platform decodes it, Microsoft's CP932); bytes that are neither are
 * a {@linkcode UserError} naming `label`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeAozoraText } from "@rnnlab/rnnlab";
 * const sjis = new Uint8Array([0x94, 0x4c]); // 猫 in Shift_JIS
 * assert.deepEqual(decodeAozoraText(sjis, "neko.txt"), { text: "猫", encoding: "shift_jis" });
 * assert.equal(decodeAozoraText(new TextEncoder().encode("猫"), "neko.txt").encoding, "utf-8");
 * ```
 */
export function decodeAozoraText(
  bytes: Uint8Array,
  label: string,
): { text: string; encoding: "shift_jis" | "utf-8" } {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes); // drops a BOM
    return { text, encoding: "utf-8" };
  } catch { /* not UTF-8 */ }
  try {
    return {
      text: new TextDecoder("shift_jis", { fatal: true }).decode(bytes),
      encoding: "shift_jis",
    };
  } catch {
    throw new UserError(`${label} is neither UTF-8 nor Shift_JIS text; give Aozora's .txt or .zip`);
  }
}

/**
 * Reads a text's bytes into an {@linkcode AozoraSource}, checking it against the known works.
 * `stem` is the name it goes by (a file's name without extension); `file` and `path` say where
 * it came from.
 */
export async function identifyText(
  bytes: Uint8Array<ArrayBuffer>,
  stem: string,
  file: string,
  path: string,
): Promise<AozoraSource> {
  const sha256 = await sha256Hex(bytes);
  const known = BY_SHA.get(sha256) ?? null;
  const named = BY_ID.get(stem);
  if (known === null && named !== undefined) {
    throw new UserError(
      `${path}${file.includes(":") ? ` (${file})` : ""} is not Aozora's ${named.id}.txt ` +
        `(${bytes.length} bytes, SHA-256 ${sha256}, expected ${named.bytes} bytes, ${named.sha256}): ` +
        `damaged, converted or another edition; replace it with the original, or rename it to use it as a text of your own`,
    );
  }
  const { text, encoding } = decodeAozoraText(bytes, path);
  const firstLine = text.slice(0, 200).split(/\r?\n/)[0].trim();
  return {
    id: known?.id ?? stem,
    work: known?.work ?? (/^\d+/.exec(stem)?.[0] ?? stem),
    title: known?.title ?? firstLine,
    file,
    path,
    sha256,
    encoding,
    known,
    text,
  };
}

/**
 * Reads the texts of one input: a `.txt` file (any other file name is read as text too), a
 * `.zip` (each `.txt` inside), or a folder (every `.txt` and `.zip` below it, in name order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readAozoraInput } from "@rnnlab/rnnlab";
 * // Aozora's 773_ruby_5968.zip would give こころ, with `known` set; a text of one's own:
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/1234_mine.txt`, "私の小説\n山田太郎\n\n吾輩は猫である。\n");
 * const [mine] = await readAozoraInput(`${dir}/1234_mine.txt`);
 * assert.equal(mine.title, "私の小説"); // its first line
 * assert.equal(mine.work, "1234");
 * assert.equal(mine.known, null);
 * assert.equal(mine.encoding, "utf-8");
 * assert.deepEqual((await readAozoraInput(dir)).map((s) => s.id), ["1234_mine"]); // a folder
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readAozoraInput(input: string): Promise<AozoraSource[]> {
  const path = resolve(input);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw readError(path, e);
  }
  if (info.isDirectory) {
    const files = await listTexts(path);
    if (files.length === 0) throw new UserError(`${path} holds no .txt or .zip file`);
    const out: AozoraSource[] = [];
    for (const f of files) out.push(...await readAozoraFile(f));
    return out;
  }
  return await readAozoraFile(path);
}

/** Reads one `.txt` or `.zip` file. */
export async function readAozoraFile(path: string): Promise<AozoraSource[]> {
  const bytes = await readBytes(path);
  const name = basename(path);
  const stem = name.slice(0, name.length - extname(name).length) || name;
  if (extname(name).toLowerCase() !== ".zip") {
    return [await identifyText(bytes, stem, name, path)];
  }
  const texts = (await readZip(bytes, path)).filter((e) => e.name.toLowerCase().endsWith(".txt"));
  if (texts.length === 0) throw new UserError(`${path} holds no .txt file`);
  const out: AozoraSource[] = [];
  for (const t of texts) {
    const inner = basename(t.name);
    const innerStem = inner.slice(0, inner.length - 4);
    // Aozora's zip holds one text under another name (kokoro.txt); the zip's name is the id.
    const id = texts.length === 1 ? stem : `${stem}:${innerStem}`;
    out.push(await identifyText(t.bytes, id, `${name}:${t.name}`, path));
  }
  return out;
}

/** Every `.txt` and `.zip` below `dir` (hidden entries skipped), sorted by path. */
async function listTexts(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(d));
    } catch (e) {
      throw readError(d, e);
    }
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (/\.(txt|zip)$/i.test(e.name)) found.push(p);
    }
  };
  await walk(dir);
  return found.sort();
}
