/**
 * Where a concept-space iteration spends its time, per tfjs kernel: a run of the "concept space vs
 * pixels" preset's cell (default: the first concept cell) on one thread, a few iterations under
 * the profiler, without pretraining or the meta-test. For the concept space's speed work (issue 20:
 * profile first). Prints figures; never fails.
 *
 *   npx tsx bench/profileConcept.ts [--cell N] [--iterations 4] [--calls Conv2D]
 */
import { parseArgs } from 'node:util';
import { findPreset } from '../src-main/contract/presets';
import { resolveDataset } from '../src-main/data/resolve';
import { describeBackend, metaTrain, parseExperimentConfig, selectBackend, tf } from '../src-main/engine';
import { resolveDataDir } from '../src-main/layout/dataDirectory';

const { values } = parseArgs({
  options: {
    cell: { type: 'string' },
    iterations: { type: 'string', default: '4' },
    calls: { type: 'string' },
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
const byKernel = new Map<string, { ms: number; calls: number }>();
for (const k of info.kernels) {
  const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += Number(await k.kernelTimeMs) || 0;
  e.calls++;
  byKernel.set(k.name, e);
}
const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
const total = rows.reduce((s, [, e]) => s + e.ms, 0);
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
  const shapes = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels.filter((k) => k.name.includes(values.calls!))) {
    const key = `${k.name} in ${JSON.stringify(k.inputShapes)}`;
    const e = shapes.get(key) ?? { ms: 0, calls: 0 };
    e.ms += Number(await k.kernelTimeMs) || 0;
    e.calls++;
    shapes.set(key, e);
  }
  console.log(`\ncalls of ${values.calls} by shape:`);
  for (const [key, e] of [...shapes.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15))
    console.log(`${e.ms.toFixed(1).padStart(9)} ms ${String(e.calls).padStart(5)}×  ${key}`);
}
