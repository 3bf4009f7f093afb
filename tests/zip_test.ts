/**
 * The zip reader: stored and deflated entries, folders skipped, and damaged archives refused
 * with one line naming them.
 */

import assert from "node:assert/strict";
import { crc32, readZip } from "@rnnlab/rnnlab";
import { encodeShiftJis, writeZip } from "./aozora_fixtures.ts";

const text = encodeShiftJis("吾輩は猫である。名前はまだ無い。\r\n".repeat(50));

Deno.test("CRC-32 of the standard check string", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

Deno.test("a zip with a deflated text, a stored file and a folder: both files, bytes intact", async () => {
  const zip = await writeZip({ "neko.txt": text }, "deflate");
  assert.ok(zip.length < text.length / 2, "deflate compressed the repeated text");
  const [entry] = await readZip(zip, "neko.zip");
  assert.equal(entry.name, "neko.txt");
  assert.deepEqual(entry.bytes, text);

  const mixed = await writeZip({
    "dir/": new Uint8Array(0),
    "a.txt": text,
    "b.png": new Uint8Array([1, 2, 3]),
  }, "stored");
  const entries = await readZip(mixed, "mixed.zip");
  assert.deepEqual(entries.map((e) => e.name), ["a.txt", "b.png"]);
  assert.deepEqual(entries[1].bytes, new Uint8Array([1, 2, 3]));
});

Deno.test("a damaged zip is refused: flipped byte (CRC-32), truncation, not a zip at all", async () => {
  const zip = await writeZip({ "neko.txt": text }, "stored");
  const flipped = zip.slice();
  flipped[40] ^= 0xff; // inside the stored text
  await assert.rejects(readZip(flipped, "flipped.zip"), {
    name: "UserError",
    message: "flipped.zip is not a readable zip archive (neko.txt fails its CRC-32 check)",
  });
  await assert.rejects(readZip(zip.subarray(0, zip.length - 30), "cut.zip"), {
    name: "UserError",
    message: /^cut\.zip is not a readable zip archive \(no end-of-archive record/,
  });
  await assert.rejects(readZip(text, "neko.txt"), {
    name: "UserError",
    message: /no end-of-archive record/,
  });
  const deflated = await writeZip({ "neko.txt": text }, "deflate");
  const garbled = deflated.slice();
  garbled.fill(0xff, 40, 60); // corrupt the deflate stream itself
  await assert.rejects(readZip(garbled, "garbled.zip"), {
    name: "UserError",
    message:
      /^garbled\.zip is not a readable zip archive \(neko\.txt (does not decompress|fails its CRC-32 check)\)$/,
  });
});
