/**
 * One row of the speed table, in a process of its own so that its peak RSS is its own (a wasm
 * heap never shrinks): meta-training on the reference workload (or one changed by the workload
 * flags) for a learner, backend and thread count, timed after a warm-up, then one task profiled
 * for its FLOPs. Prints one JSON line.
 *
 *   npx tsx bench/lib/speedRow.ts --learner maml --backend wasm --threads 2 --iterations 10 \
 *     [--size 84 --channels 3 --filters 32 --ways 5 --shots 1 --queries 15 --inner-steps 5 --meta-batch 4]
 */
import { parseArgs } from 'node:util';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import type { ClassIndexedDataset } from '../../src-main/engine/dataset';
import { describeBackend, metaTrain, parseExperimentConfig, selectBackend, tf } from '../../src-main/engine';
import { countFlops } from './flops';
import { peakRssSampler } from './peakRss';
import { REFERENCE, median, referenceTasks } from './reference';

const { values } = parseArgs({
  options: {
    learner: { type: 'string', default: 'maml' },
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string' },
    iterations: { type: 'string', default: '10' },
    size: { type: 'string', default: '28' },
    channels: { type: 'string', default: '1' },
    filters: { type: 'string' },
    ways: { type: 'string' },
    shots: { type: 'string' },
    queries: { type: 'string' },
    'inner-steps': { type: 'string' },
    'meta-batch': { type: 'string' },
  },
});
const int = (raw: string | undefined) => (raw === undefined ? undefined : Number(raw));

/** The grayscale synthetic images, repeated over `channels` (speed does not depend on the pixels). */
function inChannels(d: ClassIndexedDataset, channels: number): ClassIndexedDataset {
  if (channels === 1) return d;
  const pixels = new Uint8Array(d.pixels.length * channels);
  for (let i = 0; i < d.pixels.length; i++) pixels.fill(d.pixels[i]!, i * channels, (i + 1) * channels);
  return { ...d, channels, pixels };
}

const rss = peakRssSampler();

let desc: Awaited<ReturnType<typeof selectBackend>>;
try {
  desc = await selectBackend(values.backend as 'wasm');
} catch (e) {
  // A backend this machine cannot start (tensorflow without tfjs-node-gpu): say why, as the row.
  rss.stop();
  console.log(JSON.stringify({ unavailable: (e as Error).message }));
  process.exit(0);
}
const threads = values.threads ? Number(values.threads) : desc.threads;
const iterations = Number(values.iterations);
const dataset = inChannels(
  generateSyntheticDataset({ classes: 100, imagesPerClass: 20, size: Number(values.size) }),
  Number(values.channels),
);
const overrides = Object.fromEntries(
  Object.entries({
    ways: int(values.ways),
    shots: int(values.shots),
    queries: int(values.queries),
    innerSteps: int(values['inner-steps']),
    metaBatch: int(values['meta-batch']),
  }).filter(([, v]) => v !== undefined),
);
const config = parseExperimentConfig({
  ...REFERENCE,
  ...overrides,
  ...(values.filters ? { model: { ...REFERENCE.model, filters: Number(values.filters) } } : {}),
  learner: values.learner,
  backend: values.backend,
  iterations: iterations + 1,
});
const seconds: number[] = [];
const tensors: number[] = [];
/** On a GPU backend: the most bytes its buffer pool held (tf.memory(); webgpu and tensorflow say). */
let gpuPeakBytes = 0;
const sampleGpu = () => {
  const m = tf.memory() as { numBytesAllocatedInGPU?: number; numBytesInGPU?: number };
  gpuPeakBytes = Math.max(gpuPeakBytes, m.numBytesAllocatedInGPU ?? m.numBytesInGPU ?? 0);
};
const started = performance.now();
await metaTrain({
  config,
  dataset,
  threads,
  skipTest: true,
  callbacks: {
    onIteration: (p) => {
      rss.sample();
      sampleGpu();
      tensors.push(tf.memory().numTensors);
      // The first iteration (kernel setup, XNNPACK operators, worker start) is not timed.
      if (p.iteration > 1) seconds.push(config.metaBatch / p.tasksPerSecond);
    },
  },
});
const wallS = (performance.now() - started) / 1000;

// FLOPs of one task's meta-gradient, counted from the kernels' shapes.
const tasks = referenceTasks(config, dataset);
const { flops: flopsPerTask, kernels: kernelsPerTask } = await countFlops(() => {
  const g = tasks.next();
  return [...Object.values(g.grads), g.loss, g.accuracy];
});
tasks.dispose();
sampleGpu();
const peakRssMb = rss.stop();

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
    peakRssMb,
    ...(gpuPeakBytes > 0 ? { gpuPeakMb: gpuPeakBytes / 2 ** 20 } : {}),
    kernelsPerTask,
    tensorsFlat: new Set(tensors).size === 1,
    wallS,
  }),
);
