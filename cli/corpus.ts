/**
 * `deno task corpus aozora [FILE|ZIP|FOLDER ...] --out DIR`: builds a word-segmented Japanese
 * corpus (`train.txt`, `valid.txt`, `test.txt`, `manifest.json`) from Aozora Bunko texts, split
 * by whole works. Without inputs it uses the fourteen Soseki novels (from `--data-dir`, else
 * `AOZORA_DIR`, else the `data/aozora/` cache, filled from Aozora Bunko when missing).
 *
 * ```
 * deno task corpus aozora --out corpora/soseki
 * deno task corpus aozora ~/Downloads/*.zip --out corpora/mine --valid 785 --test 773
 * deno task corpus aozora --data-dir /data/aozora --mecab-dic /var/lib/mecab/dic/ipadic-utf8 --out x
 * ```
 *
 * Progress goes to stderr (one line redrawn in place on a terminal); the corpus folder is
 * printed on stdout at the end.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { type AozoraManifest, buildAozoraCorpus } from "../data/aozora_corpus.ts";
import { defaultIo, type Io, parseCliArgs, runCli } from "./main.ts";

const USAGE =
  "deno task corpus aozora [FILE|ZIP|FOLDER ...] --out DIR [--valid ID] [--test ID] [--data-dir DIR] [--mecab-dic DIR] [--offline]";

const HELP = `usage: ${USAGE}

Builds train.txt, valid.txt and test.txt (one sentence per line, words separated by spaces,
segmented by MeCab with a UTF-8 IPAdic) and manifest.json from Aozora Bunko texts, by whole works.

  FILE|ZIP|FOLDER   Aozora .txt (Shift_JIS or UTF-8) or .zip files, or folders of them; default
                    the fourteen Soseki novels
  --out DIR         the corpus folder to create (must not exist, or be empty)
  --valid ID        validation work(s), comma-separated: number, file id or title (default 785, 門)
  --test ID         test work(s), likewise (default 773, こころ)
  --data-dir DIR    where the Soseki novels are (else AOZORA_DIR, else the data/aozora cache,
                    downloaded from Aozora Bunko when missing)
  --offline         never download
  --mecab-dic DIR   the MeCab dictionary folder (else the one MECABRC or the system's mecabrc names)

MeCab's library is found through MECAB_LIB, else the usual paths; install it with
apt-get install libmecab2 mecab-ipadic-utf8 (Debian/Ubuntu) or brew install mecab mecab-ipadic (macOS).`;

/** Runs the command with `args` (after `corpus`); returns the exit code. */
export async function main(args: string[], io: Io = defaultIo, live = false): Promise<number> {
  const { values, positionals } = parseCliArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      out: { type: "string" },
      valid: { type: "string" },
      test: { type: "string" },
      "data-dir": { type: "string" },
      "mecab-dic": { type: "string" },
      offline: { type: "boolean" },
    },
  }, USAGE);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const [kind, ...inputs] = positionals;
  if (kind !== "aozora") {
    throw new UserError(
      `${
        kind === undefined ? "say which corpus to build" : `unknown corpus '${kind}'`
      }; the one corpus is aozora; usage: ${USAGE}`,
    );
  }
  if (!values.out) throw new UserError(`give the corpus folder with --out DIR; usage: ${USAGE}`);
  const list = (raw: string | undefined, flag: string) => {
    if (raw === undefined) return undefined;
    const ids = raw.split(",").map((s) => s.trim());
    if (ids.some((s) => s === "")) {
      throw new UserError(`${flag} ${raw}: give work ids separated by commas`);
    }
    return ids;
  };
  // On a terminal the progress is one line redrawn in place, cleared when the build ends.
  let drawn = false;
  const log = (msg: string) => {
    if (!live) return io.err(msg);
    Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[2K${msg}`));
    drawn = true;
  };
  let manifest: AozoraManifest;
  try {
    manifest = await buildAozoraCorpus({
      out: values.out,
      inputs,
      valid: list(values.valid, "--valid"),
      test: list(values.test, "--test"),
      dataDir: values["data-dir"],
      offline: values.offline,
      mecab: values["mecab-dic"] !== undefined ? { dicdir: values["mecab-dic"] } : {},
      log,
    });
  } finally {
    if (drawn) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[2K"));
  }
  const { train, valid, test } = manifest.splits;
  io.err(
    `train ${train.tokens} tokens (${train.works.length} works), valid ${valid.tokens}, test ${test.tokens}; vocabulary ${manifest.vocabulary}; MeCab ${manifest.mecab.version}, ${manifest.mecab.dictionary.name}`,
  );
  io.out(values.out);
  return 0;
}

if (import.meta.main) await runCli(() => main(Deno.args, defaultIo, Deno.stderr.isTerminal()));
