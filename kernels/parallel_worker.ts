/**
 * The helper worker of {@linkcode ./parallel.ts}: waits on the shared control block, runs its
 * share of a task's rows and signals completion. Closes itself when idle.
 *
 * @module
 */

import { CHUNK_ROWS, CTL, IDLE_MS, SLOT, TASK } from "./parallel.ts";
import { softmaxLossRange } from "./softmax.ts";
import { type LstmLoopBuffers, type LstmLoopShape, LstmTimeLoop } from "./lstm_steps.ts";

let ctlI: Int32Array<ArrayBufferLike> = new Int32Array(0);
let ctlF: Float64Array<ArrayBufferLike> = new Float64Array(0);
const slots: (SharedArrayBuffer | null)[] = [null, null, null, null];
const slotVersions = [0, 0, 0, 0];
let wakeOnSlot: (() => void) | null = null;
/** Plans by id as received, and the LSTM time loop built from each on first use. */
const plans = new Map<number, { version: number; payload: unknown; loop: LstmTimeLoop | null }>();

interface CtlMessage {
  type: "ctl";
  buffer: SharedArrayBuffer;
}
interface SlotMessage {
  type: "slot";
  slot: number;
  buffer: SharedArrayBuffer;
  version: number;
}
interface PlanMessage {
  type: "plan";
  id: number;
  version: number;
  payload: unknown;
}

(self as unknown as {
  onmessage: (e: MessageEvent<CtlMessage | SlotMessage | PlanMessage>) => void;
})
  .onmessage = (e) => {
    const m = e.data;
    if (m.type === "ctl") {
      ctlI = new Int32Array(m.buffer);
      ctlF = new Float64Array(m.buffer, CTL.f64Byte, CTL.f64Len);
      loop();
    } else {
      if (m.type === "slot") {
        slots[m.slot] = m.buffer;
        slotVersions[m.slot] = m.version;
      } else {
        plans.set(m.id, { version: m.version, payload: m.payload, loop: null });
      }
      const w = wakeOnSlot;
      wakeOnSlot = null;
      w?.();
    }
  };

/** Waits until the worker has version `version` of the LSTM loop plan `id`. */
async function loopReady(id: number, version: number): Promise<LstmTimeLoop> {
  for (;;) {
    const entry = plans.get(id);
    if (entry !== undefined && entry.version === version) {
      if (entry.loop === null) {
        const { buffers, shape } = entry.payload as {
          buffers: LstmLoopBuffers;
          shape: LstmLoopShape;
        };
        entry.loop = new LstmTimeLoop(buffers, shape);
      }
      return entry.loop;
    }
    await new Promise<void>((r) => (wakeOnSlot = r));
  }
}

/** Waits until the worker has the slot buffers the main thread registered for this task. */
async function slotsReady(needed: readonly number[]): Promise<void> {
  for (;;) {
    let ok = true;
    for (const s of needed) {
      if (slotVersions[s] !== Atomics.load(ctlI, CTL.slotVersion + s)) ok = false;
    }
    if (ok) return;
    await new Promise<void>((r) => (wakeOnSlot = r));
  }
}

let scoresView: Float32Array<ArrayBufferLike> = new Float32Array(0);
let targetsView: Int32Array<ArrayBufferLike> = new Int32Array(0);
let lossView: Float64Array<ArrayBufferLike> = new Float64Array(0);

async function loop(): Promise<void> {
  let gen = 0;
  for (;;) {
    const w = Atomics.waitAsync(ctlI, CTL.gen, gen, IDLE_MS);
    const outcome = w.async ? await w.value : w.value;
    if (outcome === "timed-out") {
      if (Atomics.compareExchange(ctlI, CTL.state, 0, 1) === 0) {
        (self as unknown as { close(): void }).close();
        return;
      }
      continue;
    }
    gen = Atomics.load(ctlI, CTL.gen);
    try {
      await runTask(ctlI[CTL.kind]);
    } catch (e) {
      // The main thread sees the flag while it waits for this worker's share, and stops with an
      // error that points here.
      console.error(`rnnlab helper worker: ${e instanceof Error ? e.message : String(e)}`);
      Atomics.store(ctlI, CTL.failed, 1);
      Atomics.notify(ctlI, CTL.done);
      (self as unknown as { close(): void }).close();
      return;
    }
    Atomics.store(ctlI, CTL.state, 0);
    Atomics.store(ctlI, CTL.done, gen);
    Atomics.notify(ctlI, CTL.done);
  }
}

/** Runs this worker's share of one task of `kind`; throws on a kind it does not know. */
async function runTask(kind: number): Promise<void> {
  if (kind === TASK.softmaxLoss) {
    await slotsReady([SLOT.scores, SLOT.targets, SLOT.rowLoss]);
    const sb = slots[SLOT.scores]!, tb = slots[SLOT.targets]!, lb = slots[SLOT.rowLoss]!;
    if (scoresView.buffer !== sb) scoresView = new Float32Array(sb);
    if (targetsView.buffer !== tb) targetsView = new Int32Array(tb);
    if (lossView.buffer !== lb) lossView = new Float64Array(lb);
    const a = CTL.args;
    const off = ctlI[a];
    const scores = off === 0 ? scoresView : scoresView.subarray(off);
    const rows = ctlI[a + 1], V = ctlI[a + 2], ignore = ctlI[a + 3], train = ctlI[a + 4] === 1;
    const invCount = ctlF[0];
    for (;;) {
      const r0 = Atomics.add(ctlI, CTL.next, CHUNK_ROWS);
      if (r0 >= rows) break;
      const r1 = Math.min(r0 + CHUNK_ROWS, rows);
      softmaxLossRange(scores, targetsView, r0, r1, V, ignore, train, invCount, lossView);
    }
  } else if (kind === TASK.lstmForward || kind === TASK.lstmBackward) {
    const loop = await loopReady(ctlI[CTL.args], ctlI[CTL.args + 1]);
    if (kind === TASK.lstmForward) loop.forward();
    else loop.backward();
  } else {
    throw new Error(`unknown task kind ${kind}`);
  }
}
