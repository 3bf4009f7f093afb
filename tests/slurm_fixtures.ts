/**
 * The gate of the tests that need a Slurm controller (`deploy/slurm/start`): without one they are
 * skipped with a line saying so, unless RNNLAB_SLURM_REQUIRED=1 (set by CI), where they fail.
 *
 * @module
 */
import assert from "node:assert/strict";
import { slurmControllerUp } from "../sweep/mod.ts";

/**
 * Asks once whether a Slurm controller answers and returns the `Deno.test` for `what` ("the Slurm
 * job tests"): skipped without a controller, failed without one when CI requires it.
 */
export async function slurmTests(
  what: string,
): Promise<(name: string, fn: () => Promise<void>) => void> {
  const up = await slurmControllerUp();
  const required = Deno.env.get("RNNLAB_SLURM_REQUIRED") === "1";
  if (!up && !required) {
    console.log(`no Slurm controller answers (deploy/slurm/start): ${what} are skipped`);
  }
  return (name, fn) =>
    Deno.test({
      name,
      ignore: !up && !required,
      async fn() {
        assert.ok(up, "RNNLAB_SLURM_REQUIRED=1 but no Slurm controller answers scontrol ping");
        await fn();
      },
    });
}
