/** Running a preset's runs and printing its results table (`deml preset run`; its definition is preset.ts). */
import { type PresetRun, findPreset } from '../contract/presets';
import { parseExperimentConfig } from '../contract/config';
import { EXPORT_FORMATS, type ExportFormat, exportTable } from '../contract/exportTable';
import { type ComparedRun, resultsTable } from '../contract/results';
import { totalmem } from 'node:os';
import type { ExperimentConfig } from '../contract/config';
import { type TrainingData, datasetLoader, resolveTrainingData } from '../data/trainingData';
import { describeBackend, formatAccuracy, metaTrain, type TrainResult, selectBackend } from '../engine';
import { estimateTrainingMemory, formatBytes } from '../engine/memoryEstimate';
import { trainInWorker } from '../engine/parallel/trainInWorker';
import type { FlagValues } from './command';
import { UsageError, dataDirOf, intFlag } from './usage';

import type { PRESET_RUN_FLAGS } from './preset';

const out = (s: string) => process.stdout.write(`${s}\n`);

export async function presetRun(
  id: string,
  values: FlagValues<typeof PRESET_RUN_FLAGS>,
  signal: AbortSignal,
): Promise<number> {
  const fraction = values.budget === undefined ? undefined : Number(values.budget);
  if (fraction !== undefined && !(fraction > 0 && fraction <= 1)) {
    throw new UsageError(
      `--budget is a fraction of the preset's iterations in (0, 1], got '${values.budget}'`,
    );
  }
  if (fraction !== undefined && values.iterations !== undefined) {
    throw new UsageError('give --iterations or --budget, not both');
  }
  const parallel =
    values.parallel === undefined || values.parallel === 'auto'
      ? 'auto'
      : intFlag('parallel', values.parallel)!;
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
    preset = findPreset(id, budget);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const runs = preset.runs.filter(
    (r) => !values.only || r.label.toLowerCase().includes(values.only.toLowerCase()),
  );
  if (preset.requires) process.stderr.write(`${preset.title} needs ${preset.requires}\n`);
  if (preset.scaled) process.stderr.write(`${preset.title}: ${preset.scaled}\n`);
  const finished: Array<ComparedRun | undefined> = [];
  // A row per run in the preset's order, whatever order side-by-side runs finish in: a row is
  // printed once it and every row before it are done (scripts read these lines).
  const rows: Array<string | undefined> = [];
  let printed = 0;
  const status = await runPresetRuns(runs, {
    dataDir: dataDirOf(values),
    title: preset.title,
    signal,
    parallel,
    onResult: (run, result, index) => {
      const config = parseExperimentConfig(run.config);
      finished[index] = {
        id: index + 1,
        config,
        test: { ...result.test!, split: 'test', dataset: config.data },
      };
      rows[index] =
        `${run.label.padEnd(28)} ${formatAccuracy(result.test!)}  (${result.test!.tasks} tasks, ${(result.durationMs / 1000).toFixed(0)} s)`;
      while (rows[printed] !== undefined) out(rows[printed++]!);
    },
  });
  const instances = (values.instances ?? '')
    .split(',')
    .filter(Boolean)
    .map((k) => intFlag('instances', k)!);
  // The table in the preset's order too.
  const done = finished.filter((r): r is ComparedRun => r !== undefined);
  if (done.length > 0) out(`\n${exportTable(resultsTable(done, preset.published, { instances }), format)}`);
  if (preset.scaled && done.length > 0) out(`(${preset.scaled}: not the published protocol's budget)`);
  return status === 'cancelled' ? 130 : 0;
}

/**
 * Train and meta-test the runs, on datasets loaded once: one after another on every core, or
 * `parallel` at a time side by side, each in a worker thread of its own with its share of the
 * cores (wasm and cpu backends; TensorFlow already spreads each op over the cores or runs it on
 * the GPU). Every run is checked against its data before the first one starts, so a bad cell
 * fails the preset at once. Results do not depend on the schedule: a run gives the same figures,
 * bit for bit, on any number of threads.
 */
export async function runPresetRuns(
  runs: readonly PresetRun[],
  o: {
    dataDir: string;
    title: string;
    signal?: AbortSignal;
    /** Runs at once (default 1); 'auto': as many as the cores and memory allow (presetParallelism). */
    parallel?: number | 'auto';
    onResult: (run: PresetRun, result: TrainResult, index: number) => void;
  },
): Promise<'completed' | 'cancelled'> {
  const configs = runs.map((r) => parseExperimentConfig(r.config));
  const load = datasetLoader(o.dataDir);
  const data: TrainingData[] = [];
  for (const c of configs) data.push(await resolveTrainingData(c, load));
  const backend = await selectBackend(configs[0]?.backend ?? 'auto');
  const lanes =
    backend.name === 'tensorflow' || backend.name === 'webgpu'
      ? {
          parallel: 1,
          threads: backend.threads,
          why:
            o.parallel === 1
              ? null
              : backend.name === 'webgpu'
                ? 'one at a time: each run has the whole GPU'
                : 'one at a time: TensorFlow spreads each op over the cores itself',
        }
      : presetParallelism(
          configs.map((config, i) => ({ config, ...data[i]! })),
          backend.threads,
          o.parallel ?? 1,
        );
  process.stderr.write(
    `${o.title}: ${runs.length} runs; backend ${describeBackend(backend)}` +
      (lanes.parallel > 1
        ? `; ${lanes.parallel} runs side by side, ${lanes.threads} thread${lanes.threads === 1 ? '' : 's'} each`
        : '') +
      (lanes.why ? ` (${lanes.why})` : '') +
      '\n',
  );
  const progress = (label: string) => (p: { iteration: number; iterations: number; loss: number }) => {
    if (p.iteration % 50 === 0 || p.iteration === p.iterations) {
      process.stderr.write(`  ${label}: ${p.iteration}/${p.iterations} loss ${p.loss.toFixed(3)}\n`);
    }
  };
  if (lanes.parallel <= 1) {
    for (const [i, run] of runs.entries()) {
      const result = await metaTrain({
        config: configs[i]!,
        ...data[i]!,
        threads: backend.threads,
        signal: o.signal,
        callbacks: { onIteration: progress(run.label) },
      });
      if (result.status === 'cancelled') return 'cancelled';
      o.onResult(run, result, i);
    }
    return 'completed';
  }
  // Lanes take the next run as they free up, the longest first (so that no lane is left with a
  // long run while the others idle); a cancel stops the running ones at their next iteration and
  // starts no other, and so does a run that fails, before its error is thrown (a worker left
  // training would keep the process alive for the rest of its run).
  const order = longestFirst(configs);
  const stop = new AbortController();
  const stopAll = () => stop.abort();
  o.signal?.addEventListener('abort', stopAll, { once: true });
  if (o.signal?.aborted) stopAll();
  let next = 0;
  const lane = async () => {
    while (next < runs.length && !stop.signal.aborted) {
      const i = order[next++]!;
      const run = runs[i]!;
      let result: TrainResult;
      try {
        result = await trainInWorker({
          config: configs[i]!,
          ...data[i]!,
          threads: lanes.threads,
          signal: stop.signal,
          onIteration: progress(run.label),
        });
      } catch (e) {
        stopAll();
        throw new Error(`${run.label}: ${(e as Error).message}`, { cause: e });
      }
      if (result.status === 'completed') o.onResult(run, result, i);
    }
  };
  try {
    const settled = await Promise.allSettled(Array.from({ length: lanes.parallel }, lane));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    o.signal?.removeEventListener('abort', stopAll);
  }
  return stop.signal.aborted ? 'cancelled' : 'completed';
}

/**
 * Run indices, the longest first, by a rough count of the images a run puts through its network:
 * iterations × meta-batch × images per task, plus DEML's external batches, with the concept
 * space's ResNet generator counted as 4 of conv4's images (measured: a concept run takes 3–4×
 * the time of its pixel twin). Ties keep the preset's order.
 */
export function longestFirst(configs: readonly ExperimentConfig[]): number[] {
  const cost = (c: ExperimentConfig) => {
    const images = c.metaBatch * c.ways * (c.shots + c.queries);
    return c.space === 'concept'
      ? 4 * c.iterations * (images + c.concept.externalBatch)
      : c.iterations * images;
  };
  return configs
    .map((c, i) => ({ i, cost: cost(c) }))
    .sort((a, b) => b.cost - a.cost || a.i - b.i)
    .map((r) => r.i);
}

/** The share of the machine's memory the runs side by side may be estimated to need together. */
const MEMORY_SHARE = 0.85;

/**
 * How many runs to train side by side, and on how many threads each: `requested` runs ('auto':
 * one per core, at most the number of runs), the threads shared out evenly (at least one each),
 * fewer runs where their memory estimates together would pass 85% of the machine's memory.
 */
export function presetParallelism(
  runs: ReadonlyArray<{ config: ExperimentConfig } & TrainingData>,
  threads: number,
  requested: number | 'auto',
  memory = totalmem(),
): { parallel: number; threads: number; why: string | null } {
  let parallel = Math.max(1, Math.min(runs.length, requested === 'auto' ? threads : requested));
  const need = (k: number) => {
    const each = Math.max(1, Math.floor(threads / k));
    const bytes = runs
      .map((r) =>
        estimateTrainingMemory(
          r.config,
          r.dataset,
          r.dataset.pixels.byteLength + (r.external?.pixels.byteLength ?? 0),
          each,
        ),
      )
      .map((e) => e.bytes)
      .sort((a, b) => b - a);
    return bytes.slice(0, k).reduce((a, b) => a + b, 0);
  };
  let why: string | null = null;
  while (parallel > 1 && need(parallel) > memory * MEMORY_SHARE) {
    why = `memory: ${parallel} at once would need about ${formatBytes(need(parallel))} of ${formatBytes(memory)}`;
    parallel--;
  }
  return { parallel, threads: Math.max(1, Math.floor(threads / parallel)), why };
}
