/**
 * Finding the Soseki novels as the PTB loader finds PTB: `--data-dir`, then `AOZORA_DIR`, then
 * the cache filled from Aozora Bunko's zips (served here by a local server from the shared
 * copies); checksums verified everywhere, a damaged file named and never used. And reading a
 * user's own inputs: files, zips and folders, known works recognised by their bytes.
 *
 * The tests that need the shared texts skip when they are absent (set `AOZORA_DIR`).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodeAozoraText,
  findSosekiWorks,
  readAozoraInput,
  SOSEKI_WORKS,
  UserError,
} from "@rnnlab/rnnlab";
import {
  aozoraDir,
  encodeShiftJis,
  HAVE_AOZORA,
  MARKUP_FILE,
  writeZip,
} from "./aozora_fixtures.ts";
import { tempDir } from "./fixtures.ts";

const SHARED = aozoraDir();
const KOKORO = SOSEKI_WORKS.find((w) => w.id === "773_ruby_5968")!;
const MON = SOSEKI_WORKS.find((w) => w.id === "785_ruby_1656")!;
const TWO = [KOKORO, MON];
const NO_ENV = { AOZORA_DIR: undefined, AOZORA_CACHE_DIR: undefined, AOZORA_BASE_URL: undefined };

function sharedFile(id: string): string {
  for (const p of [join(SHARED!, "soseki", `${id}.txt`), join(SHARED!, `${id}.txt`)]) {
    try {
      Deno.statSync(p);
      return p;
    } catch { /* the other layout */ }
  }
  throw new Error(`${id}.txt not in ${SHARED}`);
}

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

/** The one-line UserError message `p` rejects with. */
async function userError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${e}`);
    assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
    return e.message;
  }
  assert.fail("expected a UserError");
}

/** Serves `<id>.zip` for the works, as Aozora does (the text renamed inside); `mangle` may alter it. */
function serveZips(mangle: (id: string, text: Uint8Array) => Uint8Array = (_, t) => t) {
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const name = path.split("/").pop() ?? "";
    hits.push(name);
    const work = SOSEKI_WORKS.find((w) => `/cards/000148/files/${w.id}.zip` === path);
    if (!work) return new Response("no such file", { status: 404 });
    const text = mangle(work.id, await Deno.readFile(sharedFile(work.id)));
    return new Response(await writeZip({ "novel.txt": text }, "deflate"));
  });
  return {
    baseUrl: `http://127.0.0.1:${server.addr.port}/cards/000148/files/`,
    hits,
    close: () => server.shutdown(),
  };
}

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

Deno.test({
  name: "--data-dir beats AOZORA_DIR; both read the shared layout (soseki/) and verify every file",
  ignore: !HAVE_AOZORA,
  fn: async () => {
    await using empty = await tempDir();
    // AOZORA_DIR alone is used…
    const viaEnv = await withEnv({ ...NO_ENV, AOZORA_DIR: SHARED! }, () => findSosekiWorks());
    assert.deepEqual(viaEnv.map((s) => s.id), SOSEKI_WORKS.map((w) => w.id));
    assert.ok(viaEnv.every((s) => s.known !== null && s.encoding === "shift_jis"));
    assert.equal(viaEnv.find((s) => s.work === "773")!.title, "こころ");
    // …but --data-dir wins over it.
    const msg = await withEnv(
      { ...NO_ENV, AOZORA_DIR: SHARED! },
      () => userError(findSosekiWorks({ dataDir: empty.path })),
    );
    assert.match(
      msg,
      new RegExp(
        `^--data-dir ${empty.path} lacks 14 of the 14 works: 752_ruby_2438 \\(坊っちゃん\\), `,
      ),
    );
    assert.match(
      msg,
      /and 11 more; AOZORA_DIR\/--data-dir must point at a folder holding Soseki's/,
    );
  },
});

Deno.test({
  name:
    "a damaged file in a data folder is named and never used; a zip under a work's name must hold it",
  ignore: !HAVE_AOZORA,
  fn: async () => {
    await using dir = await tempDir();
    const bytes = await Deno.readFile(sharedFile(KOKORO.id));
    await Deno.writeFile(join(dir.path, `${KOKORO.id}.txt`), bytes.subarray(0, 1000));
    await Deno.writeFile(
      join(dir.path, `${MON.id}.zip`),
      await writeZip({ "mon.txt": await Deno.readFile(sharedFile(MON.id)) }),
    );
    const msg = await withEnv(
      NO_ENV,
      () => userError(findSosekiWorks({ dataDir: dir.path, works: TWO })),
    );
    assert.match(
      msg,
      new RegExp(
        `^${dir.path}/${KOKORO.id}\\.txt is not Aozora's ${KOKORO.id}\\.txt \\(1000 bytes, SHA-256 [0-9a-f]{64}, expected ${KOKORO.bytes} bytes, ${KOKORO.sha256}\\): damaged`,
      ),
    );
    // Repaired, the same folder reads; 門 comes from its zip.
    await Deno.writeFile(join(dir.path, `${KOKORO.id}.txt`), bytes);
    const found = await withEnv(NO_ENV, () => findSosekiWorks({ dataDir: dir.path, works: TWO }));
    assert.deepEqual(found.map((s) => [s.id, s.file]), [
      [KOKORO.id, `${KOKORO.id}.txt`],
      [MON.id, `${MON.id}.zip:mon.txt`],
    ]);
  },
});

Deno.test({
  name:
    "the cache fills itself from Aozora's zips, verified, and is used without the network afterwards",
  ignore: !HAVE_AOZORA,
  fn: async () => {
    await using cache = await tempDir();
    const server = serveZips();
    const logged: string[] = [];
    let found;
    try {
      found = await withEnv(
        NO_ENV,
        () =>
          findSosekiWorks({
            cacheDir: cache.path,
            baseUrl: server.baseUrl,
            works: TWO,
            log: (m) => logged.push(m),
          }),
      );
    } finally {
      await server.close();
    }
    assert.deepEqual(server.hits, [`${KOKORO.id}.zip`, `${MON.id}.zip`]);
    assert.deepEqual(await names(cache.path), [`${KOKORO.id}.txt`, `${MON.id}.txt`]);
    assert.deepEqual(
      await Deno.readFile(join(cache.path, `${KOKORO.id}.txt`)),
      await Deno.readFile(sharedFile(KOKORO.id)),
    );
    assert.deepEqual(found.map((s) => s.sha256), [KOKORO.sha256, MON.sha256]);
    assert.equal(logged.filter((l) => l.startsWith("downloading ")).length, 2);
    // The server is gone; the cache alone answers, even offline.
    const again = await withEnv(
      NO_ENV,
      () => findSosekiWorks({ cacheDir: cache.path, offline: true, works: TWO }),
    );
    assert.deepEqual(again.map((s) => s.id), [KOKORO.id, MON.id]);
  },
});

Deno.test({
  name: "a download whose text does not match, or that fails, saves nothing and says what to do",
  ignore: !HAVE_AOZORA,
  fn: async () => {
    await using cache = await tempDir();
    const server = serveZips((id, text) => (id === KOKORO.id ? text.subarray(0, 5000) : text));
    try {
      const msg = await withEnv(
        NO_ENV,
        () =>
          userError(findSosekiWorks({ cacheDir: cache.path, baseUrl: server.baseUrl, works: TWO })),
      );
      assert.match(
        msg,
        new RegExp(
          `^${KOKORO.id}\\.txt \\(こころ\\) is not in ${cache.path} and the download from ${server.baseUrl}${KOKORO.id}\\.zip failed \\(its novel\\.txt has 5000 bytes with SHA-256 [0-9a-f]{64}, expected ${KOKORO.bytes} bytes`,
        ),
      );
      assert.match(msg, /nothing was saved\); set AOZORA_DIR to .* \(or pass --data-dir\)$/);
      assert.deepEqual(await names(cache.path), []);
      const gone = await withEnv(
        NO_ENV,
        () =>
          userError(
            findSosekiWorks({
              cacheDir: cache.path,
              baseUrl: server.baseUrl + "missing/",
              works: [MON],
            }),
          ),
      );
      assert.match(
        gone,
        /download from .*missing\/785_ruby_1656\.zip failed \(HTTP 404 Not Found\)/,
      );
    } finally {
      await server.close();
    }
    const offline = await withEnv(
      NO_ENV,
      () => userError(findSosekiWorks({ cacheDir: cache.path, offline: true, works: TWO })),
    );
    assert.match(
      offline,
      new RegExp(
        `^${KOKORO.id}\\.txt \\(こころ\\) is not in ${cache.path} and downloading is off; set AOZORA_DIR`,
      ),
    );
    assert.deepEqual(await names(cache.path), []);
  },
});

Deno.test({
  name: "a damaged cache file is named, with how to fix it, and never used",
  ignore: !HAVE_AOZORA,
  fn: async () => {
    await using cache = await tempDir();
    await Deno.writeTextFile(join(cache.path, `${KOKORO.id}.txt`), "not the novel");
    const msg = await withEnv(
      NO_ENV,
      () => userError(findSosekiWorks({ cacheDir: cache.path, offline: true, works: TWO })),
    );
    assert.match(
      msg,
      new RegExp(
        `^${cache.path}/${KOKORO.id}\\.txt is corrupt or truncated \\(13 bytes, .*\\); delete it to download it again$`,
      ),
    );
  },
});

Deno.test("decoding: UTF-8 when the bytes are UTF-8 (a byte-order mark dropped), else Shift_JIS, else refused", () => {
  const sjis = decodeAozoraText(encodeShiftJis(MARKUP_FILE), "fixture.txt");
  assert.deepEqual(sjis, { text: MARKUP_FILE, encoding: "shift_jis" });
  const utf8 = decodeAozoraText(new TextEncoder().encode("\ufeff" + MARKUP_FILE), "fixture.txt");
  assert.deepEqual(utf8, { text: MARKUP_FILE, encoding: "utf-8" });
  assert.throws(() => decodeAozoraText(new Uint8Array([0x82, 0xff, 0xff]), "broken.txt"), {
    name: "UserError",
    message: "broken.txt is neither UTF-8 nor Shift_JIS text; give Aozora's .txt or .zip",
  });
});

Deno.test("a user's own inputs: Shift_JIS and UTF-8 texts, a zip, a folder of them, in name order", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(join(dir.path, "more"));
  await Deno.writeFile(join(dir.path, "b_own.txt"), encodeShiftJis(MARKUP_FILE));
  await Deno.writeTextFile(
    join(dir.path, "more", "c_utf8.txt"),
    MARKUP_FILE.replace("試験の物語", "別の物語"),
  );
  await Deno.writeFile(
    join(dir.path, "a_9999.zip"),
    await writeZip({
      "inner.txt": new TextEncoder().encode(MARKUP_FILE.replace("試験", "三番目の")),
    }),
  );
  await Deno.writeTextFile(join(dir.path, "notes.md"), "not a text");
  const sources = await readAozoraInput(dir.path);
  assert.deepEqual(
    sources.map((s) => [s.id, s.work, s.title, s.file, s.encoding, s.known]),
    [
      ["a_9999", "a_9999", "三番目のの物語", "a_9999.zip:inner.txt", "utf-8", null],
      ["b_own", "b_own", "試験の物語", "b_own.txt", "shift_jis", null],
      ["c_utf8", "c_utf8", "別の物語", "c_utf8.txt", "utf-8", null],
    ],
  );
  const [one] = await readAozoraInput(join(dir.path, "b_own.txt"));
  assert.equal(one.path, join(dir.path, "b_own.txt"));
  assert.match(
    await userError(readAozoraInput(join(dir.path, "nothing.txt"))),
    /^file not found: /,
  );
  await using emptyDir = await tempDir();
  assert.equal(
    await userError(readAozoraInput(emptyDir.path)),
    `${emptyDir.path} holds no .txt or .zip file`,
  );
});

Deno.test({
  name:
    "a known work is recognised by its bytes whatever it is called; its name with other bytes is refused",
  ignore: !HAVE_AOZORA,
  fn: async () => {
    await using dir = await tempDir();
    const bytes = await Deno.readFile(sharedFile(KOKORO.id));
    await Deno.writeFile(join(dir.path, "kokoro.zip"), await writeZip({ "kokoro.txt": bytes }));
    const [s] = await readAozoraInput(join(dir.path, "kokoro.zip"));
    assert.deepEqual([s.id, s.work, s.title, s.known?.id], [KOKORO.id, "773", "こころ", KOKORO.id]);
    const converted = new TextEncoder().encode(new TextDecoder("shift_jis").decode(bytes));
    await Deno.writeFile(join(dir.path, `${KOKORO.id}.txt`), converted);
    assert.match(
      await userError(readAozoraInput(join(dir.path, `${KOKORO.id}.txt`))),
      /is not Aozora's 773_ruby_5968\.txt .*; replace it with the original, or rename it to use it as a text of your own$/,
    );
  },
});
