/** `deml preset`: list the ready-made comparisons, or run one and print its results table. */
import { parseArgs } from 'node:util';
import { findPreset, presets } from '../contract/presets';
import { parseExperimentConfig } from '../contract/config';
import { defaultDataDir } from '../data/cache';
import { resolveDataset } from '../data/resolve';
import {
  type ClassIndexedDataset,
  describeBackend,
  formatAccuracy,
  metaTrain,
  selectBackend,
  validateAgainstDataset,
} from '../engine';
import { UsageError, intFlag } from './data';

export const PRESET_USAGE = `deml preset list
deml preset run ID [--iterations N] [--eval-tasks N] [--seed N] [--data NAME] [--only TEXT]`;

export async function presetCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: {
      iterations: { type: 'string' },
      'eval-tasks': { type: 'string' },
      seed: { type: 'string' },
      data: { type: 'string' },
      only: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const out = (s: string) => process.stdout.write(`${s}\n`);
  if (sub === 'list') {
    for (const p of presets()) out(`${p.id.padEnd(20)} ${p.title}: ${p.runs.length} runs. ${p.description}`);
    return 0;
  }
  if (sub !== 'run' || !positionals[0]) throw new UsageError(PRESET_USAGE);
  const budget = Object.fromEntries(
    Object.entries({
      iterations: intFlag('iterations', values.iterations, 0),
      evalTasks: intFlag('eval-tasks', values['eval-tasks']),
      seed: intFlag('seed', values.seed, 0),
      data: values.data,
    }).filter(([, v]) => v !== undefined),
  );
  let preset;
  try {
    preset = findPreset(positionals[0], budget);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const runs = preset.runs.filter(
    (r) => !values.only || r.label.toLowerCase().includes(values.only.toLowerCase()),
  );
  const dataDir = values['data-dir'] ?? defaultDataDir();
  // Every run is checked before the first one starts: a bad cell fails the preset at once.
  const configs = runs.map((r) => parseExperimentConfig(r.config));
  const datasets = new Map<string, ClassIndexedDataset>();
  const load = async (ref: string) => {
    if (!datasets.has(ref)) datasets.set(ref, await resolveDataset(ref, dataDir));
    return datasets.get(ref)!;
  };
  for (const c of configs)
    validateAgainstDataset(
      c,
      await load(c.data),
      c.space === 'concept' ? await load(c.concept.external) : null,
    );
  const backend = await selectBackend(configs[0]?.backend ?? 'auto');
  process.stderr.write(`${preset.title}: ${runs.length} runs; backend ${describeBackend(backend)}\n`);
  for (const [i, run] of runs.entries()) {
    const config = configs[i]!;
    const result = await metaTrain({
      config,
      dataset: await load(config.data),
      external: config.space === 'concept' ? await load(config.concept.external) : null,
      signal,
      callbacks: {
        onIteration: (p) => {
          if (p.iteration % 50 === 0 || p.iteration === p.iterations) {
            process.stderr.write(
              `  ${run.label}: ${p.iteration}/${p.iterations} loss ${p.loss.toFixed(3)}\n`,
            );
          }
        },
      },
    });
    if (result.status === 'cancelled') return 130;
    out(
      `${run.label.padEnd(28)} ${formatAccuracy(result.test!)}  (${result.test!.tasks} tasks, ${(result.durationMs / 1000).toFixed(0)} s)`,
    );
  }
  return 0;
}
