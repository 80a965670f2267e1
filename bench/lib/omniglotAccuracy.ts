/**
 * Accuracy at a fixed budget on Omniglot (issue 6), so speed never trades away accuracy
 * silently: the 292 characters of both small background sets, a seeded 80/20 class split,
 * 5-way 1-shot with 15 queries, meta-batch 4, 500 iterations, Adam 0.001, α = 0.4, one inner
 * step (three at test), conv4-64, 300 meta-test tasks. The other learners take the same data,
 * split and number of training episodes: a MANN's are sequences of 5 classes × 10 presentations,
 * one task of 4 per iteration (4 episodes, as the others' meta-batch), on the pixels. Prints one
 * JSON line.
 *
 *   npx tsx bench/lib/omniglotAccuracy.ts --omniglot DIR [--learner maml] [--data-dir DIR]
 */
import { parseArgs } from 'node:util';
import { listDatasets, loadPackedDataset } from '../../src-main/data/cache';
import { importDataset } from '../../src-main/data/import/importer';
import { describeBackend, metaTrain, parseExperimentConfig, selectBackend } from '../../src-main/engine';
import { omniglotZips } from './omniglotSource';

const { values } = parseArgs({
  options: {
    omniglot: { type: 'string' },
    learner: { type: 'string', default: 'maml' },
    'data-dir': { type: 'string' },
    iterations: { type: 'string', default: '500' },
  },
});
const source = values.omniglot!;
const dataDir = values['data-dir']!;
const NAME = 'omniglot-small';
const found = omniglotZips(source);
if (!('zips' in found)) throw new Error(found.missing);
const { zips } = found;
if (!(await listDatasets(dataDir)).some((m) => m.id === NAME)) {
  // No dataset-defined split: the config's seeded 80/20 class split applies.
  await importDataset({ format: 'omniglot', name: NAME, paths: zips, dataDir, split: 'none' });
}
const { dataset } = await loadPackedDataset(dataDir, NAME);
const desc = await selectBackend('auto');
const config = parseExperimentConfig({
  learner: values.learner,
  data: NAME,
  ways: 5,
  shots: 1,
  queries: 15,
  metaBatch: 4,
  iterations: Number(values.iterations),
  metaLr: 0.001,
  innerLr: 0.4,
  innerSteps: 1,
  testInnerSteps: 3,
  evalTasks: 300,
  valEvery: 0,
  checkpointEvery: 0,
  split: { train: 0.8, val: 0, test: 0.2 },
  model: { filters: 64, blocks: 4 },
  // A MANN's task is a batch of sequences: 4 of them per iteration too, as 2 tasks of 2 (one
  // per thread).
  ...(values.learner === 'mann' ? { metaBatch: 2, mann: { batch: 2 } } : {}),
});
const episodesPerTask = config.learner === 'mann' ? config.mann.batch : 1;
const started = performance.now();
let trainS = 0;
const result = await metaTrain({
  config,
  dataset,
  threads: desc.threads,
  callbacks: {
    onIteration: (p) => {
      trainS += config.metaBatch / p.tasksPerSecond;
      if (p.iteration % 50 === 0) {
        process.stderr.write(
          `# ${values.learner} ${p.iteration}/${p.iterations} loss ${p.loss.toFixed(3)} acc ${p.accuracy.toFixed(3)}\n`,
        );
      }
    },
  },
});
const test = result.test!;
console.log(
  JSON.stringify({
    learner: values.learner,
    backend: describeBackend(desc),
    classes: dataset.classNames.length,
    accuracy: test.mean,
    ci95: test.ci95,
    tasks: test.tasks,
    trainSeconds: trainS,
    tasksPerSecond: (config.iterations * config.metaBatch) / trainS,
    episodesPerSecond: (config.iterations * config.metaBatch * episodesPerTask) / trainS,
    byInstance: test.byInstance?.map((x) => x.mean) ?? null,
    totalSeconds: (performance.now() - started) / 1000,
  }),
);
