/**
 * Where one task's meta-gradient spends its time, per tfjs kernel, on the reference workload
 * (conv4-64, 28×28×1, 5-way 1-shot, 15 queries, one inner step). For the speed work: measure
 * before and after each change. Prints figures; never fails.
 *
 *   npx tsx bench/profile.ts [--learner maml|fomaml|metasgd] [--backend wasm|cpu|tensorflow]
 */
import { parseArgs } from 'node:util';
import { generateSyntheticDataset } from '../src-main/data/synthetic';
import { describeBackend, parseExperimentConfig, selectBackend, tf } from '../src-main/engine';
import { kernelTimes } from './lib/kernels';
import { REFERENCE, referenceTasks } from './lib/reference';

const { values } = parseArgs({
  options: {
    learner: { type: 'string', default: 'maml' },
    backend: { type: 'string', default: 'wasm' },
    // Also list each call of the kernels whose name contains this (e.g. Conv2D), with shapes.
    calls: { type: 'string' },
  },
});
const backend = await selectBackend(values.backend as 'wasm');
const dataset = generateSyntheticDataset({ classes: 60, imagesPerClass: 20, size: 28, seed: 1 });
const config = parseExperimentConfig({ ...REFERENCE, learner: values.learner, data: 'synthetic' });
const tasks = referenceTasks(config, dataset);
const step = () => tf.tidy(() => tasks.next().loss);
for (let i = 0; i < 2; i++) step().dispose(); // warm-up: kernels compiled, buffers allocated

const t0 = performance.now();
const info = await tf.profile(() => step());
const wall = performance.now() - t0;
const { rows, total } = await kernelTimes(info.kernels);
console.log(`backend: ${describeBackend(backend)}`);
console.log(
  `one ${config.learner} task: ${wall.toFixed(0)} ms under the profiler, ${total.toFixed(0)} ms in ${info.kernels.length} kernel calls`,
);
for (const [name, e] of rows.slice(0, 16)) {
  console.log(
    `${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms ${String(e.calls).padStart(5)} calls ${((100 * e.ms) / total).toFixed(1).padStart(5)}%`,
  );
}
if (values.calls) {
  console.log(`\ncalls of ${values.calls}:`);
  for (const k of info.kernels.filter((k) => k.name.includes(values.calls!))) {
    const ms = Number(await k.kernelTimeMs) || 0;
    console.log(
      `${k.name.padEnd(24)} ${ms.toFixed(1).padStart(7)} ms  in ${JSON.stringify(k.inputShapes)} out ${JSON.stringify(k.outputShapes)}`,
    );
  }
}
tasks.dispose();
