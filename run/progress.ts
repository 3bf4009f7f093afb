/**
 * Progress output of a run. On a terminal: one live line (epoch, iteration/total, perplexity,
 * tokens/s, ETA) redrawn in place, and a plain line per epoch. Off a terminal: one plain line per
 * report.
 *
 * @module
 */

import type { MetricLine } from "./record.ts";
import type { TrainReport } from "../training/trainer.ts";

/**
 * Prints a run's progress.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Progress } from "@rnnlab/rnnlab";
 * const out: string[] = [];
 * const p = new Progress({ print: (l) => out.push(l), live: false, itersPerEpoch: 19, maxEpoch: 2, tokensPerIter: 50 });
 * p.epoch({ kind: "epoch", epoch: 1, iter: 19, total_iters: 19, ppl: 400.5, lr: 0.1, elapsed_s: 0.01 });
 * assert.ok(out[0].startsWith("epoch 1/2"));
 * ```
 */
export class Progress {
  #print: (line: string) => void;
  #live: boolean;
  #itersPerEpoch: number;
  #maxEpoch: number;
  #tokensPerIter: number;
  #lastDraw = -Infinity;
  #lastPpl: number | null = null;
  #drawn = false;
  #write: (text: string) => void;

  /** Prints through `o.print` (and `o.write` for the live line) for a run of `o.maxEpoch` epochs. */
  constructor(o: {
    print: (line: string) => void;
    /** Where the live line is drawn (default: standard output, unbuffered). */
    write?: (text: string) => void;
    live: boolean;
    itersPerEpoch: number;
    maxEpoch: number;
    tokensPerIter: number;
  }) {
    // Output is best effort: once the terminal is gone (SIGHUP), writes fail, and the run must
    // still stop cleanly and keep its record.
    this.#print = (line) => {
      try {
        o.print(line);
      } catch { /* the terminal is gone */ }
    };
    const enc = new TextEncoder();
    const write = o.write ?? ((t: string) => void Deno.stdout.writeSync(enc.encode(t)));
    this.#write = (t) => {
      try {
        write(t);
      } catch { /* the terminal is gone */ }
    };
    this.#live = o.live;
    this.#itersPerEpoch = o.itersPerEpoch;
    this.#maxEpoch = o.maxEpoch;
    this.#tokensPerIter = o.tokensPerIter;
  }

  /** Called after every iteration; redraws the live line at most 10 times a second. */
  iteration(epoch: number, iter: number, elapsed: number): void {
    if (!this.#live) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const done = (epoch - 1) * this.#itersPerEpoch + iter;
    const total = this.#maxEpoch * this.#itersPerEpoch;
    const rate = done > 0 && elapsed > 0 ? (done * this.#tokensPerIter) / elapsed : 0;
    const eta = rate > 0 ? ((total - done) * this.#tokensPerIter) / rate : 0;
    const ppl = this.#lastPpl === null ? "-" : this.#lastPpl.toFixed(2);
    const line = `epoch ${epoch}/${this.#maxEpoch} iter ${iter}/${this.#itersPerEpoch} ` +
      `ppl ${ppl} ${Math.round(rate)} tok/s ETA ${formatDuration(eta)}`;
    this.#write(`\r\x1b[2K${line}`);
    this.#drawn = true;
  }

  /** Called after every evaluation window while `split` is scored: the live line shows `k / windows`. */
  scoring(split: string, k: number, windows: number): void {
    if (!this.#live) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100 && k < windows) return;
    this.#lastDraw = now;
    this.#write(`\r\x1b[2Kscoring ${split}: window ${k}/${windows}`);
    this.#drawn = true;
  }

  /** A plain line (clearing the live one first). */
  say(line: string): void {
    this.#clear();
    this.#print(line);
  }

  /** An interval report (every `eval_interval` iterations). */
  interval(r: TrainReport, elapsed: number): void {
    this.#lastPpl = r.ppl;
    if (this.#live) return;
    this.#print(
      `epoch ${r.epoch}/${this.#maxEpoch} iter ${r.iter}/${r.itersPerEpoch} ppl ${
        r.ppl.toFixed(2)
      } ` +
        `lr ${r.lr} ${elapsed.toFixed(1)}s`,
    );
  }

  /** The end of an epoch: always a plain line. */
  epoch(line: MetricLine): void {
    this.#lastPpl = line.ppl;
    this.#clear();
    const valid = line.valid_ppl !== undefined ? ` valid ${line.valid_ppl.toFixed(2)}` : "";
    this.#print(
      `epoch ${line.epoch}/${this.#maxEpoch} ppl ${line.ppl.toFixed(2)}${valid} lr ${line.lr} ` +
        `${line.elapsed_s.toFixed(2)}s`,
    );
  }

  /** Clears the live line. */
  done(): void {
    this.#clear();
  }

  #clear(): void {
    if (this.#drawn) {
      this.#write("\r\x1b[2K");
      this.#drawn = false;
    }
  }
}

/** `3725` → `"1h02m"`, `75` → `"1m15s"`, `4.2` → `"4s"`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/**
 * `print`, made safe for a terminal that is gone (after SIGHUP a write to it throws): the line is
 * dropped, and the record still says how the run ended.
 *
 * @example
 * ```ts
 * import { safePrint } from "@rnnlab/rnnlab";
 * safePrint(() => { throw new Error("EPIPE"); })("a line nobody reads"); // does not throw
 * ```
 */
export function safePrint(print: (line: string) => void): (line: string) => void {
  return (line) => {
    try {
      print(line);
    } catch { /* the terminal is gone */ }
  };
}
