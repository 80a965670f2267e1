/**
 * One row of the speed table, in a process of its own so that its peak RSS is its own (a wasm
 * heap never shrinks): meta-training on the reference workload for a learner, backend and thread
 * count, timed after a warm-up, then one task profiled for its FLOPs. Prints one JSON line.
 *
 *   npx tsx bench/lib/speedRow.ts --learner maml --backend wasm --threads 2 --iterations 10
 */
import { parseArgs } from 'node:util';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import {
  EpisodeSampler,
  Rng,
  buildModel,
  describeBackend,
  disposeParams,
  metaTrain,
  parseExperimentConfig,
  selectBackend,
  splitClasses,
  taskTensors,
  tf,
} from '../../src-main/engine';
import { countFlops } from './flops';
import { REFERENCE } from './reference';

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
const model = buildModel(config, dataset, null);
const meta = model.init(Rng.derive(0, 'init'));
const sampler = new EpisodeSampler(dataset, splitClasses(dataset, config.split, 0).train, config, new Rng(1));
const flopsPerTask = await countFlops(() => {
  const g = model.learner.metaGradient(meta, taskTensors(sampler.next(), [28, 28, 1]));
  return [...Object.values(g.grads), g.loss, g.accuracy];
});
disposeParams(meta);
clearInterval(timer);

seconds.sort((a, b) => a - b);
const median = seconds[Math.floor(seconds.length / 2)]!;
const tasksPerSecond = config.metaBatch / median;
console.log(
  JSON.stringify({
    learner: values.learner,
    backend: desc.name,
    description: describeBackend(desc),
    threads: Math.min(threads, config.metaBatch),
    tasksPerSecond,
    secondsPerIteration: median,
    gflops: (flopsPerTask * tasksPerSecond) / 1e9,
    gflopPerTask: flopsPerTask / 1e9,
    peakRssMb: peakRss / 2 ** 20,
    tensorsFlat: new Set(tensors).size === 1,
    wallS,
  }),
);
