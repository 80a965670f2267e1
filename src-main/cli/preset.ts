/** `deml preset`: list the ready-made comparisons, or run one and print its results table. */
import { presets } from '../contract/presets';
import { EXPORT_FORMATS } from '../contract/exportTable';
import { defineCommand, defineGroup } from './command';
import { DATA_DIR_FLAG } from './usage';

const out = (s: string) => process.stdout.write(`${s}\n`);

export const PRESET_RUN_FLAGS = {
  iterations: {
    type: 'string',
    value: 'N',
    help: 'meta-training iterations of every run (not with --budget)',
  },
  budget: {
    type: 'string',
    value: 'FRACTION',
    help: "this fraction of the preset's iterations, in (0, 1] (not with --iterations)",
  },
  'eval-tasks': { type: 'string', value: 'N', help: 'meta-test tasks of every run' },
  seed: { type: 'string', value: 'N', help: 'the seed of every run' },
  data: { type: 'string', value: 'NAME', help: 'the dataset, in place of the preset’s' },
  only: { type: 'string', value: 'TEXT', help: 'only the runs whose label contains TEXT' },
  format: {
    type: 'string',
    value: 'FORMAT',
    help: 'the results table as Markdown, LaTeX or CSV (default: md)',
    choices: EXPORT_FORMATS,
  },
  instances: {
    type: 'string',
    value: 'K,…',
    help: "a MANN's accuracy at these presentations, as columns (e.g. 1,2,3,4,5,10)",
  },
  parallel: {
    type: 'string',
    value: 'N|auto',
    help: 'runs trained side by side, the cores shared between them (default: auto)',
  },
  'data-dir': DATA_DIR_FLAG,
} as const;

const PRESET_LIST = defineCommand({
  name: 'list',
  summary: 'the ready-made comparisons, with their runs',
  options: {},
  run: async () => {
    for (const p of presets()) out(`${p.id.padEnd(20)} ${p.title}: ${p.runs.length} runs. ${p.description}`);
    return 0;
  },
});

const PRESET_RUN = defineCommand({
  name: 'run',
  summary: 'train and meta-test the runs of a preset, then print its results table',
  options: PRESET_RUN_FLAGS,
  args: [
    {
      name: 'ID',
      help: 'the preset (deml preset list)',
      required: true,
      choices: presets().map((p) => p.id),
    },
  ],
  // Training loads TensorFlow.js: only the commands that train pay for it (presetRuns.ts).
  run: async (values, [id], signal) => (await import('./presetRuns')).presetRun(id!, values, signal),
});

export const PRESET = defineGroup({
  name: 'preset',
  summary: 'list or run a ready-made comparison (e.g. concept-vs-pixels)',
  commands: [PRESET_LIST, PRESET_RUN],
});
