/**
 * Time of one run of a preset, measured on a short stretch and extrapolated to the preset's
 * budget: the median meta-training iteration after a warm-up, and the meta-test time per task.
 * Prints one JSON line, with the number of learned values in each part of the model (G, M, D and
 * Meta-SGD's rates), which bench/demlStep.ts checks against PyTorch's step.
 *
 *   npx tsx bench/lib/presetCell.ts --preset concept-vs-pixels --cell 0 [--iterations 8] [--eval-tasks 40] [--threads N]
 *                                   [--learner fomaml]  (the cell with another learner, e.g. first-order MAML)
 */
import { parseArgs } from 'node:util';
import { findPreset } from '../../src-main/contract/presets';
import { resolveDataDir } from '../../src-main/layout/dataDirectory';
import { resolveDataset } from '../../src-main/data/resolve';
import { Rng, buildModel, metaTrain, parseExperimentConfig, selectBackend, tf } from '../../src-main/engine';
import { median } from './reference';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'concept-vs-pixels' },
    cell: { type: 'string', default: '0' },
    iterations: { type: 'string', default: '8' },
    'eval-tasks': { type: 'string', default: '40' },
    threads: { type: 'string' },
    learner: { type: 'string' },
  },
});
const preset = findPreset(values.preset!);
const cell = preset.runs[Number(values.cell)]!;
const run = values.learner ? { ...cell, config: { ...cell.config, learner: values.learner } } : cell;
const full = parseExperimentConfig(run.config);
const iterations = Number(values.iterations);
const evalTasks = Number(values['eval-tasks']);
const config = parseExperimentConfig({
  ...run.config,
  iterations: iterations + 1,
  evalTasks,
  checkpointEvery: 0,
});
const dataDir = resolveDataDir();
const dataset = await resolveDataset(config.data, dataDir);
const external = config.space === 'concept' ? await resolveDataset(config.concept.external, dataDir) : null;
const desc = await selectBackend(config.backend);
const parameters = learnedValues();
const seconds: number[] = [];
let testStart = 0;
const started = performance.now();
const result = await metaTrain({
  config,
  dataset,
  external,
  threads: values.threads ? Number(values.threads) : desc.threads,
  callbacks: {
    onIteration: (p) => {
      if (p.iteration > 1) seconds.push(config.metaBatch / p.tasksPerSecond);
      if (p.iteration === config.iterations) testStart = performance.now();
    },
  },
});
const testSeconds = (performance.now() - testStart) / 1000;
const perIteration = median(seconds);
const perEvalTask = testSeconds / result.test!.tasks;
console.log(
  JSON.stringify({
    label: run.label,
    tasksPerSecond: config.metaBatch / perIteration,
    secondsPerIteration: perIteration,
    secondsPerEvalTask: perEvalTask,
    // Setup (model, workers, pretraining when configured) is counted once, from this run.
    estimatedSeconds: full.iterations * perIteration + full.evalTasks * perEvalTask,
    measuredSeconds: (performance.now() - started) / 1000,
    parameters,
  }),
);

/** Learned values per part: G (the generator, or conv4 on pixels), M (the head), D, rates. */
function learnedValues(): Record<string, number> {
  const params = buildModel(config, dataset, external).init(new Rng(1));
  const parts: Record<string, number> = {};
  for (const [name, t] of Object.entries(params)) {
    const part = name.startsWith('lr:')
      ? 'rates'
      : name.startsWith('M.')
        ? 'M'
        : name.startsWith('D.')
          ? 'D'
          : 'G';
    parts[part] = (parts[part] ?? 0) + t.size;
  }
  tf.dispose(Object.values(params));
  return parts;
}
