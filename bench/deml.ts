/**
 * The "concept space vs pixels" preset at a fixed budget (printed, never pass/fail): meta-test
 * accuracy ± 95% CI and wall time for each cell, on the embedded glyphs (and on an imported
 * dataset with --data NAME, e.g. Omniglot imported with `deml data import`).
 *
 *   npx tsx bench/deml.ts --iterations 100 --eval-tasks 200 --shots 1 --learners maml,metasgd
 */
import { parseArgs } from 'node:util';
import { runPresetRuns } from '../src-main/cli/presetRuns';
import { findPreset } from '../src-main/contract/presets';
import { resolveDataDir } from '../src-main/layout/dataDirectory';
import { formatAccuracy } from '../src-main/engine';

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

const preset = findPreset('concept-vs-pixels', {
  iterations: Number(values.iterations),
  evalTasks: Number(values['eval-tasks']),
  data: values.data!,
});
const runs = preset.runs
  .filter(
    ({ config: c }) =>
      values.learners!.split(',').includes(c.learner!) &&
      values.spaces!.split(',').includes(c.space!) &&
      values.shots!.split(',').map(Number).includes(c.shots!),
  )
  .map((run) => ({
    ...run,
    config: {
      ...run.config,
      backend: 'wasm' as const,
      concept: { external: values.external!, ...(values.lambda ? { lambda: Number(values.lambda) } : {}) },
    },
  }));
console.log(
  `# ${values.data}; external ${values.external}; ${values.iterations} iterations, ${values['eval-tasks']} meta-test tasks, seed 0`,
);
await runPresetRuns(runs, {
  dataDir: resolveDataDir(values['data-dir']),
  title: preset.title,
  onResult: (run, r) =>
    console.log(
      `${run.label.padEnd(28)} ${formatAccuracy(r.test!)}  (${r.test!.tasks} tasks)  ` +
        `${(r.durationMs / 1000).toFixed(0)} s  ${r.network}`,
    ),
});
