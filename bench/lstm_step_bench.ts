/**
 * One LSTM time step (gate math forward and backward) and a whole TimeLSTM forward + backward at
 * chapter 6's sizes, with the time steps split between two threads and not. Run with
 * `deno task bench`.
 *
 * @module
 */

import { Rng } from "../core/random.ts";
import { TimeLSTM } from "../layers/lstm.ts";
import { lstmCellBackward, lstmCellForward } from "../kernels/lstm_cell.ts";

for (const H of [100, 650]) {
  const N = 20, T = 35, G = 4 * H;
  const rng = new Rng(1);
  const a0 = rng.fillGaussian(new Float32Array(N * G), 2);
  const a = a0.slice();
  const cPrev = rng.fillGaussian(new Float32Array(N * H), 1);
  const c = new Float32Array(N * H), tc = new Float32Array(N * H), h = new Float32Array(N * H);
  const dh = rng.fillGaussian(new Float32Array(N * H), 1);
  const dc = new Float32Array(N * H), da = new Float32Array(N * G);
  Deno.bench(`LSTM gates forward, N=${N} H=${H}`, { group: `gates H=${H}` }, () => {
    a.set(a0);
    lstmCellForward(a, cPrev, c, tc, h, N, H);
  });
  Deno.bench(`LSTM gates backward, N=${N} H=${H}`, { group: `gates H=${H}` }, () => {
    dc.fill(0.5);
    lstmCellBackward(a, cPrev, tc, dh, dc, da, N, H);
  });
  const x = rng.fillGaussian(new Float32Array(T * N * H), 1);
  const dhs = rng.fillGaussian(new Float32Array(T * N * H), 0.01);
  // The layer's own choice (split between two threads at H = 650, not at H = 100), then the
  // other one, so that the group shows what splitting the time steps buys.
  for (const splitSteps of [undefined, !new TimeLSTM("probe", H, H, new Rng(2)).splitsSteps(N)]) {
    const lstm = new TimeLSTM("lstm", H, H, new Rng(2), { stateful: true, splitSteps });
    const how = lstm.splitsSteps(N) ? "steps split" : "steps whole";
    Deno.bench(
      `TimeLSTM forward + backward, N=${N} T=${T} D=H=${H}, ${how}`,
      { group: `time H=${H}`, baseline: splitSteps === undefined },
      () => {
        lstm.forward(x, N, T);
        lstm.backward(dhs);
      },
    );
  }
}
