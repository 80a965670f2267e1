/**
 * Memory over a long run: RSS and the tensor count sampled through N iterations of MAML on the
 * reference workload, to show both stay flat. Prints one JSON line.
 *
 *   npx tsx bench/lib/soak.ts --iterations 1000
 */
import { parseArgs } from 'node:util';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import { metaTrain, parseExperimentConfig, selectBackend, tf } from '../../src-main/engine';
import { REFERENCE } from './reference';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '1000' } } });
const iterations = Number(values.iterations);
const desc = await selectBackend('auto');
const dataset = generateSyntheticDataset({ classes: 100, imagesPerClass: 20, size: 28 });
const every = Math.max(1, Math.round(iterations / 10));
const samples: Array<{ iteration: number; rssMb: number; tensors: number }> = [];
let peak = 0;
await metaTrain({
  config: parseExperimentConfig({ ...REFERENCE, learner: 'maml', iterations }),
  dataset,
  threads: desc.threads,
  skipTest: true,
  callbacks: {
    onIteration: (p) => {
      const rss = process.memoryUsage().rss;
      peak = Math.max(peak, rss);
      if (p.iteration === 1 || p.iteration % every === 0) {
        samples.push({ iteration: p.iteration, rssMb: rss / 2 ** 20, tensors: tf.memory().numTensors });
        process.stderr.write(`# soak ${p.iteration}/${iterations}: RSS ${(rss / 2 ** 20).toFixed(0)} MB\n`);
      }
    },
  },
});
console.log(JSON.stringify({ samples, peakRssMb: peak / 2 ** 20 }));
