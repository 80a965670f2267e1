/** `deml preset`: list the ready-made comparisons, or run one and print its results table. */
import { parseArgs } from 'node:util';
import { type PresetRun, findPreset, presets } from '../contract/presets';
import { parseExperimentConfig } from '../contract/config';
import { EXPORT_FORMATS, type ExportFormat, exportTable } from '../contract/exportTable';
import { type ComparedRun, resultsTable } from '../contract/results';
import { datasetLoader, resolveTrainingData } from '../data/trainingData';
import { describeBackend, formatAccuracy, metaTrain, type TrainResult, selectBackend } from '../engine';
import { DATA_DIR_OPTION, UsageError, dataDirOf, intFlag } from './usage';

export const PRESET_USAGE = `deml preset list
deml preset run ID [--iterations N | --budget FRACTION] [--eval-tasks N] [--seed N] [--data NAME] [--only TEXT]
                   [--format md|latex|csv] [--instances 1,2,3,4,5,10 (a MANN's presentations as columns)]`;

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
      budget: { type: 'string' },
      format: { type: 'string' },
      instances: { type: 'string' },
      ...DATA_DIR_OPTION,
    },
  });
  const out = (s: string) => process.stdout.write(`${s}\n`);
  if (sub === 'list') {
    for (const p of presets()) out(`${p.id.padEnd(20)} ${p.title}: ${p.runs.length} runs. ${p.description}`);
    return 0;
  }
  if (sub !== 'run' || !positionals[0]) throw new UsageError(PRESET_USAGE);
  const fraction = values.budget === undefined ? undefined : Number(values.budget);
  if (fraction !== undefined && !(fraction > 0 && fraction <= 1)) {
    throw new UsageError(
      `--budget is a fraction of the preset's iterations in (0, 1], got '${values.budget}'`,
    );
  }
  if (fraction !== undefined && values.iterations !== undefined) {
    throw new UsageError('give --iterations or --budget, not both');
  }
  const format = (values.format ?? 'md') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format))
    throw new UsageError(`--format is one of ${EXPORT_FORMATS.join(', ')}`);
  const budget = Object.fromEntries(
    Object.entries({
      iterations: intFlag('iterations', values.iterations, 0),
      evalTasks: intFlag('eval-tasks', values['eval-tasks']),
      seed: intFlag('seed', values.seed, 0),
      data: values.data,
      budget: fraction,
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
  if (preset.requires) process.stderr.write(`${preset.title} needs ${preset.requires}\n`);
  if (preset.scaled) process.stderr.write(`${preset.title}: ${preset.scaled}\n`);
  const done: ComparedRun[] = [];
  const status = await runPresetRuns(runs, {
    dataDir: dataDirOf(values),
    title: preset.title,
    signal,
    onResult: (run, result) => {
      const config = parseExperimentConfig(run.config);
      done.push({
        id: done.length + 1,
        config,
        test: { ...result.test!, split: 'test', dataset: config.data },
      });
      out(
        `${run.label.padEnd(28)} ${formatAccuracy(result.test!)}  (${result.test!.tasks} tasks, ${(result.durationMs / 1000).toFixed(0)} s)`,
      );
    },
  });
  const instances = (values.instances ?? '')
    .split(',')
    .filter(Boolean)
    .map((k) => intFlag('instances', k)!);
  if (done.length > 0) out(`\n${exportTable(resultsTable(done, preset.published, { instances }), format)}`);
  if (preset.scaled && done.length > 0) out(`(${preset.scaled}: not the published protocol's budget)`);
  return status === 'cancelled' ? 130 : 0;
}

/**
 * Train and meta-test each run in turn, on datasets loaded once. Every run is checked against its
 * data before the first one starts, so a bad cell fails the preset at once.
 */
export async function runPresetRuns(
  runs: readonly PresetRun[],
  o: {
    dataDir: string;
    title: string;
    signal?: AbortSignal;
    onResult: (run: PresetRun, result: TrainResult) => void;
  },
): Promise<'completed' | 'cancelled'> {
  const configs = runs.map((r) => parseExperimentConfig(r.config));
  const load = datasetLoader(o.dataDir);
  const data = [];
  for (const c of configs) data.push(await resolveTrainingData(c, load));
  const backend = await selectBackend(configs[0]?.backend ?? 'auto');
  process.stderr.write(`${o.title}: ${runs.length} runs; backend ${describeBackend(backend)}\n`);
  for (const [i, run] of runs.entries()) {
    const config = configs[i]!;
    const result = await metaTrain({
      config,
      ...data[i]!,
      threads: backend.threads,
      signal: o.signal,
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
    if (result.status === 'cancelled') return 'cancelled';
    o.onResult(run, result);
  }
  return 'completed';
}
