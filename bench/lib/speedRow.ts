/**
 * One row of the speed table, in a process of its own so that its peak RSS is its own (a wasm
 * heap never shrinks): meta-training on the reference workload for a learner, backend and thread
 * count, timed after a warm-up, then one task profiled for its FLOPs. Prints one JSON line.
 *
 *   npx tsx bench/lib/speedRow.ts --learner maml --backend wasm --threads 2 --iterations 10
 */
import { parseArgs } from 'node:util';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import { describeBackend, metaTrain, parseExperimentConfig, selectBackend, tf } from '../../src-main/engine';
import { countFlops } from './flops';
import { REFERENCE, median, referenceTasks } from './reference';

const { values } = parseArgs({
  options: {
    learner: { type: 'string', default: 'maml' },
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string' },
    iterations: { type: 'string', default: '10' },
  },
});

let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const timer = setInterval(sampleRss, 50);

const desc = await selectBackend(values.backend as 'wasm');
const threads = values.threads ? Number(values.threads) : desc.threads;
const iterations = Number(values.iterations);
const dataset = generateSyntheticDataset({ classes: 100, imagesPerClass: 20, size: 28 });
const config = parseExperimentConfig({
  ...REFERENCE,
  learner: values.learner,
  backend: values.backend,
  iterations: iterations + 1,
});
const seconds: number[] = [];
const tensors: number[] = [];
const started = performance.now();
await metaTrain({
  config,
  dataset,
  threads,
  skipTest: true,
  callbacks: {
    onIteration: (p) => {
      sampleRss();
      tensors.push(tf.memory().numTensors);
      // The first iteration (kernel setup, XNNPACK operators, worker start) is not timed.
      if (p.iteration > 1) seconds.push(config.metaBatch / p.tasksPerSecond);
    },
  },
});
const wallS = (performance.now() - started) / 1000;

// FLOPs of one task's meta-gradient, counted from the kernels' shapes.
const tasks = referenceTasks(config, dataset);
const flopsPerTask = await countFlops(() => {
  const g = tasks.next();
  return [...Object.values(g.grads), g.loss, g.accuracy];
});
tasks.dispose();
clearInterval(timer);

const perIteration = median(seconds);
const tasksPerSecond = config.metaBatch / perIteration;
console.log(
  JSON.stringify({
    learner: values.learner,
    backend: desc.name,
    description: describeBackend(desc),
    threads: Math.min(threads, config.metaBatch),
    tasksPerSecond,
    secondsPerIteration: perIteration,
    gflops: (flopsPerTask * tasksPerSecond) / 1e9,
    gflopPerTask: flopsPerTask / 1e9,
    peakRssMb: peakRss / 2 ** 20,
    tensorsFlat: new Set(tensors).size === 1,
    wallS,
  }),
);
