/**
 * The worker behind {@linkcode StopSignals}: it listens for SIGINT, SIGTERM and SIGHUP on its own
 * event loop, which stays free while the main thread trains, and writes the signal's number into
 * the shared flag it was given.
 *
 * @module
 */

/// <reference lib="deno.worker" />

const NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

self.onmessage = (e: MessageEvent<SharedArrayBuffer>) => {
  const flag = new Int32Array(e.data);
  for (const [name, n] of Object.entries(NUMBERS)) {
    // The first signal wins; a later one does not overwrite it.
    Deno.addSignalListener(name as Deno.Signal, () => void Atomics.compareExchange(flag, 0, 0, n));
  }
  self.postMessage("listening");
};
