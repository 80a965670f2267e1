/**
 * Where a concept-space iteration spends its time, per tfjs kernel: a run of the "concept space vs
 * pixels" preset's cell (default: the first concept cell) on one thread, a few iterations under
 * the profiler, without pretraining or the meta-test. For the concept space's speed work (issue 20:
 * profile first). Prints figures; never fails.
 *
 * Then the convolutions against this machine's ceiling: the peak rate of one thread's wasm SIMD
 * multiply-adds (bench/lib/simdPeak.ts) and the fewest FLOPs each convolution could be done in
 * (bench/lib/flops.ts), which bounds how fast an iteration can get on this backend.
 *
 *   npx tsx bench/profileConcept.ts [--cell N] [--iterations 4] [--calls Conv2D] [--rows 15]
 */
import { parseArgs } from 'node:util';
import { findPreset } from '../src-main/contract/presets';
import { resolveDataset } from '../src-main/data/resolve';
import { describeBackend, metaTrain, parseExperimentConfig, selectBackend, tf } from '../src-main/engine';
import { resolveDataDir } from '../src-main/layout/dataDirectory';
import { fewestConvFlops, kernelFlops } from './lib/flops';
import { kernelTimes } from './lib/kernels';
import { measureSimdPeak } from './lib/simdPeak';

const { values } = parseArgs({
  options: {
    cell: { type: 'string' },
    iterations: { type: 'string', default: '4' },
    calls: { type: 'string' },
    rows: { type: 'string', default: '15' },
  },
});
const runs = findPreset('concept-vs-pixels').runs;
const index = values.cell ? Number(values.cell) : runs.findIndex((r) => r.config.space === 'concept');
const run = runs[index]!;
const config = parseExperimentConfig({
  ...run.config,
  iterations: Number(values.iterations),
  checkpointEvery: 0,
  valEvery: 0,
  concept: { ...(run.config.concept ?? {}), pretrainIterations: 0 },
});
const dataDir = resolveDataDir();
const dataset = await resolveDataset(config.data, dataDir);
const external = config.space === 'concept' ? await resolveDataset(config.concept.external, dataDir) : null;
const backend = await selectBackend(config.backend);
const ms: number[] = [];
const info = await tf.profile(async () => {
  await metaTrain({
    config,
    dataset,
    external,
    threads: 1,
    skipTest: true,
    callbacks: {
      onIteration: (p) => {
        ms.push((1000 * config.metaBatch) / p.tasksPerSecond);
      },
    },
  });
  return tf.scalar(0);
});
const { rows, total } = await kernelTimes(info.kernels);
const wall = ms.reduce((a, b) => a + b, 0);
console.log(`backend: ${describeBackend(backend)}, 1 thread`);
console.log(
  `${run.label}: ${ms.length} iterations of ${config.metaBatch} tasks, ${wall.toFixed(0)} ms of iterations under the profiler ` +
    `(${ms.map((x) => x.toFixed(0)).join(' / ')} ms), ${total.toFixed(0)} ms in ${info.kernels.length} kernel calls ` +
    `(${(100 * (1 - total / wall)).toFixed(0)}% outside kernels: JavaScript, autodiff bookkeeping)`,
);
for (const [name, e] of rows.slice(0, 20)) {
  console.log(
    `${name.padEnd(28)} ${e.ms.toFixed(1).padStart(9)} ms ${String(e.calls).padStart(6)} calls ${((100 * e.ms) / total).toFixed(1).padStart(5)}%`,
  );
}
if (values.calls) {
  const shapes = await kernelTimes(
    info.kernels.filter((k) => k.name.includes(values.calls!)),
    (k) => `${k.name} in ${JSON.stringify(k.inputShapes)}`,
  );
  console.log(`\ncalls of ${values.calls} by shape:`);
  for (const [key, e] of shapes.rows.slice(0, Number(values.rows)))
    console.log(`${e.ms.toFixed(1).padStart(9)} ms ${String(e.calls).padStart(5)}×  ${key}`);
}

// The ceiling: what the convolutions' products alone would take at the SIMD peak.
const peak = measureSimdPeak();
const classes = new Map<string, { ms: number; direct: number; fewest: number }>();
let otherMs = 0;
for (const k of info.kernels) {
  const [inputs, outputs] = [k.inputShapes as number[][], k.outputShapes as number[][]];
  const fewest = fewestConvFlops(k.name, inputs, outputs);
  const kernelMs = Number(await k.kernelTimeMs) || 0;
  if (fewest === null) {
    otherMs += kernelMs;
    continue;
  }
  const direct = kernelFlops(k.name, inputs, outputs);
  const key = `${k.name}, ${fewest < direct ? '3×3 stride 1 (Winograd)' : 'strided, 1×1, first layer (direct)'}`;
  const e = classes.get(key) ?? { ms: 0, direct: 0, fewest: 0 };
  classes.set(key, { ms: e.ms + kernelMs, direct: e.direct + direct, fewest: e.fewest + fewest });
}
const perIteration = (x: number) => x / ms.length;
console.log(
  `\nconvolutions against the ceiling, per iteration: one thread's wasm SIMD peak ${peak.gflops.toFixed(1)} GFLOP/s ` +
    `(${peak.fused ? 'fused' : 'unfused'} multiply-adds, bench/lib/simdPeak.ts); "floor" = the fewest FLOPs at that peak`,
);
let [convMs, floorMs] = [0, 0];
for (const [key, e] of [...classes].sort((a, b) => b[1].ms - a[1].ms)) {
  const floor = e.fewest / (peak.gflops * 1e6);
  [convMs, floorMs] = [convMs + e.ms, floorMs + floor];
  console.log(
    `${key.padEnd(64)} ${perIteration(e.ms).toFixed(0).padStart(5)} ms  ${(perIteration(e.direct) / 1e9).toFixed(2).padStart(6)} GFLOP direct ` +
      `${(perIteration(e.fewest) / 1e9).toFixed(2).padStart(6)} fewest  floor ${perIteration(floor).toFixed(0).padStart(4)} ms ` +
      `(${((100 * floor) / e.ms).toFixed(0)}% of today's)`,
  );
}
console.log(
  `all convolutions: ${perIteration(convMs).toFixed(0)} ms today, floor ${perIteration(floorMs).toFixed(0)} ms; ` +
    `other kernels ${perIteration(otherMs).toFixed(0)} ms; outside kernels ${perIteration(wall - total).toFixed(0)} ms ` +
    `(means over the ${ms.length} iterations, the first one's warm-up included)`,
);
