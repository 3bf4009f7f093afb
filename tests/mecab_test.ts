/**
 * The MeCab binding: segmentation with IPAdic, what it reports about itself, where it looks for
 * the library and the configuration, and its refusals (no library, a bad configuration or
 * dictionary folder with MeCab's own reason, a dictionary in the wrong encoding).
 *
 * The tests that open MeCab are skipped with a message when it is not installed
 * (`apt-get install libmecab2 mecab-ipadic-utf8`).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  hashDictionary,
  MECAB_INSTALL,
  mecabCandidatePaths,
  mecabRcCandidates,
  openMecab,
  sha256Hex,
} from "@rnnlab/rnnlab";
import { HAVE_MECAB } from "./aozora_fixtures.ts";
import { tempDir } from "./fixtures.ts";

/** Runs `fn` with environment variables set (string) or removed (undefined), then restores. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      x === undefined ? Deno.env.delete(k) : Deno.env.set(k, x);
    }
  };
  apply(vars);
  try {
    return fn();
  } finally {
    apply(saved);
  }
}

/** The message of the UserError `fn` throws. */
function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.equal((e as Error).name, "UserError", String(e));
    const msg = (e as Error).message;
    assert.ok(!msg.includes("\n"), `one line: ${msg}`);
    return msg;
  }
  assert.fail("expected a UserError");
}

const EUC_IPADIC = "/var/lib/mecab/dic/ipadic"; // Debian's mecab-ipadic, compiled for EUC-JP
const haveEucIpadic = (() => {
  try {
    return Deno.statSync(join(EUC_IPADIC, "sys.dic")).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "wakati cuts a sentence into IPAdic's words; white space is never a word",
  ignore: !HAVE_MECAB,
  fn: () => {
    using mecab = openMecab();
    assert.deepEqual(mecab.wakati("吾輩は猫である。名前はまだ無い。"), [
      "吾輩",
      "は",
      "猫",
      "で",
      "ある",
      "。",
      "名前",
      "は",
      "まだ",
      "無い",
      "。",
    ]);
    // IPAdic returns the ideographic space as a word; wakati drops it, and ASCII spaces too.
    assert.deepEqual(mecab.wakati("\u3000猫\u3000が　 来た \n"), ["猫", "が", "来", "た"]);
    assert.deepEqual(mecab.wakati(""), []);
  },
});

Deno.test({
  name: "info: MeCab's version, the library loaded and the UTF-8 dictionary it opened",
  ignore: !HAVE_MECAB,
  fn: () => {
    using mecab = openMecab();
    const { version, library, dictionary } = mecab.info;
    assert.match(version, /^\d+\.\d+/);
    assert.ok(library.includes("mecab"), library);
    assert.equal(dictionary.charset.toLowerCase().replace("-", ""), "utf8");
    assert.ok(dictionary.words > 100_000, `${dictionary.words} entries`); // IPAdic: 392,127
    assert.ok(Deno.statSync(join(dictionary.dir, "sys.dic")).isFile);
  },
});

Deno.test({
  name: "a closed tagger refuses to segment",
  ignore: !HAVE_MECAB,
  fn: () => {
    const mecab = openMecab();
    mecab.close();
    mecab.close(); // closing twice is harmless
    assert.throws(() => mecab.wakati("猫"), /closed/);
  },
});

Deno.test("library discovery: Debian's and Homebrew's paths, in order", () => {
  const linux = mecabCandidatePaths("linux", "x86_64");
  assert.equal(linux[0], "/usr/lib/x86_64-linux-gnu/libmecab.so.2");
  assert.ok(linux.includes("libmecab.so.2"));
  assert.equal(
    mecabCandidatePaths("linux", "aarch64")[0],
    "/usr/lib/aarch64-linux-gnu/libmecab.so.2",
  );
  const mac = mecabCandidatePaths("darwin", "aarch64");
  assert.deepEqual(mac.slice(0, 3), [
    "/opt/homebrew/opt/mecab/lib/libmecab.dylib",
    "/opt/homebrew/lib/libmecab.dylib",
    "/usr/local/opt/mecab/lib/libmecab.dylib",
  ]);
  assert.deepEqual(mecabRcCandidates("linux"), [
    "/etc/mecabrc",
    "/usr/local/etc/mecabrc",
    "/usr/etc/mecabrc",
  ]);
  assert.equal(mecabRcCandidates("darwin")[0], "/opt/homebrew/etc/mecabrc");
});

Deno.test("no library loads: one line listing every path tried and the install commands", () => {
  const msg = withEnv(
    { MECAB_LIB: undefined },
    () =>
      userError(() =>
        openMecab({ searchPaths: ["/nowhere/libmecab.so.2", "/nowhere/libmecab.dylib"] })
      ),
  );
  assert.equal(
    msg,
    `MeCab not found (tried: /nowhere/libmecab.so.2, /nowhere/libmecab.dylib); install it with ${MECAB_INSTALL}, or set MECAB_LIB to the library's path`,
  );
  assert.ok(msg.includes("apt-get install libmecab2 mecab-ipadic-utf8"));
  assert.ok(msg.includes("brew install mecab mecab-ipadic"));
});

Deno.test("MECAB_LIB wins over the search paths, and a bad one is named", () => {
  const msg = withEnv(
    { MECAB_LIB: "/nowhere/libmecab.so.2" },
    () => userError(() => openMecab({ searchPaths: mecabCandidatePaths() })),
  );
  assert.match(msg, /^MECAB_LIB=\/nowhere\/libmecab\.so\.2 could not be loaded; /);
  assert.ok(msg.includes(MECAB_INSTALL));
});

Deno.test({
  name: "a configuration that does not open: MeCab's own reason, not an empty message",
  ignore: !HAVE_MECAB,
  fn: async () => {
    await using dir = await tempDir();
    const missing = join(dir.path, "missing-mecabrc");
    assert.equal(
      withEnv({ MECABRC: missing }, () => userError(() => openMecab())),
      `MECABRC=${missing} does not exist; point it at a mecabrc file or leave it unset`,
    );
    // A configuration naming a folder that holds no dictionary: libmecab says which file.
    const rc = join(dir.path, "mecabrc");
    await Deno.writeTextFile(rc, `dicdir = ${dir.path}/nodic\n`);
    const msg = withEnv({ MECABRC: undefined }, () => userError(() => openMecab({ rcfile: rc })));
    assert.match(
      msg,
      new RegExp(`^MeCab could not open its configuration ${rc}: .*${dir.path}/nodic/dicrc`),
    );
    assert.ok(msg.includes(MECAB_INSTALL));
    // A file that is not a configuration at all.
    await Deno.writeTextFile(rc, "this is not a mecabrc\n");
    assert.match(
      withEnv({ MECABRC: rc }, () => userError(() => openMecab())),
      /^MeCab could not open its configuration .*: format error: this is not a mecabrc; /,
    );
  },
});

Deno.test({
  name: "--mecab-dic: a folder without sys.dic, and a damaged dictionary, are refused",
  ignore: !HAVE_MECAB,
  fn: async () => {
    await using dir = await tempDir();
    assert.match(
      userError(() => openMecab({ dicdir: dir.path })),
      new RegExp(`^--mecab-dic ${dir.path} is not a MeCab dictionary \\(no sys\\.dic there\\)`),
    );
    await Deno.writeFile(join(dir.path, "sys.dic"), new Uint8Array(64));
    await Deno.writeTextFile(join(dir.path, "dicrc"), "cost-factor = 800\n");
    const msg = userError(() => openMecab({ dicdir: dir.path }));
    // libmecab 0.996 names the first file it misses; its source locations are left out.
    assert.match(
      msg,
      new RegExp(
        `^MeCab could not open its dictionary ${dir.path}: no such file or directory: ${dir.path}/unk\\.dic; `,
      ),
    );
    assert.doesNotMatch(msg, /\.cpp\(/);
  },
});

Deno.test({
  name: "a dictionary compiled for EUC-JP is refused instead of giving garbage",
  ignore: !HAVE_MECAB || !haveEucIpadic,
  fn: () => {
    const msg = userError(() => openMecab({ dicdir: EUC_IPADIC }));
    assert.match(
      msg,
      /^the MeCab dictionary \/var\/lib\/mecab\/dic\/ipadic is encoded in EUC-JP, not UTF-8, .*install mecab-ipadic-utf8/,
    );
  },
});
if (HAVE_MECAB && !haveEucIpadic) {
  console.log(
    `${EUC_IPADIC} not found (Debian's mecab-ipadic): the wrong-encoding test is skipped`,
  );
}

Deno.test("hashDictionary: one SHA-256 per dictionary file present, and one over them all", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "sys.dic"), "words");
  await Deno.writeTextFile(join(dir.path, "dicrc"), "cost-factor = 800\n");
  await Deno.writeTextFile(join(dir.path, "README"), "not part of the dictionary");
  const d = await hashDictionary(dir.path);
  const sys = await sha256Hex("words");
  const rc = await sha256Hex("cost-factor = 800\n");
  assert.deepEqual(d.files, { dicrc: rc, "sys.dic": sys });
  assert.equal(d.sha256, await sha256Hex(`${rc}  dicrc\n${sys}  sys.dic\n`));
});
