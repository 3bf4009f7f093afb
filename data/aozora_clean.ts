/**
 * From an Aozora Bunko text file to plain sentences: the file's header and footer, its markup
 * and its notes are removed or resolved, and the text is cut into one sentence per string.
 *
 * Aozora's format (its "注記一覧" and the legend at the top of every file) marks up the text
 * inline. What this module does with each kind, in the order it is applied to a line:
 *
 * 1. Header and footer: the title and author lines, then either the legend between two lines of
 *    dashes (`【テキスト中に現れる記号について】` …) or, in a file without a legend, everything up to
 *    the first blank line; the footer runs from the first line starting `底本：` to the end.
 * 2. Heading lines: a line with a note that says 見出し (`［＃「一」は中見出し］`,
 *    `［＃中見出し］一［＃中見出し終わり］`) is dropped with its text, as are the lines between
 *    `［＃ここから…見出し］` and `［＃ここで…見出し終わり］`. A line that is only a chapter number in
 *    kanji numerals (an indented `一`, how some files head chapters without a note) is dropped too.
 * 3. Characters outside Shift_JIS: `※［＃「言＋墟のつくり」、第4水準2-88-74］` becomes the character
 *    its JIS X 0213 plane-row-cell code names (`第3水準1-85-54`, `第4水準2-88-74`, or a bare
 *    `1-6-84`) or its `U+XXXX` code; a note with neither (one that cites the source book's page
 *    and line, `56-1`) becomes the one token {@linkcode UNK}.
 * 4. Every other editor note `［＃…］` (emphasis, indentation, corrections) is dropped; notes nest
 *    (`［＃「［」は…］`).
 * 5. Ruby: the reading `《…》` is dropped and the base text kept; `｜`, which marks where the
 *    base starts (`一番｜獰悪《どうあく》`), is dropped.
 * 6. `〔…〕` holding European text (its first character a Latin letter) loses its brackets and
 *    has its accent decomposition undone ({@linkcode composeAccents}: `e'` → é, `ae&` → æ).
 * 7. The repetition marks `／＼` and `／″＼` (くの字点, voiced) repeat the two characters before
 *    them, the voiced one with the first of them voiced: `いよ／＼` → いよいよ, `しみ／″＼` →
 *    しみじみ. A repeated unit of three or more characters cannot be told from plain text; two is
 *    the common case.
 * 8. Sentences: a line is one paragraph; it is cut after 。, ！ or ？ (a run of them counts as
 *    one), and after the closing brackets 」』） that follow them. Leading and trailing white
 *    space is trimmed and empty sentences are dropped.
 *
 * @module
 */

import { composeAccents } from "./aozora_accent.ts";
import { jisx0213Char } from "./jisx0213.ts";
import { UNK } from "./vocab.ts";

/** The parts of an Aozora file: the header's first two lines and the body's sentences. */
export interface AozoraWork {
  /** The first line of the file (the work's title). */
  title: string;
  /** The second line of the file (usually the author). */
  author: string;
  /** The body, one sentence per string, markup resolved. */
  sentences: string[];
}

/**
 * Cleans a whole Aozora text file (header, body, footer) into sentences.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cleanAozora } from "@rnnlab/rnnlab";
 * const file = [
 *   "試しの話", "著者名", "", "\u3000猫《ねこ》が鳴いた。「本当？」と聞いた。", "",
 *   "底本：「試しの話」架空書房", "青空文庫作成ファイル：",
 * ].join("\r\n");
 * assert.deepEqual(cleanAozora(file), ["猫が鳴いた。", "「本当？」", "と聞いた。"]);
 * ```
 */
export function cleanAozora(text: string): string[] {
  return parseAozora(text).sentences;
}

/**
 * Cleans a whole Aozora text file and also returns its title and author lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAozora } from "@rnnlab/rnnlab";
 * const w = parseAozora("門\n夏目漱石\n\n\u3000宗助《そうすけ》は縁側へ出た。\n\n底本：「門」\n");
 * assert.equal(w.title, "門");
 * assert.deepEqual(w.sentences, ["宗助は縁側へ出た。"]);
 * ```
 */
export function parseAozora(text: string): AozoraWork {
  const lines = splitLines(text);
  const start = bodyStart(lines);
  let end = lines.length;
  for (let i = start; i < lines.length; i++) {
    if (lines[i].startsWith("底本：")) {
      end = i;
      break;
    }
  }
  return {
    title: (lines[0] ?? "").trim(),
    author: (lines[1] ?? "").trim(),
    sentences: cleanLines(lines.slice(start, end)),
  };
}

/**
 * Cleans Aozora body text (no header or footer) into sentences: every rule of this module
 * except the first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cleanAozoraBody, UNK } from "@rnnlab/rnnlab";
 * assert.deepEqual(
 *   cleanAozoraBody("［＃５字下げ］一［＃「一」は中見出し］\n\u3000※［＃「木＋内」、第3水準1-85-54］だ。※［＃「耳＋吾」、56-1］！"),
 *   ["枘だ。", `${UNK}！`],
 * );
 * ```
 */
export function cleanAozoraBody(text: string): string[] {
  return cleanLines(splitLines(text));
}

function splitLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return body.split(/\r?\n/);
}

const DASHES = /^-{10,}\s*$/;

/** Index of the first body line: after the legend's closing dashes, else the first blank line. */
function bodyStart(lines: string[]): number {
  let i = 0;
  while (i < lines.length && lines[i].trim() !== "") i++; // title, author, …
  let j = i;
  while (j < lines.length && lines[j].trim() === "") j++;
  if (j < lines.length && DASHES.test(lines[j])) {
    for (let k = j + 1; k < lines.length; k++) if (DASHES.test(lines[k])) return k + 1;
  }
  return i;
}

/** A line that is only a chapter number in kanji numerals (how 虞美人草 and 行人 head chapters). */
const CHAPTER_NUMBER = /^[\s\u3000]*[一二三四五六七八九十百]+[\s\u3000]*$/;

function cleanLines(lines: readonly string[]): string[] {
  const out: string[] = [];
  let inHeading = false;
  for (const raw of lines) {
    const notes = noteBodies(raw);
    let heading = inHeading;
    for (const note of notes) {
      const plain = note.replace(/「[^」]*」/g, "");
      if (!plain.includes("見出し")) continue;
      heading = true;
      if (plain.includes("終わり")) inHeading = false;
      else if (plain.startsWith("ここから")) inHeading = true;
    }
    if (heading || CHAPTER_NUMBER.test(raw)) continue;
    for (const s of splitSentences(cleanLine(raw))) out.push(s);
  }
  return out;
}

/** Steps 3–7 on one line. */
function cleanLine(line: string): string {
  let s = replaceNotes(line);
  s = s.replace(/《[^》]*》/g, "").replaceAll("｜", "");
  s = s.replace(
    /〔([^〕]*)〕/g,
    (whole, inner: string) => /^[A-Za-z]/.test(inner) ? composeAccents(inner) : whole,
  );
  return expandRepetitions(s);
}

/** The contents of the line's top-level `［＃…］` notes, in order. */
function noteBodies(line: string): string[] {
  const found: string[] = [];
  let i = line.indexOf("［＃");
  while (i >= 0) {
    const end = noteEnd(line, i);
    if (end < 0) break;
    found.push(line.slice(i + 2, end));
    i = line.indexOf("［＃", end + 1);
  }
  return found;
}

/** Index of the `］` that closes the note opening at `start`, counting nested brackets; -1 if none. */
function noteEnd(line: string, start: number): number {
  let depth = 0;
  for (let i = start; i < line.length; i++) {
    const c = line[i];
    if (c === "［") depth++;
    else if (c === "］" && --depth === 0) return i;
  }
  return -1;
}

/** Resolves `※［＃…］` character notes and drops every other note (an unclosed one is kept). */
function replaceNotes(line: string): string {
  let out = "";
  let from = 0;
  let i = line.indexOf("［＃");
  while (i >= 0) {
    const end = noteEnd(line, i);
    if (end < 0) break;
    const gaiji = i > 0 && line[i - 1] === "※";
    out += line.slice(from, gaiji ? i - 1 : i);
    if (gaiji) out += resolveCharacter(line.slice(i + 2, end));
    from = end + 1;
    i = line.indexOf("［＃", from);
  }
  return out + line.slice(from);
}

/** The character a `※［＃…］` note names, or {@linkcode UNK}. */
function resolveCharacter(note: string): string {
  const plain = note.replace(/「[^」]*」/g, "");
  const u = /U\+([0-9A-Fa-f]{4,6})/.exec(plain);
  if (u) {
    const cp = parseInt(u[1], 16);
    if (cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff)) return String.fromCodePoint(cp);
    return UNK;
  }
  const jis = /(?<![\d-])([12])-(\d{1,2})-(\d{1,2})(?![\d-])/.exec(plain);
  if (jis) return jisx0213Char(Number(jis[1]), Number(jis[2]), Number(jis[3])) ?? UNK;
  return UNK;
}

/** `／＼` repeats the two characters before it; `／″＼` repeats them with the first voiced. */
function expandRepetitions(s: string): string {
  if (!s.includes("／")) return s;
  return s.replace(/(..)／(″?)＼/gu, (_all, unit: string, voiced: string) => {
    if (!voiced) return unit + unit;
    const [first, ...rest] = Array.from(unit);
    return unit + voice(first) + rest.join("");
  });
}

/** The voiced kana (か → が, ウ → ヴ), or the kana itself when it has none. */
function voice(kana: string): string {
  const composed = (kana + "\u3099").normalize("NFC");
  return Array.from(composed).length === 1 ? composed : kana;
}

const ENDS = new Set(["。", "！", "？"]);
const CLOSERS = new Set(["」", "』", "）"]);

/** Cuts a paragraph after each run of 。！？ and the closing brackets right after it. */
function splitSentences(paragraph: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const s = paragraph.slice(start, end).replace(/^[\s\u3000]+|[\s\u3000]+$/g, "");
    if (s !== "") out.push(s);
    start = end;
  };
  while (i < paragraph.length) {
    if (!ENDS.has(paragraph[i])) {
      i++;
      continue;
    }
    while (i < paragraph.length && ENDS.has(paragraph[i])) i++;
    while (i < paragraph.length && CLOSERS.has(paragraph[i])) i++;
    push(i);
  }
  push(paragraph.length);
  return out;
}
