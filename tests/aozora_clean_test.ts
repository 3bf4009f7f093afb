/**
 * The Aozora cleaner, rule by rule: header and footer, headings, characters outside Shift_JIS
 * (JIS X 0213 and U+ codes), editor notes, ruby, accent decomposition, repetition marks and
 * sentence splitting; then a whole file with every kind of markup, read from Shift_JIS bytes.
 */

import assert from "node:assert/strict";
import {
  cleanAozora,
  cleanAozoraBody,
  composeAccents,
  jisx0213Char,
  parseAozora,
  UNK,
} from "@rnnlab/rnnlab";
import { encodeShiftJis, MARKUP_FILE, MARKUP_SENTENCES } from "./aozora_fixtures.ts";
import { ROOT } from "./fixtures.ts";

const IS = "\u3000";

Deno.test("header with a legend: the text starts after the legend's second line of dashes", () => {
  const dashes = "-".repeat(55);
  const file = [
    "題名",
    "著者",
    "",
    dashes,
    "【テキスト中に現れる記号について】",
    "《》：ルビ",
    dashes,
    "",
    `${IS}本文です。`,
  ].join("\r\n");
  const w = parseAozora(file);
  assert.deepEqual([w.title, w.author, w.sentences], ["題名", "著者", ["本文です。"]]);
});

Deno.test("header without a legend: the text starts after the first blank line", () => {
  assert.deepEqual(cleanAozora("題名\n著者\n\n本文です。\n続き。"), ["本文です。", "続き。"]);
});

Deno.test("footer: everything from the first line starting 底本： is dropped", () => {
  const file = "題名\n著者\n\n本文。\n\n底本：「題名」書房\n入力：誰か\n本文ではない。\n";
  assert.deepEqual(cleanAozora(file), ["本文。"]);
});

Deno.test("heading lines are dropped with their text: inline notes, blocks and bare chapter numbers", () => {
  const body = [
    "［＃５字下げ］一［＃「一」は中見出し］",
    "［＃８字下げ］［＃中見出し］二［＃中見出し終わり］",
    "［＃ここから大見出し］",
    "第三部",
    "［＃ここで大見出し終わり］",
    `${IS}${IS}${IS}十二`,
    "残る文。",
    "［＃「見出し」に傍点］見出しという語を含む文は残る。",
  ].join("\n");
  assert.deepEqual(cleanAozoraBody(body), ["残る文。", "見出しという語を含む文は残る。"]);
});

Deno.test("characters outside Shift_JIS: JIS X 0213 plane-row-cell and U+ codes resolve, the rest are <unk>", () => {
  const note = (n: string) => `※［＃${n}］`;
  assert.deepEqual(
    cleanAozoraBody(
      [
        `a${note("「木＋内」、第3水準1-85-54")}`, // plane 1, third level
        `b${note("「言＋墟のつくり」、第4水準2-88-74")}`, // plane 2, fourth level
        `c${note("小書き片仮名ヒ、1-6-84")}`, // bare plane-row-cell
        `d${note("感嘆符疑問符、1-8-78")}`,
        `e${note("「口＋世」、U+546D、ページ数-行数")}`,
        `f${note("「耳＋吾」、56-1")}`, // a page-line reference names no character
        `g${note("「某」、第4水準2-2-1")}`, // plane 2 has no row 2
      ].join("。"),
    ),
    ["a枘。", "b譃。", "cㇶ。", "d⁉。", "e呭。", `f${UNK}。`, `g${UNK}`],
  );
});

Deno.test("JIS X 0213 table: the standard's 11,233 characters, and cells that are two code points", () => {
  let held = 0;
  for (const plane of [1, 2]) {
    for (let row = 1; row <= 94; row++) {
      for (let cell = 1; cell <= 94; cell++) if (jisx0213Char(plane, row, cell) !== null) held++;
    }
  }
  assert.equal(held, 11233); // JIS X 0213:2004: 11,233 characters in both planes
  assert.equal(jisx0213Char(1, 4, 87), "か\u309a");
  assert.equal(jisx0213Char(1, 1, 29), "―"); // a JIS X 0208 cell, as the Shift_JIS decoder has it
  assert.equal(jisx0213Char(1, 13, 1), "①");
  assert.equal(jisx0213Char(1, 47, 52), "\u{20b9f}"); // 𠮟, outside the BMP
  assert.equal(jisx0213Char(3, 1, 1), null);
  assert.equal(jisx0213Char(1, 0, 1), null);
});

Deno.test({
  name: "JIS X 0213 table: the committed module is what data/tools/gen_jisx0213.py writes",
  ignore: !havePython(),
  fn: async () => {
    const out = await new Deno.Command("python3", {
      args: [`${ROOT}/data/tools/gen_jisx0213.py`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const committed = await Deno.readTextFile(`${ROOT}/data/jisx0213_table.ts`);
    assert.equal(new TextDecoder().decode(out.stdout), committed);
  },
});

Deno.test("editor notes are dropped, nested ones included; an unclosed bracket is kept as text", () => {
  assert.deepEqual(
    cleanAozoraBody(
      "彼［＃「彼」に傍点］は［＃「［は］」は底本では「わ」］来た。［＃改ページ］\n［＃地から２字上げ］（明治四十年）\n開いた［＃括弧",
    ),
    ["彼は来た。", "（明治四十年）", "開いた［＃括弧"],
  );
});

Deno.test("ruby: the reading is dropped, the base kept, and ｜ removed", () => {
  assert.deepEqual(cleanAozoraBody("一番｜獰悪《どうあく》な猫《ねこ》が居た。"), [
    "一番獰悪な猫が居た。",
  ]);
});

Deno.test("accent decomposition inside 〔…〕 is undone; other 〔…〕 stays as it is", () => {
  assert.deepEqual(
    cleanAozoraBody("〔ve'rite' vraie.〕を知る。〔注〕は残る。"),
    ["vérité vraie.を知る。", "〔注〕は残る。"],
  );
});

Deno.test("accent table: every mark, the ligatures, the inverted marks, and , : as punctuation", () => {
  assert.equal(composeAccents("a' e` i^ n~ o:. a& c,. o/ u_"), "á è î ñ ö. å ç. ø ū");
  assert.equal(composeAccents("E' A` O^ A~ U:. U& S,. L/ I_"), "É À Ô Ã Ü. Ů Ş. Ł Ī");
  assert.equal(composeAccents("ae& AE& oe& OE& s& !@ ?@"), "æ Æ œ Œ ß ¡ ¿");
  assert.equal(composeAccents("Theatron, Orche^stra: Ske^ne^,"), "Theatron, Orchêstra: Skênê,");
  assert.equal(composeAccents("garc,on fu:r"), "garçon für");
  assert.equal(composeAccents("x' b: 1^"), "x' b: 1^"); // letters without that mark are left alone
});

Deno.test("repetition marks ／＼ and ／″＼ repeat the two characters before them", () => {
  assert.deepEqual(
    cleanAozoraBody("いよ／＼来た。しみ／″＼思う。ウロ／″＼する。あお／″＼と。"),
    ["いよいよ来た。", "しみじみ思う。", "ウロヴロする。", "あおあおと。"],
  );
});

Deno.test("sentences: cut after 。！？ and the closing brackets after them, and at paragraph ends", () => {
  assert.deepEqual(
    cleanAozoraBody(
      `${IS}来た。見た！勝った？本当か！？「そうだ。」と言った。『書名』を読む（注記。）\n${IS}段落の終わり\n${IS}${IS}\n`,
    ),
    [
      "来た。",
      "見た！",
      "勝った？",
      "本当か！？",
      "「そうだ。」",
      "と言った。",
      "『書名』を読む（注記。）",
      "段落の終わり",
    ],
  );
});

Deno.test("a whole file with every kind of markup, read from Shift_JIS bytes with CRLF line ends", () => {
  const text = new TextDecoder("shift_jis", { fatal: true }).decode(encodeShiftJis(MARKUP_FILE));
  assert.equal(text, MARKUP_FILE);
  assert.deepEqual(cleanAozora(text), MARKUP_SENTENCES);
  // LF line ends and a byte-order mark clean the same.
  assert.deepEqual(cleanAozora("\ufeff" + MARKUP_FILE.replaceAll("\r\n", "\n")), MARKUP_SENTENCES);
});

function havePython(): boolean {
  try {
    return new Deno.Command("python3", {
      args: ["-c", "import codecs; codecs.lookup('euc_jis_2004')"],
    })
      .outputSync().success;
  } catch {
    console.log("python3 not found: the JIS X 0213 generator test is skipped");
    return false;
  }
}
