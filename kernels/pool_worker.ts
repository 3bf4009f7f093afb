/**
 * The helper worker of {@linkcode ./pool.ts}: waits on the shared control block, runs its share
 * of each call with the kernel its plan names, and signals completion. Closes itself when idle.
 *
 * The kernels it can run are listed here, each defined beside the kernel it shares.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { attachControl, CTL, IDLE_MS, type SharedCall, type WorkerKernel } from "./pool.ts";
import { softmaxShare } from "./softmax.ts";
import { lstmSplitShare } from "./lstm_split.ts";

/** Every kernel the worker can share, by name. */
const KERNELS = new Map<string, WorkerKernel>(
  [softmaxShare, lstmSplitShare].map((k) => [k.name, k as WorkerKernel]),
);

let ctlI: Int32Array<ArrayBufferLike> = new Int32Array(0);
let call: SharedCall;
/** Plans by id as received, and the state built from each on first use. */
const plans = new Map<
  number,
  { kernel: string; version: number; payload: unknown; state: unknown; built: boolean }
>();
let wake: (() => void) | null = null;

interface CtlMessage {
  type: "ctl";
  buffer: SharedArrayBuffer;
}
interface PlanMessage {
  type: "plan";
  kernel: string;
  id: number;
  version: number;
  payload: unknown;
}

self.onmessage = (e: MessageEvent<CtlMessage | PlanMessage>) => {
  const m = e.data;
  if (m.type === "ctl") {
    attachControl(m.buffer);
    ctlI = new Int32Array(m.buffer);
    call = {
      args: new Int32Array(m.buffer, CTL.args * 4, CTL.argsLen),
      fargs: new Float64Array(m.buffer, CTL.f64Byte, CTL.f64Len),
    };
    loop();
  } else {
    plans.set(m.id, { ...m, state: null, built: false });
    const w = wake;
    wake = null;
    w?.();
  }
};

/** The state of plan `id` at `version`, built on first use; waits for the plan's message. */
async function planState(id: number, version: number): Promise<[WorkerKernel, unknown]> {
  for (;;) {
    const p = plans.get(id);
    if (p !== undefined && p.version === version) {
      const kernel = KERNELS.get(p.kernel);
      if (!kernel) throw new Error(`unknown shared kernel '${p.kernel}'`);
      if (!p.built) {
        p.state = kernel.setup(p.payload);
        p.built = true;
      }
      return [kernel, p.state];
    }
    await new Promise<void>((r) => (wake = r));
  }
}

async function loop(): Promise<void> {
  let gen = 0;
  for (;;) {
    const w = Atomics.waitAsync(ctlI, CTL.gen, gen, IDLE_MS);
    const outcome = w.async ? await w.value : w.value;
    if (outcome === "timed-out") {
      if (Atomics.compareExchange(ctlI, CTL.state, 0, 1) === 0) {
        self.close();
        return;
      }
      continue;
    }
    gen = Atomics.load(ctlI, CTL.gen);
    try {
      const [kernel, state] = await planState(ctlI[CTL.plan], ctlI[CTL.version]);
      kernel.run(state, call);
    } catch (e) {
      // The main thread sees the flag while it waits for this worker's share, and stops with an
      // error that points here.
      console.error(`rnnlab helper worker: ${e instanceof Error ? e.message : String(e)}`);
      Atomics.store(ctlI, CTL.failed, 1);
      Atomics.notify(ctlI, CTL.done);
      self.close();
      return;
    }
    Atomics.store(ctlI, CTL.state, 0);
    Atomics.store(ctlI, CTL.done, gen);
    Atomics.notify(ctlI, CTL.done);
  }
}
