/**
 * `deno task generate <run-dir> [--start "the"] [--words 100] [--temperature 1.0] [--seed 1]`:
 * samples text from a trained run's parameters (`checkpoints/last.ckpt`, or `--best` for the
 * best-by-valid ones). The same seed gives the same text; `<unk>` is never produced unless
 * `--allow-unk` is given. On a Japanese run (a corpus segmented by MeCab) the start text is
 * segmented the same way (`--start 吾輩は`) and the words are printed without spaces.
 *
 * @module
 */

import { UserError } from "../core/errors.ts";
import { Rng } from "../core/random.ts";
import { loadCheckpoint, restoreParams } from "../run/checkpoint.ts";
import { generateWords, wordsToText } from "../models/generate.ts";
import { checkpointPath, readRunRecord } from "../run/record.ts";
import { loadExperiment } from "../experiments/mod.ts";
import { loadRunData, recordedDataSource } from "../run/data.ts";
import { openMecab } from "../data/mecab.ts";
import { oneRunDir, parseCliArgs, parseSeed, runCli, userPath } from "./main.ts";

const USAGE =
  'deno task generate RUN_DIR [--start "the"] [--words 100] [--temperature 1.0] [--seed 1] [--best] [--allow-unk] [--data-dir DIR]';

/** `raw` as a finite number `>= min` (`> min` when `aboveMin`), else a `UserError` naming `flag`. */
function num(flag: string, raw: string, integer: boolean, min: number, aboveMin = false): number {
  const v = Number(raw);
  const belowBound = aboveMin ? v <= min : v < min;
  if (raw.trim() === "" || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || belowBound) {
    const kind = integer ? "an integer" : "a number";
    throw new UserError(`${flag} ${raw}: must be ${kind} ${aboveMin ? ">" : ">="} ${min}`);
  }
  return v;
}

/** Entry point; prints the generated text and returns the exit code. */
export async function main(args: string[], print = (s: string) => console.log(s)): Promise<number> {
  const parsed = parseCliArgs({
    args,
    options: {
      start: { type: "string", default: "the" },
      words: { type: "string", default: "100" },
      temperature: { type: "string", default: "1.0" },
      seed: { type: "string", default: "1" },
      best: { type: "boolean" },
      "allow-unk": { type: "boolean" },
      "data-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  }, USAGE);
  const { values, positionals } = parsed;
  if (values.help) {
    print(`usage: ${USAGE}`);
    return 0;
  }
  const dir = userPath(oneRunDir(positionals, USAGE));
  const words = num("--words", values.words, true, 0);
  const temperature = num("--temperature", values.temperature, false, 0, true);
  const seed = parseSeed(values.seed);

  const record = await readRunRecord(dir);
  const { experiment } = loadExperiment(record.experiment);
  const plan = experiment.plan(record.hyperparameters);
  if (values.best && !plan.validEachEpoch) {
    throw new UserError(
      `${record.experiment} does not score valid each epoch, so its runs keep no best checkpoint; drop --best to sample from the last parameters`,
    );
  }
  const ckptPath = checkpointPath(dir, record, values.best ? "best" : "last");
  try {
    await Deno.stat(ckptPath);
  } catch {
    throw new UserError(
      `${ckptPath} not found; checkpoints are kept only where the run was made (they are not committed): train one with deno task experiment ${record.experiment}`,
    );
  }
  // The corpus is loaded only once the checkpoint is known to be there.
  const data = await loadRunData(
    experiment.data(record.hyperparameters),
    plan,
    recordedDataSource(
      record,
      values["data-dir"] === undefined ? undefined : userPath(values["data-dir"]),
    ),
  );
  const model = experiment.model(record.hyperparameters, data.vocabSize, new Rng(record.seed));
  restoreParams(model.params, await loadCheckpoint(ckptPath), ckptPath);

  const wordToId = new Map(data.idToWord.map((w, i) => [w, i]));
  // A corpus MeCab segmented is Japanese: the start text is segmented the same way (吾輩は猫 is
  // three words), and the words are joined without spaces.
  const japanese = record.data?.build !== undefined;
  const startWords = japanese ? segmentStart(values.start) : values.start.trim().split(/\s+/);
  const start = startWords.filter((w) => w !== "").map((w) => {
    const id = wordToId.get(w);
    if (id === undefined || w === "<unk>") {
      throw new UserError(
        `start word '${w}' is not among the ${data.vocabSize} words of ${record.experiment}'s vocabulary; start with a word of its training text`,
      );
    }
    return id;
  });
  if (start.length === 0) throw new UserError("--start is empty; give a word to start from");
  const unk = wordToId.get("<unk>");
  const ids = generateWords(model, start, new Rng(seed), {
    words,
    temperature,
    skipIds: unk !== undefined && !values["allow-unk"] ? [unk] : [],
  });
  print(wordsToText([...start, ...ids].map((i) => data.idToWord[i]), japanese ? "" : " "));
  return 0;
}

/** The start text cut into words by MeCab, as the corpus was. */
function segmentStart(text: string): string[] {
  using mecab = openMecab();
  return mecab.wakati(text);
}

if (import.meta.main) await runCli(() => main(Deno.args));
