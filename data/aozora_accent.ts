/**
 * Aozora Bunko's accent decomposition (アクセント分解): inside `〔…〕`, European text writes an
 * accented letter as the plain letter followed by an ASCII mark (`〔ve'rite'〕` is "vérité"),
 * because Shift_JIS has no accented letters. Aozora's page "青空文庫テキストへの「アクセント分解」の
 * 適用" (aozora.gr.jp/accent_separation.html) lists the marks; this module applies them to the
 * letters of Latin-1 and Latin Extended-A that carry each mark:
 *
 * | mark | meaning     | letters (upper and lower case)           | example       |
 * | ---- | ----------- | ---------------------------------------- | ------------- |
 * | `'`  | acute       | A E I O U Y C L N R S Z                  | `e'` → é      |
 * | `` ` `` | grave    | A E I O U                                | `a\`` → à     |
 * | `^`  | circumflex  | A E I O U C G H J S W Y                  | `o^` → ô      |
 * | `~`  | tilde       | A I N O U                                | `n~` → ñ      |
 * | `:`  | diaeresis   | A E I O U Y                              | `u:` → ü      |
 * | `&`  | ring above  | A U                                      | `a&` → å      |
 * | `,`  | cedilla     | C G K L N R S T                          | `c,` → ç      |
 * | `/`  | stroke      | O D H L                                  | `o/` → ø      |
 * | `_`  | macron      | A E I O U                                | `u_` → ū      |
 * | `&`  | ligature    | `AE&` Æ, `ae&` æ, `OE&` Œ, `oe&` œ, `s&` ß |              |
 * | `@`  | inverted    | `!@` ¡, `?@` ¿                           |               |
 *
 * A `,` or `:` followed by white space or the end of the bracket is read as punctuation (the
 * comma of `〔Theatron, Orche^stra〕`), not as a mark: no word of those languages ends in a
 * cedilla'd letter, and this keeps the common case right.
 *
 * @module
 */

/** Per mark: pairs of (letter, accented letter), upper and lower case. */
const MARKS: Record<string, string> = {
  "'": "AÁEÉIÍOÓUÚYÝCĆLĹNŃRŔSŚZŹaáeéiíoóuúyýcćlĺnńrŕsśzź",
  "`": "AÀEÈIÌOÒUÙaàeèiìoòuù",
  "^": "AÂEÊIÎOÔUÛCĈGĜHĤJĴSŜWŴYŶaâeêiîoôuûcĉgĝhĥjĵsŝwŵyŷ",
  "~": "AÃIĨNÑOÕUŨaãiĩnñoõuũ",
  ":": "AÄEËIÏOÖUÜYŸaäeëiïoöuüyÿ",
  "&": "AÅUŮaåuů",
  ",": "CÇGĢKĶLĻNŅRŖSŞTŢcçgģkķlļnņrŗsştţ",
  "/": "OØDĐHĦLŁoødđhħlł",
  "_": "AĀEĒIĪOŌUŪaāeēiīoōuū",
};

/** Multi-letter sequences, tried before the single letters. */
const SEQUENCES: Record<string, string> = {
  "AE&": "Æ",
  "ae&": "æ",
  "OE&": "Œ",
  "oe&": "œ",
  "s&": "ß",
  "!@": "¡",
  "?@": "¿",
};

/** `letter + mark` → accented letter, built once from {@linkcode MARKS}. */
const PAIRS = new Map<string, string>();
for (const [mark, pairs] of Object.entries(MARKS)) {
  const chars = Array.from(pairs);
  for (let i = 0; i < chars.length; i += 2) PAIRS.set(chars[i] + mark, chars[i + 1]);
}

/**
 * Composes the accented letters of one `〔…〕` span's content (the brackets already removed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { composeAccents } from "@rnnlab/rnnlab";
 * assert.equal(composeAccents("ve'rite' vraie."), "vérité vraie.");
 * assert.equal(composeAccents("amicitiae& Bru:cke"), "amicitiæ Brücke");
 * assert.equal(composeAccents("Theatron, Orche^stra"), "Theatron, Orchêstra");
 * ```
 */
export function composeAccents(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const three = SEQUENCES[text.slice(i, i + 3)];
    if (three !== undefined) {
      out += three;
      i += 3;
      continue;
    }
    const two = text.slice(i, i + 2);
    const seq = SEQUENCES[two];
    if (seq !== undefined) {
      out += seq;
      i += 2;
      continue;
    }
    const pair = PAIRS.get(two);
    const mark = text[i + 1];
    const punctuation = (mark === "," || mark === ":") && /^\s?$/.test(text[i + 2] ?? "");
    if (pair !== undefined && !punctuation) {
      out += pair;
      i += 2;
      continue;
    }
    out += text[i++];
  }
  return out;
}
