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

/**
 * Writes `slurm.conf` in `dir` for a cluster whose controller would listen on a port nobody
 * listens on, and returns its path: the Slurm commands then fail as with a controller that is down.
 */
export async function deadControllerConf(dir: string): Promise<string> {
  const conf = `${dir}/slurm.conf`;
  await Deno.writeTextFile(
    conf,
    "ClusterName=nowhere\nSlurmctldHost=localhost\nSlurmctldPort=9\nMessageTimeout=2\n" +
      "NodeName=localhost\nPartitionName=p Nodes=localhost Default=YES\n",
  );
  return conf;
}
