/**
 * `npm run bench`: prints figures, never passes or fails.
 *
 * 1. Speed: tasks/s of one meta-training iteration on the reference workload (conv4, 64 filters,
 *    28×28×1, 5-way 1-shot, 15 queries, batch-norm with batch statistics, one inner step,
 *    meta-batch 4) per learner and backend, with peak RSS.
 * 2. Accuracy at a fixed budget on the embedded glyphs (--accuracy), so speed never trades away
 *    accuracy silently.
 *
 * Options: --backends wasm,cpu  --iterations 3  --accuracy  --learners maml,fomaml,metasgd
 */
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../src-main/data/cache';
import { loadGlyphs } from '../src-main/data/embedded';
import { generateSyntheticDataset } from '../src-main/data/synthetic';
import {
  type ExperimentConfigInput,
  describeBackend,
  formatAccuracy,
  metaTrain,
  parseExperimentConfig,
  selectBackend,
  tf,
} from '../src-main/engine';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm' },
    learners: { type: 'string', default: 'maml,fomaml,metasgd' },
    iterations: { type: 'string', default: '3' },
    accuracy: { type: 'boolean', default: false },
  },
});

const REFERENCE: ExperimentConfigInput = {
  ways: 5,
  shots: 1,
  queries: 15,
  metaBatch: 4,
  innerSteps: 1,
  innerLr: 0.4,
  valEvery: 0,
  checkpointEvery: 0,
  model: { filters: 64, blocks: 4 },
};

let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const timer = setInterval(sampleRss, 100);

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
}

async function speed(): Promise<void> {
  const dataset = generateSyntheticDataset({ classes: 100, imagesPerClass: 20, size: 28 });
  const iterations = Number(values.iterations);
  const widths = [10, 8, 10, 12, 12];
  console.log('\nSpeed: conv4-64, 28×28×1, 5-way 1-shot, 15 queries, meta-batch 4, 1 inner step');
  console.log(row(['learner', 'backend', 'tasks/s', 's/iteration', 'peak RSS MB'], widths));
  for (const backend of values.backends!.split(',')) {
    const desc = await selectBackend(backend as 'wasm');
    console.error(`# ${describeBackend(desc)}`);
    for (const learner of values.learners!.split(',')) {
      peakRss = 0;
      const times: number[] = [];
      await metaTrain({
        // One warm-up iteration (kernel setup, XNNPACK operator creation) is not timed.
        config: parseExperimentConfig({ ...REFERENCE, learner, iterations: iterations + 1, backend }),
        dataset,
        threads: desc.threads,
        skipTest: true,
        callbacks: {
          onIteration: (p) => {
            sampleRss();
            if (p.iteration > 1) times.push(4 / p.tasksPerSecond);
          },
        },
      });
      const perIteration = times.reduce((a, b) => a + b, 0) / times.length;
      console.log(
        row(
          [
            learner,
            desc.name,
            (4 / perIteration).toFixed(2),
            perIteration.toFixed(2),
            (peakRss / 2 ** 20).toFixed(0),
          ],
          widths,
        ),
      );
    }
  }
}

async function accuracy(): Promise<void> {
  const dataset = await loadGlyphs(defaultDataDir());
  const desc = await selectBackend('wasm');
  console.log(`\nAccuracy at a fixed budget: ${dataset.name}, ${describeBackend(desc)}`);
  for (const learner of values.learners!.split(',')) {
    const config = parseExperimentConfig({
      learner,
      ways: 5,
      shots: 1,
      queries: 5,
      metaBatch: 4,
      iterations: 300,
      metaLr: 0.003,
      evalTasks: 600,
      valEvery: 0,
      model: { filters: 32 },
    });
    const r = await metaTrain({ config, dataset });
    console.log(
      `${learner.padEnd(8)} 5-way 1-shot: ${formatAccuracy(r.test!)} (600 tasks) after 300 iterations ` +
        `in ${(r.durationMs / 1000).toFixed(0)} s`,
    );
  }
}

await speed();
if (values.accuracy) await accuracy();
clearInterval(timer);
console.log(`\ntensors alive at exit: ${tf.memory().numTensors}`);
