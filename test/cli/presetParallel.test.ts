/**
 * Preset runs side by side (`deml preset run --parallel`): each run in a worker thread of its own
 * gives the figures it gives alone, bit for bit; a cancel stops the running ones and starts no
 * other; the number of runs at once follows the cores and the memory estimate; trainers side by
 * side in the queue share the cores.
 */
import { describe, expect, it } from 'vitest';
import { type ExperimentConfigInput, parseExperimentConfig } from '../../src-main/contract/config';
import type { PresetRun } from '../../src-main/contract/presets';
import { presetParallelism, runPresetRuns } from '../../src-main/cli/presetRuns';
import { datasetLoader, resolveTrainingData } from '../../src-main/data/trainingData';
import type { TrainResult } from '../../src-main/engine';
import { TINY } from '../helpers/configs';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-preset-parallel');

const cell = (label: string, config: ExperimentConfigInput): PresetRun => ({
  label,
  config: { ...TINY, iterations: 4, evalTasks: 12, valEvery: 0, checkpointEvery: 0, ...config },
});

const RUNS: PresetRun[] = [
  cell('MAML · pixels', { learner: 'maml' }),
  cell('Meta-SGD · pixels', { learner: 'metasgd' }),
  cell('MAML · concept', {
    learner: 'maml',
    space: 'concept',
    concept: {
      generator: { stages: [1, 1], width: 4, conceptSize: 8 },
      head: [8],
      externalBatch: 8,
      external: 'synthetic:classes=10,size=12,seed=3',
    },
  }),
];

async function results(
  runs: PresetRun[],
  parallel: number | 'auto',
  signal?: AbortSignal,
  onResult?: () => void,
): Promise<{ status: string; byIndex: Map<number, TrainResult>; order: number[] }> {
  const byIndex = new Map<number, TrainResult>();
  const order: number[] = [];
  const status = await runPresetRuns(runs, {
    dataDir: tempDir(),
    title: 'test',
    parallel,
    signal,
    onResult: (_run, result, index) => {
      byIndex.set(index, result);
      order.push(index);
      onResult?.();
    },
  });
  return { status, byIndex, order };
}

describe('preset runs side by side', () => {
  it('two at a time give each run the figures it gives alone, bit for bit', async () => {
    const alone = await results(RUNS, 1);
    const side = await results(RUNS, 2);
    expect(alone.status).toBe('completed');
    expect(side.status).toBe('completed');
    expect(alone.order).toEqual([0, 1, 2]);
    expect([...side.order].sort()).toEqual([0, 1, 2]);
    for (const i of [0, 1, 2]) {
      const a = alone.byIndex.get(i)!;
      const b = side.byIndex.get(i)!;
      expect(b.lossCurve, RUNS[i]!.label).toEqual(a.lossCurve);
      expect(b.test!.accuracies, RUNS[i]!.label).toEqual(a.test!.accuracies);
      expect(b.test!.tasks).toBe(12);
    }
    // The comparison can fail: the runs differ from one another.
    expect(alone.byIndex.get(1)!.lossCurve).not.toEqual(alone.byIndex.get(0)!.lossCurve);
  }, 180_000);

  it('a cancel stops the runs in progress and starts no other', async () => {
    const stop = new AbortController();
    // The longest first: 'long' and 'short' start, 'never started' (the shortest) waits.
    const runs = [
      cell('short', { learner: 'fomaml', iterations: 2, evalTasks: 2 }),
      cell('long', { learner: 'maml', iterations: 100_000 }),
      cell('never started', { learner: 'fomaml', iterations: 1, evalTasks: 2 }),
    ];
    const started = performance.now();
    const out = await results(runs, 2, stop.signal, () => stop.abort());
    expect(out.status).toBe('cancelled');
    expect(out.order).toEqual([0]);
    // The long run stopped at an iteration boundary, not after its 100,000 iterations.
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 90_000);

  it('a run that fails stops the others and its error names it', async () => {
    const runs = [
      // Meta-SGD with an absurd rate: a non-finite loss within a few iterations (DivergenceError).
      cell('diverges', { learner: 'metasgd', metaLr: 1e30, innerLr: 1e30, iterations: 50 }),
      cell('long', { learner: 'maml', iterations: 100_000 }),
    ];
    const started = performance.now();
    await expect(results(runs, 2)).rejects.toThrow(/^diverges: training diverged at iteration/);
    // The long run was stopped, not left training (it would hold the process for 100,000 iterations).
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 90_000);
});

describe('how many runs at once', () => {
  const loaded = async (input: ExperimentConfigInput) => {
    const config = parseExperimentConfig(input);
    return { config, ...(await resolveTrainingData(config, datasetLoader(tempDir()))) };
  };

  it('auto: one run per thread, at most the runs there are; the threads shared out', async () => {
    const run = await loaded(TINY);
    const eight = Array.from({ length: 8 }, () => run);
    expect(presetParallelism(eight, 2, 'auto')).toEqual({ parallel: 2, threads: 1, why: null });
    expect(presetParallelism(eight.slice(0, 3), 16, 'auto')).toEqual({ parallel: 3, threads: 5, why: null });
    expect(presetParallelism(eight, 8, 2)).toEqual({ parallel: 2, threads: 4, why: null });
    expect(presetParallelism(eight, 2, 1)).toEqual({ parallel: 1, threads: 2, why: null });
  });

  it('fewer runs at once where their memory estimates together would not fit, and why', async () => {
    const run = await loaded(TINY);
    const four = Array.from({ length: 4 }, () => run);
    const one = presetParallelism(four, 4, 'auto').parallel;
    expect(one).toBe(4);
    // Room for about two of these runs (each estimated the same here).
    const { estimateTrainingMemory } = await import('../../src-main/engine/memoryEstimate');
    const each = estimateTrainingMemory(run.config, run.dataset, run.dataset.pixels.byteLength, 2).bytes;
    const lanes = presetParallelism(four, 4, 'auto', (2.5 * each) / 0.85);
    expect(lanes.parallel).toBe(2);
    expect(lanes.threads).toBe(2);
    expect(lanes.why).toMatch(/^memory: 3 at once would need about .* of /);
  });
});

describe('trainers side by side in the queue (deml serve --concurrency N)', () => {
  it('share the cores: DEML_THREADS is each one’s share, unless the user set it', async () => {
    const { sharedThreads } = await import('../../src-main/service/service');
    expect(sharedThreads(1, {}, 8)).toEqual({});
    expect(sharedThreads(2, {}, 8)).toEqual({ DEML_THREADS: '4' });
    expect(sharedThreads(3, {}, 2)).toEqual({ DEML_THREADS: '1' });
    expect(sharedThreads(2, { DEML_THREADS: '3' }, 8)).toEqual({});
  });
});

describe('the order of runs side by side', () => {
  it('the longest first: concept before pixels, bigger meta-batches and budgets first, ties in order', async () => {
    const { longestFirst } = await import('../../src-main/cli/presetRuns');
    const { findPreset } = await import('../../src-main/contract/presets');
    const preset = findPreset('concept-vs-pixels');
    const labels = longestFirst(preset.runs.map((r) => parseExperimentConfig(r.config))).map(
      (i) => preset.runs[i]!.label,
    );
    expect(labels).toEqual([
      'MAML · concept · 1-shot',
      'Meta-SGD · concept · 1-shot',
      'MAML · concept · 5-shot',
      'Meta-SGD · concept · 5-shot',
      'MAML · pixels · 1-shot',
      'Meta-SGD · pixels · 1-shot',
      'MAML · pixels · 5-shot',
      'Meta-SGD · pixels · 5-shot',
    ]);
  });
});
