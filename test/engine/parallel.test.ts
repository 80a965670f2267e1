/**
 * Task workers: a run on N threads is the run on one thread, bit for bit (losses, validations,
 * the meta-test's per-task accuracies and the final parameters), on both CPU backends and in the
 * concept space; shares and thread settings behave.
 */
import { describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import {
  EpisodeSampler,
  Rng,
  loadLatestCheckpoint,
  metaTrain,
  parseExperimentConfig,
  selectBackend,
  tf,
  type ExperimentConfigInput,
  type TrainResult,
} from '../../src-main/engine';
import { TaskPool, defaultTrainingThreads, shares } from '../../src-main/engine/parallel/taskPool';
import { tempDirs } from '../helpers/temp';

const dataset = generateSyntheticDataset({ classes: 20, imagesPerClass: 8, size: 12, seed: 5 });
const external = generateSyntheticDataset({ classes: 10, imagesPerClass: 10, size: 12, seed: 77 });
const temp = tempDirs('deml-parallel');

const tiny: ExperimentConfigInput = {
  ways: 3,
  shots: 1,
  queries: 3,
  metaBatch: 3,
  iterations: 4,
  evalTasks: 7,
  valEvery: 2,
  valTasks: 5,
  checkpointEvery: 0,
  model: { filters: 4, blocks: 2 },
};

async function run(
  input: ExperimentConfigInput,
  threads: number,
): Promise<{ result: TrainResult; params: Record<string, number[]> }> {
  const dir = temp();
  const config = parseExperimentConfig(input);
  let used = 0;
  const result = await metaTrain({
    config,
    dataset,
    external: config.space === 'concept' ? external : null,
    threads,
    checkpointDir: dir,
    callbacks: { onStart: (info) => void (used = info.threads) },
  });
  // The workers really ran (a pool that failed to start would make the comparison vacuous).
  expect(used).toBe(Math.min(threads, config.metaBatch));
  const ckpt = (await loadLatestCheckpoint(dir))!;
  const params: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(ckpt.meta)) params[name] = Array.from(t.dataSync());
  for (const p of [ckpt.meta, ckpt.adam.m, ckpt.adam.v]) for (const t of Object.values(p)) t.dispose();
  return { result, params };
}

function expectIdentical(a: Awaited<ReturnType<typeof run>>, b: Awaited<ReturnType<typeof run>>): void {
  expect(b.result.lossCurve).toEqual(a.result.lossCurve);
  expect(b.result.accuracyCurve).toEqual(a.result.accuracyCurve);
  expect(b.result.validations.map((v) => v.accuracies)).toEqual(
    a.result.validations.map((v) => v.accuracies),
  );
  expect(b.result.test!.accuracies).toEqual(a.result.test!.accuracies);
  expect(b.result.test!.meanLoss).toBe(a.result.test!.meanLoss);
  expect(b.params).toEqual(a.params);
}

describe('task shares', () => {
  it('are contiguous, in order, and differ in size by at most one (the caller’s first)', () => {
    expect(shares([1, 2, 3, 4], 2)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(shares([1, 2, 3], 2)).toEqual([[1, 2], [3]]);
    expect(shares([1, 2], 3)).toEqual([[1], [2], []]);
    expect(shares([1, 2, 3, 4, 5, 6, 7], 3).flat()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('threads: every core on wasm and cpu, 1 on TensorFlow, DEML_THREADS when set', () => {
    expect(defaultTrainingThreads('wasm', {})).toBeGreaterThanOrEqual(1);
    expect(defaultTrainingThreads('tensorflow', {})).toBe(1);
    expect(defaultTrainingThreads('tensorflow', { DEML_THREADS: '3' })).toBe(3);
    expect(() => defaultTrainingThreads('wasm', { DEML_THREADS: 'two' })).toThrow(/DEML_THREADS='two'/);
    expect(() => defaultTrainingThreads('wasm', { DEML_THREADS: '0' })).toThrow(/between 1 and 256/);
  });
});

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`task workers on ${backend}`, () => {
    it('MAML on 1, 2 and 3 threads: identical runs, bit for bit, and no tensor left behind', async () => {
      await selectBackend(backend);
      const before = tf.memory().numTensors;
      const one = await run({ ...tiny, learner: 'maml' }, 1);
      const two = await run({ ...tiny, learner: 'maml' }, 2);
      const three = await run({ ...tiny, learner: 'maml' }, 3);
      expectIdentical(one, two);
      expectIdentical(one, three);
      // The check can fail: a different seed changes the losses.
      const other = await run({ ...tiny, learner: 'maml', seed: 9 }, 2);
      expect(other.result.lossCurve).not.toEqual(one.result.lossCurve);
      expect(tf.memory().numTensors).toBe(before);
    }, 120_000);
  });
}

describe('task workers in the concept space', () => {
  it('Meta-SGD with G and D on 2 threads equals 1 thread, bit for bit', async () => {
    await selectBackend('wasm');
    const input: ExperimentConfigInput = {
      ...tiny,
      learner: 'metasgd',
      space: 'concept',
      metaBatch: 2,
      concept: { generator: { stages: [1, 1], width: 4, conceptSize: 8 }, head: [8], externalBatch: 10 },
    };
    expectIdentical(await run(input, 1), await run(input, 2));
  }, 120_000);
});

describe('task worker failures', () => {
  it('a worker that cannot build the model fails the start with the reason', async () => {
    await selectBackend('cpu');
    const config = parseExperimentConfig({ ...tiny, learner: 'maml' });
    await expect(
      TaskPool.start({
        threads: 2,
        backend: 'cpu',
        config,
        image: { height: 1, width: 1, channels: 1 },
        externalClasses: null,
      }),
    ).rejects.toThrow(/task worker failed to start: .*shrink a 1×1 image to nothing/s);
  }, 60_000);

  it('an error inside a worker rejects that request with the reason, and the pool closes', async () => {
    await selectBackend('cpu');
    const config = parseExperimentConfig({ ...tiny, learner: 'maml' });
    const pool = await TaskPool.start({
      threads: 2,
      backend: 'cpu',
      config,
      image: dataset,
      externalClasses: null,
    });
    const sampler = new EpisodeSampler(dataset, [0, 1, 2, 3, 4, 5], config, new Rng(1));
    // No parameters sent: the worker cannot build the meta-parameters.
    const { local, remote } = pool.gradients({}, [sampler.next(), sampler.next()]);
    expect(local).toHaveLength(1);
    await expect(remote).rejects.toThrow(/task worker failed: .*no values for parameter 'conv1.weight'/s);
    await pool.close();
  }, 60_000);
});
