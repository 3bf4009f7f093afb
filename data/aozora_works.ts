/**
 * The fourteen novels of Natsume Soseki (public domain) that rnnlab's Japanese corpus is built
 * from, as Aozora Bunko distributes them: modern-spelling editions, Shift_JIS with CRLF line
 * ends and Aozora markup. The SHA-256s are those of the `.txt` files, the same bytes as the text
 * inside Aozora's `<id>.zip` and as the public mirror `aozorahack/aozorabunko_text` at commit
 * 0984f7dc18a2270bdfd2ff99bf14fd1b3ebb4f65 (2023-03-22), `cards/000148/files/<id>/<id>.txt`.
 *
 * The split is by whole works, about Penn Treebank's proportions: valid = 門 (785), test = こころ
 * (773), train = the other twelve.
 *
 * @module
 */

/** One of the known works. */
export interface AozoraWorkFile {
  /** The file's stem, Aozora's `<work>_ruby_<revision>`, e.g. `"773_ruby_5968"`. */
  id: string;
  /** The work number of Aozora's card, e.g. `"773"`. */
  work: string;
  /** The title, as the file's first line gives it. */
  title: string;
  /** The split it belongs to by default. */
  split: "train" | "valid" | "test";
  /** Size of the `.txt` in bytes. */
  bytes: number;
  /** SHA-256 of the `.txt`. */
  sha256: string;
}

/** The fourteen works, in order of Aozora's work number. */
export const SOSEKI_WORKS: readonly AozoraWorkFile[] = [
  work(
    "752_ruby_2438",
    "坊っちゃん",
    "train",
    209990,
    "8b1087162da44dbf54705c15f5ba62c7c07db86bb6f38caacd4f5beb62e4618b",
  ),
  work(
    "761_ruby_1861",
    "虞美人草",
    "train",
    486709,
    "80f9a33e1d6e26dc64f6e90aa835c07a073d04aab1ed9d6822a7d8c68a31f58c",
  ),
  work(
    "765_ruby_2469",
    "彼岸過迄",
    "train",
    464069,
    "29cfcd09568d5ae7e63d96a321cd252cabb3e73b19f87ed07ba96308194577e0",
  ),
  work(
    "773_ruby_5968",
    "こころ",
    "test",
    374152,
    "d0124c6a71ca3c8f6898dc84578134789fcbdf6a1133121d205ebdaf52274594",
  ),
  work(
    "774_ruby_1640",
    "坑夫",
    "train",
    333354,
    "b3a4b177133b56a684ee317d358f75512d46d79ad36692ee783d03a7a1968e73",
  ),
  work(
    "775_ruby_2064",
    "行人",
    "train",
    518937,
    "1d642fa2e2dd575948fdfcd2959d83c7ade412a8bf89577493b4980a6e2378f8",
  ),
  work(
    "776_ruby_6020",
    "草枕",
    "train",
    216453,
    "c7c15cc9cb143b1a3319e52ac0ba174115c7dd0a249a6c072a955b10bd61a53e",
  ),
  work(
    "782_ruby_2315",
    "明暗",
    "train",
    749641,
    "36bb1bb677b0e518d909e4d243de4478b70e6bef688f29ca2c1f25d4ad09d6ee",
  ),
  work(
    "783_ruby_1311",
    "道草",
    "train",
    345858,
    "fa630e92a09e3894849784b6036a98e545479cd5ad0b4725319906e95e85a842",
  ),
  work(
    "785_ruby_1656",
    "門",
    "valid",
    331663,
    "62070e14532b5ba4c3c8b8b05e5342a0b128479c5cb34f4a2fff5dab430094f3",
  ),
  work(
    "789_ruby_5639",
    "吾輩は猫である",
    "train",
    749051,
    "f8c511ab3e69e3a1ccfea475783c2e4d64917a2cdedfb67441ea27655aca5f75",
  ),
  work(
    "791_ruby_1549",
    "野分",
    "train",
    221785,
    "08fee114ea2d8f254054c4b8a6cc1d2551b10488b52c0890b2ae360ee610c8a2",
  ),
  work(
    "794_ruby_4237",
    "三四郎",
    "train",
    363871,
    "0bab653dbaf0e6a9293e98b8de4ab7770f7a246e2f63046fadd63b76d1af0910",
  ),
  work(
    "56143_ruby_50824",
    "それから",
    "train",
    393703,
    "812cbbbf2cb72dd99c706aa759170c97c806831345c6a0012b830a3aa164e20a",
  ),
];

/** Where Aozora Bunko serves Soseki's files (`<id>.zip`) unless told otherwise. */
export const AOZORA_DEFAULT_BASE_URL = "https://www.aozora.gr.jp/cards/000148/files/";

function work(
  id: string,
  title: string,
  split: AozoraWorkFile["split"],
  bytes: number,
  sha256: string,
): AozoraWorkFile {
  return { id, work: id.split("_")[0], title, split, bytes, sha256 };
}
