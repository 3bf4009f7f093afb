/**
 * Building the Japanese corpus: the whole pipeline on the fourteen shared novels (counts, the
 * manifest, the text-corpus loader reading it, the same bytes twice), a user's own texts through
 * the command line, and the command's refusals, which leave nothing behind.
 *
 * Needs MeCab with a UTF-8 dictionary, and the shared novels for the full build; skipped with a
 * message otherwise.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { buildAozoraCorpus, loadTextCorpus, sha256Hex, UNK } from "@rnnlab/rnnlab";
import {
  aozoraDir,
  encodeShiftJis,
  HAVE_AOZORA,
  HAVE_MECAB,
  MARKUP_FILE,
  MARKUP_SENTENCES,
  writeZip,
} from "./aozora_fixtures.ts";
import {
  assertOneLineError,
  type CommandResult,
  dirEntries,
  ROOT,
  runCliProcess,
  tempDir,
} from "./fixtures.ts";

const FILES = ["manifest.json", "test.txt", "train.txt", "valid.txt"];
/** The Debian 12 IPAdic (`mecab-ipadic-utf8` 2.7.0-20070801+main-3) the exact counts were measured with. */
const DEBIAN_IPADIC = "9d72d19b536041cfe6efe7b719006e109b36bca86df4ce57100a140b20a580f3";

Deno.test({
  name:
    "the fourteen novels: about 1.7 million tokens, a vocabulary near 32,000, and the same bytes twice",
  ignore: !HAVE_AOZORA || !HAVE_MECAB,
  fn: async () => {
    await using dir = await tempDir();
    const a = join(dir.path, "a"), b = join(dir.path, "b", "nested");
    const lines: string[] = [];
    const m = await buildAozoraCorpus({ out: a, dataDir: aozoraDir()!, log: (l) => lines.push(l) });
    assert.equal(lines.filter((l) => l.startsWith("segmented ")).length, 14);
    assert.deepEqual(await sortedEntries(a), FILES);

    const { train, valid, test } = m.splits;
    assert.deepEqual(valid.works, ["785_ruby_1656"]);
    assert.deepEqual(test.works, ["773_ruby_5968"]);
    assert.equal(train.works.length, 12);
    assert.ok(m.sources.every((s) => s.known && s.encoding === "shift_jis"));
    const total = train.tokens + valid.tokens + test.tokens;
    assert.ok(total > 1_600_000 && total < 1_800_000, `${total} tokens`);
    assert.ok(m.vocabulary > 31_000 && m.vocabulary < 33_000, `vocabulary ${m.vocabulary}`);
    assert.equal(m.mecab.dictionary.charset, "UTF-8");
    assert.match(m.mecab.dictionary.sha256, /^[0-9a-f]{64}$/);
    if (m.mecab.version === "0.996" && m.mecab.dictionary.sha256 === DEBIAN_IPADIC) {
      assert.deepEqual(
        [train.sentences, train.tokens, valid.tokens, test.tokens, m.vocabulary],
        [73963, 1479679, 97783, 110044, 31911],
      );
    } else console.log("another MeCab or dictionary: exact counts not compared");

    // The manifest's figures are those of the files, as the corpus loader reads them.
    const corpus = await loadTextCorpus({
      train: join(a, "train.txt"),
      valid: join(a, "valid.txt"),
      test: join(a, "test.txt"),
    });
    assert.deepEqual(
      [corpus.train.length, corpus.valid.length, corpus.test.length],
      [train.tokens, valid.tokens, test.tokens],
    );
    assert.ok(corpus.wordToId.has(UNK), "characters Aozora could not name are <unk>");
    for (const split of [train, valid, test]) {
      const bytes = await Deno.readFile(join(a, split.file));
      assert.equal(split.bytes, bytes.length);
      assert.equal(split.sha256, await sha256Hex(bytes));
    }
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(a, "manifest.json"))), m);

    // Built again elsewhere (a folder that does not exist yet): byte for byte the same.
    await buildAozoraCorpus({ out: b, dataDir: aozoraDir()! });
    for (const f of FILES) {
      assert.deepEqual(await Deno.readFile(join(b, f)), await Deno.readFile(join(a, f)), f);
    }
    // Nothing but the corpus folders is left beside them.
    assert.deepEqual(await sortedEntries(dir.path), ["a", "b"]);
    assert.deepEqual(await sortedEntries(join(dir.path, "b")), ["nested"]);
  },
});

Deno.test({
  name:
    "deno task corpus aozora, with the task's own permissions, on a user's Shift_JIS, UTF-8 and zipped texts",
  ignore: !HAVE_MECAB,
  fn: async () => {
    await using dir = await tempDir();
    const src = join(dir.path, "src");
    await Deno.mkdir(src);
    await Deno.writeFile(join(src, "1001_own.txt"), encodeShiftJis(MARKUP_FILE));
    await Deno.writeTextFile(
      join(src, "1002_own.txt"),
      MARKUP_FILE.replace("試験の物語", "二つ目"),
    );
    await Deno.writeFile(
      join(src, "1003_own.zip"),
      await writeZip({
        "third.txt": new TextEncoder().encode(MARKUP_FILE.replace("試験の物語", "三つ目")),
      }),
    );
    const out = join(dir.path, "corpus");
    const r = await runCorpusTask([
      "aozora",
      src,
      "--out",
      out,
      "--valid",
      "1002",
      "--test",
      "三つ目",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), out);
    assert.match(r.stderr, /segmented 1\/3 試験の物語 \(1001, train\): 11 sentences, \d+ words/);
    assert.match(
      r.stderr,
      /train \d+ tokens \(1 works\), valid \d+, test \d+; vocabulary \d+; MeCab /,
    );

    const m = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
    assert.deepEqual(
      m.sources.map((
        s: Record<string, unknown>,
      ) => [s.id, s.file, s.encoding, s.known, s.split, s.unknown]),
      [
        ["1001_own", "1001_own.txt", "shift_jis", false, "train", 1],
        ["1002_own", "1002_own.txt", "utf-8", false, "valid", 1],
        ["1003_own", "1003_own.zip:third.txt", "utf-8", false, "test", 1],
      ],
    );
    assert.equal(m.sources[0].sha256, await sha256Hex(encodeShiftJis(MARKUP_FILE)));
    // One sentence per line; the words put back together are the cleaned sentences.
    const train = (await Deno.readTextFile(join(out, "train.txt"))).split("\n");
    assert.equal(train.pop(), "");
    assert.deepEqual(
      train.map((l) => l.replaceAll(" ", "")),
      MARKUP_SENTENCES.map((s) => s.replaceAll(" ", "")),
    );
    assert.ok(train.every((l) => !/^ | $| {2}/.test(l)), "single spaces between words");
    assert.deepEqual(train[7].split(" ").slice(-4), [UNK, "も", "ある", "。"], "<unk> is one word");
    assert.equal(m.splits.train.sentences, 11);
    assert.equal(m.splits.train.tokens, m.splits.train.words + 11);
  },
});

Deno.test({
  name:
    "refusals: a non-empty --out, an unknown work, a damaged known file, no --out, twice the same text, no MeCab",
  ignore: !HAVE_MECAB,
  fn: async () => {
    await using dir = await tempDir();
    const src = join(dir.path, "src");
    await Deno.mkdir(src);
    await Deno.writeTextFile(join(src, "1001_a.txt"), MARKUP_FILE);
    await Deno.writeTextFile(join(src, "1002_b.txt"), MARKUP_FILE.replace("試験", "次"));
    const busy = join(dir.path, "busy");
    await Deno.mkdir(busy);
    await Deno.writeTextFile(join(busy, "keep.txt"), "mine");
    const fresh = join(dir.path, "fresh");
    const damaged = join(dir.path, "773_ruby_5968.txt");
    await Deno.writeTextFile(damaged, MARKUP_FILE);
    const [nonEmpty, unknownWork, bad, noOut, twice, kind, noLib] = await Promise.all([
      runCliProcess("corpus.ts", ["aozora", src, "--out", busy]),
      runCliProcess("corpus.ts", [
        "aozora",
        src,
        "--out",
        fresh,
        "--valid",
        "1001",
        "--test",
        "785",
      ]),
      runCliProcess("corpus.ts", [
        "aozora",
        src,
        damaged,
        "--out",
        fresh,
        "--valid",
        "1001",
        "--test",
        "1002",
      ]),
      runCliProcess("corpus.ts", ["aozora", src]),
      runCliProcess("corpus.ts", ["aozora", src, join(src, "1001_a.txt"), "--out", fresh]),
      runCliProcess("corpus.ts", ["wikipedia", "--out", fresh]),
      runCliProcess("corpus.ts", ["aozora", src, "--out", fresh], {
        MECAB_LIB: "/nowhere/libmecab.so.2",
      }),
    ]);
    assertOneLineError(
      nonEmpty,
      new RegExp(`--out ${busy} already exists and is not an empty folder; choose a new one`),
    );
    assertOneLineError(
      unknownWork,
      /--test 785: no such work among the sources \(門 is not one of them\); choose one of 1001 \(試験の物語\), 1002 \(次の物語\)$/,
    );
    assertOneLineError(
      bad,
      new RegExp(
        `${damaged} is not Aozora's 773_ruby_5968\\.txt .*damaged, converted or another edition`,
      ),
    );
    assertOneLineError(
      noOut,
      /give the corpus folder with --out DIR; usage: deno task corpus aozora /,
    );
    assertOneLineError(
      twice,
      /1001_a\.txt is the same text as .*1001_a\.txt; give each work once$/,
    );
    assertOneLineError(kind, /unknown corpus 'wikipedia'; the one corpus is aozora; usage: /);
    assertOneLineError(
      noLib,
      /^error: MECAB_LIB=\/nowhere\/libmecab\.so\.2 could not be loaded; .*apt-get install libmecab2 mecab-ipadic-utf8/,
    );
    // Nothing was written or changed.
    assert.deepEqual(await dirEntries(busy), ["keep.txt"]);
    assert.deepEqual(await sortedEntries(dir.path), ["773_ruby_5968.txt", "busy", "src"]);
  },
});

Deno.test({
  name:
    "an empty --out folder is filled, and an --out that cannot be created leaves nothing behind",
  ignore: !HAVE_MECAB,
  fn: async () => {
    await using dir = await tempDir();
    const src = join(dir.path, "1001_a.txt");
    await Deno.writeTextFile(src, MARKUP_FILE);
    await Deno.writeTextFile(join(dir.path, "1002_b.txt"), MARKUP_FILE.replace("試験", "次"));
    await Deno.writeTextFile(join(dir.path, "1003_c.txt"), MARKUP_FILE.replace("試験", "三"));
    const inputs = [src, join(dir.path, "1002_b.txt"), join(dir.path, "1003_c.txt")];
    const empty = join(dir.path, "empty");
    await Deno.mkdir(empty);
    await buildAozoraCorpus({ out: empty, inputs, valid: ["1002"], test: ["1003"] });
    assert.deepEqual(await sortedEntries(empty), FILES);
    const blocked = join(dir.path, "1001_a.txt", "corpus"); // under a file
    await assert.rejects(
      buildAozoraCorpus({ out: blocked, inputs, valid: ["1002"], test: ["1003"] }),
      {
        name: "UserError",
        message: `--out ${blocked} cannot be created: part of its path is a file; choose a folder`,
      },
    );
    assert.deepEqual(await sortedEntries(dir.path), [
      "1001_a.txt",
      "1002_b.txt",
      "1003_c.txt",
      "empty",
    ]);
  },
});

/** Runs `deno task corpus` as deno.json declares it (its permissions exactly) with `args`. */
async function runCorpusTask(args: string[]): Promise<CommandResult> {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks;
  const [, , ...rest] = (tasks.corpus as string).split(" "); // "deno run --allow-… cli/corpus.ts"
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...rest.slice(0, -1), `${ROOT}/${rest.at(-1)}`, ...args],
    env: { NO_COLOR: "1" },
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function sortedEntries(path: string): Promise<string[]> {
  return (await dirEntries(path)).sort();
}
