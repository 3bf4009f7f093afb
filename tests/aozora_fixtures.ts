/**
 * Fixtures for the Aozora tests: a Shift_JIS encoder (the web platform only encodes UTF-8), a
 * zip writer, a small Aozora-format text with every kind of markup (our own sentences), where
 * the shared copy of the fourteen novels is, and whether MeCab is installed.
 *
 * @module
 */

import { ROOT } from "./fixtures.ts";
import { crc32 } from "../data/zip.ts";
import { openMecab } from "../data/mecab.ts";

let encodeTable: Map<string, number[]> | null = null;

/**
 * Encodes `text` as Shift_JIS, with the table obtained by decoding every one- and two-byte
 * Shift_JIS code with the platform's decoder (the first code of a character wins). A character
 * Shift_JIS lacks throws.
 */
export function encodeShiftJis(text: string): Uint8Array<ArrayBuffer> {
  if (encodeTable === null) {
    const table = new Map<string, number[]>();
    const dec = new TextDecoder("shift_jis", { fatal: true });
    const add = (bytes: number[]) => {
      let ch: string;
      try {
        ch = dec.decode(new Uint8Array(bytes));
      } catch {
        return;
      }
      if (Array.from(ch).length === 1 && !table.has(ch)) table.set(ch, bytes);
    };
    for (let b = 0; b < 0x80; b++) add([b]);
    for (let b = 0xa1; b <= 0xdf; b++) add([b]);
    for (let lead = 0x81; lead <= 0xfc; lead++) {
      if (lead > 0x9f && lead < 0xe0) continue;
      for (let trail = 0x40; trail <= 0xfc; trail++) if (trail !== 0x7f) add([lead, trail]);
    }
    encodeTable = table;
  }
  const out: number[] = [];
  for (const ch of text) {
    const bytes = encodeTable.get(ch);
    if (bytes === undefined) throw new Error(`no Shift_JIS code for ${JSON.stringify(ch)}`);
    out.push(...bytes);
  }
  return new Uint8Array(out);
}

/** A zip archive of `files` (name → bytes), each stored or deflated. */
export async function writeZip(
  files: Record<string, Uint8Array>,
  method: "stored" | "deflate" = "deflate",
): Promise<Uint8Array<ArrayBuffer>> {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const nameBytes = new TextEncoder().encode(name);
    const packed = method === "stored" ? data : await deflateRaw(data);
    const crc = crc32(data);
    const local = new Uint8Array(30 + nameBytes.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, 0x800, true); // names in UTF-8
    lv.setUint16(8, method === "stored" ? 0 : 8, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, packed.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    local.set(nameBytes, 30);
    const dir = new Uint8Array(46 + nameBytes.length);
    const dv = new DataView(dir.buffer);
    dv.setUint32(0, 0x02014b50, true);
    dv.setUint16(4, 20, true);
    dv.setUint16(6, 20, true);
    dv.setUint16(8, 0x800, true);
    dv.setUint16(10, method === "stored" ? 0 : 8, true);
    dv.setUint32(16, crc, true);
    dv.setUint32(20, packed.length, true);
    dv.setUint32(24, data.length, true);
    dv.setUint16(28, nameBytes.length, true);
    dv.setUint32(42, offset, true);
    dir.set(nameBytes, 46);
    parts.push(local, packed);
    central.push(dir);
    offset += local.length + packed.length;
  }
  const centralSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, central.length, true);
  ev.setUint16(10, central.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((a, p) => a + p.length, 0));
  let p = 0;
  for (const part of all) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const IS = "\u3000"; // the ideographic space that starts every paragraph

/**
 * A whole Aozora-format file (header with legend, body, footer) using every kind of markup the
 * cleaner handles, in our own sentences; lines joined with CRLF as Aozora's are.
 */
export const MARKUP_FILE: string = [
  "試験の物語",
  "架空の著者",
  "",
  "-------------------------------------------------------",
  "【テキスト中に現れる記号について】",
  "",
  "《》：ルビ",
  "（例）猫《ねこ》",
  "-------------------------------------------------------",
  "",
  "［＃３字下げ］第一章［＃「第一章」は大見出し］",
  "",
  `${IS}吾《わ》が家の猫《ねこ》は毎朝｜窓辺《まどべ》に座る。それを見るのが楽しい！「本当？」と友が聞いた。`,
  `${IS}庭には※［＃「木＋内」、第3水準1-85-54］の木がある。隣の札には※［＃「言＋墟のつくり」、第4水準2-88-74］の字。`,
  `${IS}※［＃小書き片仮名ヒ、1-6-84］も※［＃「口＋世」、U+546D］もある。読めない字※［＃「耳＋吾」、56-1］もある。`,
  "［＃ここから２字下げ］",
  `${IS}弟は〔cafe' au lait〕を飲み、〔Bru:cke〕と言った［＃「言った」に傍点］。`,
  "［＃ここで字下げ終わり］",
  `${IS}雨がいよ／＼強くなり、しみ／″＼と寒い。`,
  "［＃ここから中見出し］",
  "第二章",
  "［＃ここで中見出し終わり］",
  `${IS}${IS}${IS}${IS}三`,
  `${IS}終わり。`,
  "",
  "",
  "底本：「試験の物語」架空書房",
  `${IS}${IS}${IS}2024（令和6）年1月1日第1刷`,
  "入力：誰か",
  "青空文庫作成ファイル：",
  "",
].join("\r\n");

/** The sentences {@linkcode MARKUP_FILE} cleans to. */
export const MARKUP_SENTENCES: readonly string[] = [
  "吾が家の猫は毎朝窓辺に座る。",
  "それを見るのが楽しい！",
  "「本当？」",
  "と友が聞いた。",
  "庭には枘の木がある。",
  "隣の札には譃の字。",
  "ㇶも呭もある。",
  "読めない字<unk>もある。",
  "弟はcafé au laitを飲み、Brückeと言った。",
  "雨がいよいよ強くなり、しみじみと寒い。",
  "終わり。",
];

/** The shared copy of the fourteen novels: `AOZORA_DIR`, else `../shared/data/aozora`; or null. */
export function aozoraDir(): string | null {
  for (const c of [Deno.env.get("AOZORA_DIR"), `${ROOT}/../shared/data/aozora`]) {
    if (!c) continue;
    try {
      Deno.statSync(`${c}/soseki/773_ruby_5968.txt`);
      return c;
    } catch {
      try {
        Deno.statSync(`${c}/773_ruby_5968.txt`);
        return c;
      } catch { /* try the next */ }
    }
  }
  return null;
}

/** Whether the tests that read the fourteen novels can run; says so once when they cannot. */
export const HAVE_AOZORA: boolean = (() => {
  const found = aozoraDir() !== null;
  if (!found) {
    console.log("Aozora texts not found (set AOZORA_DIR): the tests that need them are skipped");
  }
  return found;
})();

/** Whether MeCab with a UTF-8 dictionary opens here; says so once when it does not. */
export const HAVE_MECAB: boolean = (() => {
  try {
    openMecab().close();
    return true;
  } catch (e) {
    console.log(`MeCab unavailable (${(e as Error).message}): the tests that need it are skipped`);
    return false;
  }
})();
