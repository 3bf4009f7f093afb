/**
 * A global phase timer for benchmarking a training iteration: where does the time go (matmuls,
 * softmax + loss, recurrent elementwise math, embedding, dropout, clipping + SGD)?
 *
 * Code marks the phase it is in with {@linkcode enterPhase}, which returns the phase it replaces,
 * and goes back with {@linkcode exitPhase}. Time is charged to the innermost current phase, so a
 * matmul inside the LSTM's time loop counts as `matmul`, not as `recurrent`. The timer is off
 * unless {@linkcode startPhaseTimer} was called: then both functions are a load and a branch
 * (V8 inlines them), so the instrumented hot path costs nothing measurable in normal runs.
 * While on, every `sgemm` also adds its `2 m n k` flops to {@linkcode phaseFlops}.
 *
 * @module
 */

/** The phases an iteration's time is split into. */
export const Phase = {
  /** Anything not marked (batching, loss bookkeeping, bias broadcasts, gemv, ...). */
  other: 0,
  /** Time inside `sgemm` calls. */
  matmul: 1,
  /** The fused softmax, loss and its gradient. */
  softmaxLoss: 2,
  /** Gate / tanh nonlinearities and their backward, forward and backward. */
  recurrent: 3,
  /** Embedding gather and scatter-add. */
  embedding: 4,
  /** Dropout masks and products. */
  dropout: 5,
  /** Gradient clipping and the SGD update. */
  clipSgd: 6,
} as const;

/** One of the {@linkcode Phase} values. */
export type Phase = (typeof Phase)[keyof typeof Phase];

/** Names of the phases, indexed by their value. */
export const PHASE_NAMES = [
  "other",
  "matmul",
  "softmax_loss",
  "recurrent",
  "embedding",
  "dropout",
  "clip_sgd",
] as const;

let on = false;
let current: Phase = Phase.other;
let since = 0;
const totals = new Float64Array(PHASE_NAMES.length);
let flops = 0;

/**
 * Marks the start of phase `p`; returns the phase that was current (pass it to
 * {@linkcode exitPhase}). Does nothing but return `Phase.other` when the timer is off.
 *
 * @example
 * ```ts
 * import { enterPhase, exitPhase, Phase } from "@rnnlab/rnnlab";
 * const prev = enterPhase(Phase.embedding);
 * // ... gather rows ...
 * exitPhase(prev);
 * ```
 */
export function enterPhase(p: Phase): Phase {
  if (!on) return Phase.other;
  const now = performance.now();
  totals[current] += now - since;
  since = now;
  const prev = current;
  current = p;
  return prev;
}

/**
 * Returns to phase `prev` (the value {@linkcode enterPhase} returned).
 *
 * @example
 * ```ts
 * import { enterPhase, exitPhase, Phase } from "@rnnlab/rnnlab";
 * exitPhase(enterPhase(Phase.clipSgd));
 * ```
 */
export function exitPhase(prev: Phase): void {
  if (!on) return;
  const now = performance.now();
  totals[current] += now - since;
  since = now;
  current = prev;
}

/** Whether the timer is running (the sgemm wrapper checks it before counting flops). */
export function phaseTimerOn(): boolean {
  return on;
}

/** Adds `n` flops (sgemm calls it while the timer is on). */
export function addFlops(n: number): void {
  flops += n;
}

/**
 * Zeroes the totals and turns the timer on, in phase `other`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { phaseTotals, startPhaseTimer, stopPhaseTimer } from "@rnnlab/rnnlab";
 * startPhaseTimer();
 * stopPhaseTimer();
 * assert.equal(phaseTotals().matmul, 0);
 * ```
 */
export function startPhaseTimer(): void {
  totals.fill(0);
  flops = 0;
  current = Phase.other;
  since = performance.now();
  on = true;
}

/**
 * Charges the time since the last switch and turns the timer off (totals are kept).
 *
 * @example
 * ```ts
 * import { startPhaseTimer, stopPhaseTimer } from "@rnnlab/rnnlab";
 * startPhaseTimer();
 * stopPhaseTimer();
 * ```
 */
export function stopPhaseTimer(): void {
  if (!on) return;
  totals[current] += performance.now() - since;
  on = false;
}

/**
 * Milliseconds charged to each phase since {@linkcode startPhaseTimer}, by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { phaseTotals } from "@rnnlab/rnnlab";
 * assert.equal(typeof phaseTotals().softmax_loss, "number");
 * ```
 */
export function phaseTotals(): Record<(typeof PHASE_NAMES)[number], number> {
  const out = {} as Record<(typeof PHASE_NAMES)[number], number>;
  PHASE_NAMES.forEach((name, i) => (out[name] = totals[i]));
  return out;
}

/**
 * Matmul flops (`2 m n k` per sgemm) counted since {@linkcode startPhaseTimer}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { phaseFlops } from "@rnnlab/rnnlab";
 * assert.ok(phaseFlops() >= 0);
 * ```
 */
export function phaseFlops(): number {
  return flops;
}
