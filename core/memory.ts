/**
 * Memory estimates, in bytes, so that a run can refuse sizes that cannot fit before it allocates
 * anything. Every layer states what it allocates (`TimeLSTM.memory(...)` and the like, beside the
 * code that allocates it); a model adds up its layers.
 *
 * @module
 */

/** Bytes a layer or model holds: its parameters (values, gradients, caches of them) and its activations for one batch shape. */
export interface Memory {
  /** Parameter values, their gradients and anything sized by the parameters alone. */
  params: number;
  /** Activation and gradient buffers for one batch shape `(N, T)`. */
  activations: number;
}

/**
 * The sum of several estimates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addMemory } from "@rnnlab/rnnlab";
 * assert.deepEqual(addMemory({ params: 1, activations: 2 }, { params: 3, activations: 4 }), {
 *   params: 4,
 *   activations: 6,
 * });
 * ```
 */
export function addMemory(...parts: Memory[]): Memory {
  return {
    params: parts.reduce((s, p) => s + p.params, 0),
    activations: parts.reduce((s, p) => s + p.activations, 0),
  };
}

/** Bytes of `n` float32 (or int32) values. */
export const f32 = (n: number): number => 4 * n;
