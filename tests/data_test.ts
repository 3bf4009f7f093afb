/**
 * Tests of the data layer: tokenisation, the word table, PTB (facts, lookup order, download,
 * checksums) and user text corpora.
 *
 * The PTB tests read the shared copy of the files: `PTB_DIR` if set, else `../shared/data/ptb`
 * next to the project root; without it they are skipped.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../core/errors.ts";
import {
  type Corpus,
  encodeSpans,
  firstTrainTokens,
  loadPtb,
  loadTextCorpus,
  PTB_FILES,
  PTB_SHA256,
  scanTokens,
  sha256Hex,
  tokenize,
  WordTable,
} from "../data/mod.ts";

// ---------------------------------------------------------------------------------------------
// helpers

function findSharedPtb(): string | undefined {
  const candidates = [
    Deno.env.get("PTB_DIR"),
    fileURLToPath(new URL("../../shared/data/ptb/", import.meta.url)),
  ];
  for (const dir of candidates) {
    if (!dir) continue;
    try {
      if (Object.values(PTB_FILES).every((f) => Deno.statSync(join(dir, f)).isFile)) return dir;
    } catch {
      // not here
    }
  }
  return undefined;
}

const PTB = findSharedPtb();
if (!PTB) {
  console.log("PTB not found (set PTB_DIR or provide ../shared/data/ptb): PTB tests skipped");
}
const noPtb = PTB === undefined;

/** Runs `fn` with environment variables set (string) or removed (undefined), then restores. */
async function withEnv<T>(
  vars: Record<string, string | undefined>,
  fn: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      x === undefined ? Deno.env.delete(k) : Deno.env.set(k, x);
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

const NO_PTB_ENV = { PTB_DIR: undefined, PTB_BASE_URL: undefined };

/** Expects `p` to reject with a UserError whose message contains every fragment; returns it. */
async function userError(p: Promise<unknown>, ...fragments: (string | RegExp)[]): Promise<string> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof UserError, `expected a UserError, got ${err}`);
  assert.ok(!err.message.includes("\n"), "a UserError message is one line");
  for (const f of fragments) {
    if (typeof f === "string") assert.ok(err.message.includes(f), `'${f}' in: ${err.message}`);
    else assert.match(err.message, f);
  }
  return err.message;
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "rnnlab_data_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface TestServer {
  baseUrl: string;
  /** Requests seen, by path. */
  hits: string[];
  close(): Promise<void>;
}

/** Serves the shared PTB files; `mangle` may change the bytes served for a file name. */
function servePtb(
  mangle: (name: string, bytes: Uint8Array) => Uint8Array = (_, b) => b,
): TestServer {
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const name = new URL(req.url).pathname.split("/").pop() ?? "";
    hits.push(name);
    if (!(Object.values(PTB_FILES) as string[]).includes(name)) {
      return new Response("no such file", { status: 404 });
    }
    const bytes = mangle(name, await Deno.readFile(join(PTB!, name)));
    return new Response(bytes as Uint8Array<ArrayBuffer>);
  });
  return {
    baseUrl: `http://127.0.0.1:${server.addr.port}/files/`,
    hits,
    close: () => server.shutdown(),
  };
}

/** Copies the shared PTB files into `dir`, writable (the shared copies may be read-only). */
async function copyPtb(dir: string, names: string[] = Object.values(PTB_FILES)): Promise<void> {
  for (const f of names) {
    await Deno.copyFile(join(PTB!, f), join(dir, f));
    await Deno.chmod(join(dir, f), 0o644);
  }
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

async function fileSha(path: string): Promise<string> {
  return await sha256Hex(await Deno.readFile(path));
}

function assertPtbFacts(c: Corpus): void {
  assert.equal(c.name, "ptb");
  assert.equal(c.train.length, 929_589);
  assert.equal(c.valid.length, 73_760);
  assert.equal(c.test.length, 82_430);
  assert.equal(c.vocabSize, 10_000);
  assert.equal(c.idToWord.length, 10_000);
  assert.equal(c.wordToId.size, 10_000);
  assert.equal(c.idToWord[0], "aer");
  assert.equal(c.idToWord[1], "banknote");
  assert.equal(c.wordToId.get("aer"), 0);
  assert.equal(c.wordToId.get("banknote"), 1);
  assert.deepEqual(Array.from(c.train.subarray(0, 3)), [0, 1, 2]);
  assert.deepEqual(
    c.files.map((f) => [f.split, f.sha256, f.tokens]),
    [
      ["train", PTB_SHA256.train, 929_589],
      ["valid", PTB_SHA256.valid, 73_760],
      ["test", PTB_SHA256.test, 82_430],
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// tokenisation and the word table

Deno.test("tokenize: newline becomes <eos>, split on white space, empties dropped", () => {
  assert.deepEqual(tokenize(" aer banknote \n berlitz \n"), [
    "aer",
    "banknote",
    "<eos>",
    "berlitz",
    "<eos>",
  ]);
  assert.deepEqual(tokenize(""), []);
  assert.deepEqual(tokenize("\n\n"), ["<eos>", "<eos>"]);
  assert.deepEqual(tokenize("a\r\nb\tc"), ["a", "<eos>", "b", "c"]);
  // Ideographic space and no-break space split; a word-internal BOM does not, a leading one goes.
  assert.deepEqual(tokenize("\ufeff吾輩\u3000は\u00a0猫\ufeffだ"), ["吾輩", "は", "猫\ufeffだ"]);
});

Deno.test("scanTokens finds exactly the tokens of tokenize, byte spans included", () => {
  const texts = [
    " aer banknote \n berlitz \n",
    "no newline at end",
    "\ufeff吾輩 は 猫 で ある 。\n名前\u3000は まだ\u2003ない 。\r\n",
    "x\u0085y\u1680z\u2028w\u2029v\u202fu\u205ft\u200as\u200bq \x1c r\x1fp",
    "literal <eos> word\n<eos>",
    "\n\n  \n",
    "",
  ];
  const dec = new TextDecoder();
  for (const text of texts) {
    const bytes = new TextEncoder().encode(text);
    const s = scanTokens(bytes);
    const words = Array.from(
      { length: s.count },
      (_, k) => s.starts[k] < 0 ? "<eos>" : dec.decode(bytes.subarray(s.starts[k], s.ends[k])),
    );
    assert.deepEqual(words, tokenize(text), JSON.stringify(text));
  }
  // U+200B (zero-width space) is not white space; U+0085, U+2028, U+001C are.
  assert.deepEqual(tokenize("a\u200bb c\u0085d"), ["a\u200bb", "c", "d"]);
});

Deno.test("WordTable: ids in order of first appearance, survives growth", () => {
  const t = new WordTable();
  const words = Array.from({ length: 5000 }, (_, i) => `w${i}ü`);
  const bytes = new TextEncoder().encode(words.join(" "));
  const spans = scanTokens(bytes);
  const src = { path: "x", split: "train" };
  const ids = encodeSpans(bytes, spans, 0, spans.count, t, "add", src);
  assert.deepEqual(Array.from(ids), words.map((_, i) => i));
  assert.equal(t.size, 5000);
  assert.deepEqual(t.words(), words);
  assert.equal(t.findWord("w4321ü"), 4321);
  assert.equal(t.findWord("w4321"), -1);
  // Encoding again (no growth) maps to the same ids.
  assert.deepEqual(
    encodeSpans(bytes, spans, 10, 13, t, "error", src),
    new Int32Array([10, 11, 12]),
  );
});

// ---------------------------------------------------------------------------------------------
// PTB from a folder the user names

Deno.test({
  name: "PTB facts: token counts, vocabulary, ids, chapter 5's 1000 tokens",
  ignore: noPtb,
  async fn() {
    const c = await loadPtb({ dataDir: PTB });
    assertPtbFacts(c);
    assert.equal(c.files[0].path, join(PTB!, "ptb.train.txt"));
    // every valid/test id is a train word, and <eos> ends each split
    const eos = c.wordToId.get("<eos>")!;
    assert.equal(c.idToWord[eos], "<eos>");
    for (const s of [c.train, c.valid, c.test]) assert.equal(s[s.length - 1], eos);
    assert.ok(c.test.every((id) => id >= 0 && id < 10_000));
    const five = firstTrainTokens(c, 1000);
    assert.equal(five.tokens.length, 1000);
    assert.equal(five.vocabSize, 418);
    assert.deepEqual(Array.from(five.tokens.subarray(0, 5)), Array.from(c.train.subarray(0, 5)));
    five.tokens[0] = 99; // a copy, not a view
    assert.equal(c.train[0], 0);
    assert.throws(() => firstTrainTokens(c, 2_000_000), UserError);
    assert.throws(() => firstTrainTokens(c, 0), UserError);
  },
});

Deno.test({
  name: "PTB: splits and trainTokens limit what is tokenised, not what is verified",
  ignore: noPtb,
  async fn() {
    const full = await loadPtb({ dataDir: PTB });
    const tr = await loadPtb({ dataDir: PTB, splits: ["train"] });
    assert.deepEqual(tr.train, full.train);
    assert.deepEqual(tr.idToWord, full.idToWord);
    assert.equal(tr.valid.length, 0);
    assert.equal(tr.test.length, 0);
    assert.deepEqual(
      tr.files.map((f) => [f.split, f.sha256]),
      full.files.map((f) => [f.split, f.sha256]),
    );
    assert.deepEqual(tr.files.map((f) => f.tokens), [929_589, 0, 0]);
    const five = await loadPtb({ dataDir: PTB, splits: ["train"], trainTokens: 1000 });
    const ref = firstTrainTokens(full, 1000);
    assert.deepEqual(five.train, ref.tokens);
    assert.equal(five.vocabSize, ref.vocabSize);
    assert.deepEqual(five.idToWord, full.idToWord.slice(0, ref.vocabSize));
    assert.deepEqual(firstTrainTokens(five, 1000).tokens, ref.tokens);
    const v = await loadPtb({ dataDir: PTB, splits: ["valid"] }); // train always comes too
    assert.deepEqual(v.valid, full.valid);
    assert.equal(v.test.length, 0);
    await userError(loadPtb({ dataDir: PTB, trainTokens: 0 }), "positive integer");
    await userError(loadPtb({ dataDir: PTB, trainTokens: 2_000_000 }), "only 929589");
    await userError(
      loadPtb({ dataDir: PTB, splits: ["dev" as "valid"] }),
      "unknown PTB split 'dev'",
    );
    await withTempDir(async (dir) => {
      // A corrupt file that is not tokenised is still reported.
      for (const f of ["train", "valid"]) {
        await Deno.copyFile(join(PTB!, `ptb.${f}.txt`), join(dir, `ptb.${f}.txt`));
      }
      await Deno.writeTextFile(join(dir, "ptb.test.txt"), "truncated");
      await userError(loadPtb({ dataDir: dir, splits: ["train"] }), "corrupt or truncated");
    });
  },
});

Deno.test({
  name: "PTB lookup order: --data-dir beats PTB_DIR, PTB_DIR beats the cache",
  ignore: noPtb,
  async fn() {
    await withTempDir(async (empty) => {
      // PTB_DIR is used (offline, empty cache: the cache is not consulted).
      const c = await withEnv(
        { PTB_DIR: PTB, PTB_BASE_URL: undefined },
        () => loadPtb({ cacheDir: empty, offline: true }),
      );
      assert.equal(c.train.length, 929_589);
      assert.equal(c.files[2].path, join(PTB!, "ptb.test.txt"));
      // dataDir wins over a broken PTB_DIR.
      const d = await withEnv(
        { PTB_DIR: join(empty, "nope") },
        () => loadPtb({ dataDir: PTB, cacheDir: empty, offline: true }),
      );
      assert.equal(d.vocabSize, 10_000);
      // A broken PTB_DIR is an error, not a silent fallback to the cache.
      await withEnv({ PTB_DIR: join(empty, "nope") }, () =>
        userError(
          loadPtb({ cacheDir: empty, offline: true }),
          `PTB_DIR=${join(empty, "nope")} does not exist`,
          "ptb.train.txt, ptb.valid.txt and ptb.test.txt",
        ));
    });
  },
});

Deno.test("PTB: a missing or incomplete data folder is a UserError", async () => {
  await withTempDir(async (dir) => {
    await withEnv(NO_PTB_ENV, async () => {
      await userError(
        loadPtb({ dataDir: join(dir, "missing") }),
        `--data-dir ${join(dir, "missing")} does not exist`,
        "PTB_DIR/--data-dir must point at a folder holding ptb.train.txt",
      );
      await userError(loadPtb({ dataDir: dir }), "has no ptb.train.txt", "PTB_DIR/--data-dir");
      await Deno.writeTextFile(join(dir, "x.txt"), "x");
      await userError(loadPtb({ dataDir: join(dir, "x.txt") }), "is not a folder");
    });
  });
});

Deno.test({
  name: "PTB: a truncated file in a user folder is named and never used",
  ignore: noPtb,
  async fn() {
    await withTempDir(async (dir) => {
      await copyPtb(dir);
      // truncate valid
      const valid = join(dir, "ptb.valid.txt");
      await Deno.truncate(valid, 1000);
      await userError(
        loadPtb({ dataDir: dir }),
        `${valid} is corrupt or truncated`,
        "1000 bytes",
        `expected ${PTB_SHA256.valid}`,
        "replace it",
      );
      // a missing test file is named
      await Deno.remove(valid);
      await Deno.copyFile(join(PTB!, "ptb.valid.txt"), valid);
      await Deno.remove(join(dir, "ptb.test.txt"));
      await userError(loadPtb({ dataDir: dir }), `--data-dir ${dir} has no ptb.test.txt`);
    });
  },
});

// ---------------------------------------------------------------------------------------------
// PTB download into the cache

Deno.test({
  name: "PTB download: files land in the cache verified, the second load stays offline",
  ignore: noPtb,
  async fn() {
    const server = servePtb();
    try {
      await withTempDir(async (tmp) => {
        const cache = join(tmp, "cache", "ptb"); // does not exist yet
        const logs: string[] = [];
        const c = await withEnv(
          NO_PTB_ENV,
          () => loadPtb({ cacheDir: cache, baseUrl: server.baseUrl, log: (m) => logs.push(m) }),
        );
        assertPtbFacts(c);
        assert.deepEqual(server.hits, ["ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"]);
        assert.deepEqual(await listDir(cache), ["ptb.test.txt", "ptb.train.txt", "ptb.valid.txt"]);
        for (const [split, name] of Object.entries(PTB_FILES)) {
          assert.equal(await fileSha(join(cache, name)), PTB_SHA256[split as "train"]);
        }
        assert.equal(logs.filter((m) => m.startsWith("downloading ")).length, 3);
        assert.ok(logs.some((m) => m.includes(`${server.baseUrl}ptb.valid.txt`)));
        // Second load: served from the cache, no request.
        const again = await withEnv(
          NO_PTB_ENV,
          () => loadPtb({ cacheDir: cache, baseUrl: server.baseUrl, log: (m) => logs.push(m) }),
        );
        assert.equal(again.train.length, 929_589);
        assert.equal(server.hits.length, 3);
        assert.equal(logs.length, 6); // 3 x (downloading, saved), nothing more
      });
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "PTB download: PTB_BASE_URL is used and only missing files are fetched",
  ignore: noPtb,
  async fn() {
    const server = servePtb();
    try {
      await withTempDir(async (cache) => {
        await copyPtb(cache, ["ptb.train.txt"]);
        const base = server.baseUrl.replace(/\/$/, ""); // no trailing slash: still a folder
        const c = await withEnv(
          { PTB_DIR: undefined, PTB_BASE_URL: base },
          () => loadPtb({ cacheDir: cache }),
        );
        assert.equal(c.valid.length, 73_760);
        assert.deepEqual(server.hits, ["ptb.valid.txt", "ptb.test.txt"]);
        // A cache that cannot be created (its parent is a file) is a UserError naming it.
        const blocked = join(cache, "ptb.train.txt", "ptb");
        await withEnv(NO_PTB_ENV, () =>
          userError(
            loadPtb({ cacheDir: blocked, baseUrl: server.baseUrl }),
            `cannot save ${join(blocked, "ptb.train.txt")}`,
          ));
      });
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "PTB download: a truncated download is refused and leaves no file behind",
  ignore: noPtb,
  async fn() {
    const server = servePtb((name, b) =>
      name === "ptb.valid.txt" ? b.subarray(0, b.length >> 1) : b
    );
    try {
      await withTempDir(async (cache) => {
        await withEnv(NO_PTB_ENV, () =>
          userError(
            loadPtb({ cacheDir: cache, baseUrl: server.baseUrl }),
            `PTB not found in ${cache} and download from ${server.baseUrl}ptb.valid.txt failed`,
            "truncated or corrupt",
            `expected ${PTB_SHA256.valid}`,
            "set PTB_DIR to a folder holding ptb.train.txt, ptb.valid.txt and ptb.test.txt",
          ));
        // train was fine and is kept; no valid, no temp file; test was never asked for.
        assert.deepEqual(await listDir(cache), ["ptb.train.txt"]);
        assert.deepEqual(server.hits, ["ptb.train.txt", "ptb.valid.txt"]);
      });
    } finally {
      await server.close();
    }
  },
});

Deno.test("PTB download: HTTP errors, a server that is down, offline mode", async () => {
  // A port that nothing listens on.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("gone", { status: 404, statusText: "Not Found" }),
  );
  try {
    await withTempDir(async (cache) => {
      await withEnv(NO_PTB_ENV, async () => {
        await userError(
          loadPtb({ cacheDir: cache, baseUrl: `http://127.0.0.1:${port}/` }),
          `PTB not found in ${cache} and download from http://127.0.0.1:${port}/ptb.train.txt`,
          "set PTB_DIR",
        );
        await userError(
          loadPtb({ cacheDir: cache, baseUrl: `http://127.0.0.1:${server.addr.port}/d/` }),
          "(HTTP 404 Not Found)",
          "set PTB_DIR",
        );
        await userError(loadPtb({ cacheDir: cache, offline: true }), "offline", "set PTB_DIR");
        await userError(loadPtb({ cacheDir: cache, baseUrl: "::nonsense" }), "not a valid URL");
        assert.deepEqual(await listDir(cache), []);
      });
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test({
  name: "PTB cache: a corrupt cached file is named, with the advice to delete it",
  ignore: noPtb,
  async fn() {
    await withTempDir(async (cache) => {
      await copyPtb(cache);
      const train = join(cache, "ptb.train.txt");
      await Deno.truncate(train, 4_000_000);
      await withEnv(NO_PTB_ENV, () =>
        userError(
          loadPtb({ cacheDir: cache, offline: true }),
          `${train} is corrupt or truncated`,
          `expected ${PTB_SHA256.train}`,
          "delete it to re-download",
        ));
    });
  },
});

// ---------------------------------------------------------------------------------------------
// user text corpora

const JA_TRAIN = "吾輩 は 猫 で ある 。\n名前 は まだ 無い 。\n<unk> は どこ で 生れ た か\n";
const JA_VALID = "吾輩 は 犬 で ある 。\n";

Deno.test("text corpus: three Japanese files, ids by first appearance, <unk> for new words", async () => {
  await withTempDir(async (dir) => {
    const train = join(dir, "ja.train.txt"), valid = join(dir, "ja.valid.txt");
    await Deno.writeTextFile(train, JA_TRAIN);
    await Deno.writeTextFile(valid, JA_VALID);
    const c = await loadTextCorpus({ train, valid });
    assert.equal(c.name, "ja.train");
    assert.deepEqual(c.idToWord, [
      "吾輩",
      "は",
      "猫",
      "で",
      "ある",
      "。",
      "<eos>",
      "名前",
      "まだ",
      "無い",
      "<unk>",
      "どこ",
      "生れ",
      "た",
      "か",
    ]);
    assert.equal(c.vocabSize, 15);
    assert.equal(c.wordToId.get("<eos>"), 6);
    assert.deepEqual(
      Array.from(c.train),
      [0, 1, 2, 3, 4, 5, 6, 7, 1, 8, 9, 5, 6, 10, 1, 11, 3, 12, 13, 14, 6],
    );
    // 犬 is not in train: mapped to <unk> (id 10).
    assert.deepEqual(Array.from(c.valid), [0, 1, 10, 3, 4, 5, 6]);
    assert.equal(c.test.length, 0);
    assert.deepEqual(c.files.map((f) => [f.split, f.path, f.tokens]), [
      ["train", train, 21],
      ["valid", valid, 7],
    ]);
    assert.equal(c.files[0].sha256, await fileSha(train));
  });
});

Deno.test("text corpus: an unknown word without <unk> names the word, file and line", async () => {
  await withTempDir(async (dir) => {
    const train = join(dir, "train.txt"), test = join(dir, "test.txt");
    await Deno.writeTextFile(train, "吾輩 は 猫 で ある 。\n");
    await Deno.writeTextFile(test, "吾輩 は 猫 。\n吾輩 は 犬 で ある 。\n");
    await userError(
      loadTextCorpus({ train, test }),
      `word '犬' in ${test} (test split, line 2) is not in the training vocabulary`,
      "<unk>",
    );
  });
});

Deno.test("text corpus: one file split by token fractions, in order", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "neko.txt");
    // 20 tokens: 4 lines of 4 words + <eos>; the vocabulary has <unk>.
    await Deno.writeTextFile(path, "a b c d\nb c d <unk>\ne f a b\na g h c\n");
    const c = await loadTextCorpus({ path, split: [0.5, 0.25, 0.25] });
    assert.equal(c.name, "neko");
    assert.deepEqual(c.files.map((f) => [f.split, f.tokens]), [
      ["train", 10],
      ["valid", 5],
      ["test", 5],
    ]);
    assert.deepEqual(c.idToWord, ["a", "b", "c", "d", "<eos>", "<unk>"]);
    assert.deepEqual(Array.from(c.train), [0, 1, 2, 3, 4, 1, 2, 3, 5, 4]);
    assert.deepEqual(Array.from(c.valid), [5, 5, 0, 1, 4]); // e, f unknown
    assert.deepEqual(Array.from(c.test), [0, 5, 5, 2, 4]); // g, h unknown
    assert.ok(c.files.every((f) => f.path === path));

    // Without <unk>, the first unknown word in valid is reported with its line in the file.
    const plain = join(dir, "plain.txt");
    await Deno.writeTextFile(plain, "a b c d\nb c d a\ne f a b\na g h c\n");
    await userError(
      loadTextCorpus({ path: plain, split: [0.5, 0.25, 0.25] }),
      `word 'e' in ${plain} (valid split, line 3)`,
    );

    // bad fractions
    for (const bad of [[0.5, 0.5, 0], [0.8, 0.1, 0.2], [0.9, 0.2, -0.1], [NaN, 0.5, 0.5]]) {
      await userError(
        loadTextCorpus({ path, split: bad as [number, number, number] }),
        "split fractions must be three positive numbers summing to 1",
      );
    }
    // within 1e-9 of 1 is fine
    const ok = await loadTextCorpus({ path, split: [0.7, 0.2, 0.1 + 5e-10] });
    assert.equal(ok.train.length + ok.valid.length + ok.test.length, 20);
    // too few tokens for a non-empty part
    await Deno.writeTextFile(join(dir, "tiny.txt"), "a b");
    await userError(
      loadTextCorpus({ path: join(dir, "tiny.txt"), split: [0.8, 0.1, 0.1] }),
      "has only 2 tokens",
    );
  });
});

Deno.test("text corpus: missing file, invalid UTF-8, empty training text", async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, "nope.txt");
    await userError(loadTextCorpus({ train: missing }), `file not found: ${missing}`);
    const bad = join(dir, "sjis.txt");
    await Deno.writeFile(bad, new Uint8Array([0x8c, 0x4c, 0x82, 0xcd, 0x20, 0x41, 0x0a]));
    await userError(loadTextCorpus({ train: bad }), `${bad} is not valid UTF-8`);
    await userError(loadTextCorpus({ path: bad, split: [0.8, 0.1, 0.1] }), "not valid UTF-8");
    const good = join(dir, "good.txt");
    await Deno.writeTextFile(good, "a b\n");
    await userError(loadTextCorpus({ train: good, valid: bad }), `${bad} is not valid UTF-8`);
    const empty = join(dir, "empty.txt");
    await Deno.writeTextFile(empty, "  \t ");
    await userError(loadTextCorpus({ train: empty }), `training text ${empty} has no tokens`);
    await userError(loadTextCorpus({ train: dir }), `${dir}`);
  });
});
