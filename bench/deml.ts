/**
 * The "concept space vs pixels" preset at a fixed budget (printed, never pass/fail): meta-test
 * accuracy ± 95% CI and wall time for each cell, on the embedded glyphs (and on an imported
 * dataset with --data NAME, e.g. Omniglot imported with `deml data import`).
 *
 *   npx tsx bench/deml.ts --iterations 100 --eval-tasks 200 --shots 1 --learners maml,metasgd
 */
import { parseArgs } from 'node:util';
import { findPreset } from '../src-main/contract/presets';
import { defaultDataDir } from '../src-main/data/cache';
import { resolveDataset } from '../src-main/data/resolve';
import {
  describeBackend,
  formatAccuracy,
  metaTrain,
  parseExperimentConfig,
  selectBackend,
} from '../src-main/engine';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '100' },
    'eval-tasks': { type: 'string', default: '200' },
    shots: { type: 'string', default: '1,5' },
    learners: { type: 'string', default: 'maml,metasgd' },
    spaces: { type: 'string', default: 'pixels,concept' },
    data: { type: 'string', default: 'glyphs' },
    external: { type: 'string', default: 'glyphs-external' },
    'data-dir': { type: 'string' },
    lambda: { type: 'string' },
  },
});

const dataDir = values['data-dir'] ?? defaultDataDir();
const dataset = await resolveDataset(values.data!, dataDir);
const external = await resolveDataset(values.external!, dataDir);
const backend = await selectBackend('wasm');
console.log(`# ${dataset.name}; external ${external.name}; ${describeBackend(backend)}`);
console.log(`# budget: ${values.iterations} iterations, ${values['eval-tasks']} meta-test tasks, seed 0`);
const preset = findPreset('concept-vs-pixels', {
  iterations: Number(values.iterations),
  evalTasks: Number(values['eval-tasks']),
  data: values.data!,
});
const wanted = (label: string, config: { learner?: string; space?: string; shots?: number }) =>
  values.learners!.split(',').includes(config.learner!) &&
  values.spaces!.split(',').includes(config.space!) &&
  values.shots!.split(',').map(Number).includes(config.shots!) &&
  label.length > 0;
for (const run of preset.runs.filter((r) => wanted(r.label, r.config))) {
  const input = {
    ...run.config,
    concept: { external: values.external!, ...(values.lambda ? { lambda: Number(values.lambda) } : {}) },
  };
  const config = parseExperimentConfig(input);
  const r = await metaTrain({ config, dataset, external });
  console.log(
    `${run.label.padEnd(28)} ${formatAccuracy(r.test!)}  (${r.test!.tasks} tasks)  ` +
      `${(r.durationMs / 1000).toFixed(0)} s  ${r.network}`,
  );
}
