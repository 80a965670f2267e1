/**
 * Where a concept-space iteration spends its time, per tfjs kernel: a run of the "concept space vs
 * pixels" preset's cell (default: the first concept cell) on one thread, a few iterations under
 * the profiler, without pretraining or the meta-test. For the concept space's speed work (issue 20:
 * profile first). Prints figures; never fails.
 *
 *   npx tsx bench/profileConcept.ts [--cell N] [--iterations 4] [--calls Conv2D] [--rows 15]
 */
import { parseArgs } from 'node:util';
import { findPreset } from '../src-main/contract/presets';
import { resolveDataset } from '../src-main/data/resolve';
import { describeBackend, metaTrain, parseExperimentConfig, selectBackend, tf } from '../src-main/engine';
import { resolveDataDir } from '../src-main/layout/dataDirectory';
import { kernelTimes } from './lib/kernels';

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
