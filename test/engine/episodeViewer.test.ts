/**
 * The episode viewer's engine side: episode i of a checkpoint's seeded meta-test stream, its
 * images as the dataset holds them, and per query the class probabilities whose arg-max gives
 * exactly the accuracy the run's own meta-test counted for that episode.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import {
  type ExperimentConfig,
  disposeCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  metaTrain,
  parseExperimentConfig,
  selectBackend,
  tf,
} from '../../src-main/engine';
import { inspectEpisode } from '../../src-main/engine/inspectEpisode';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-episode-viewer');
const dataset = generateSyntheticDataset({ classes: 40, imagesPerClass: 20, size: 12, seed: 4 });
const base = {
  data: 'synthetic:classes=40,size=12,seed=4',
  ways: 5,
  shots: 2,
  queries: 3,
  metaBatch: 2,
  iterations: 30,
  evalTasks: 12,
  valEvery: 0,
  checkpointEvery: 0,
  metaLr: 0.003,
  model: { filters: 8, blocks: 2 },
  mann: { instances: 4, memorySlots: 20, slotSize: 8, readHeads: 1, controllerSize: 16, batch: 2 },
} as const;

async function trained(learner: ExperimentConfig['learner']) {
  const config = parseExperimentConfig({ ...base, learner });
  const dir = tempDir();
  const result = await metaTrain({ config, dataset, checkpointDir: dir, threads: 1 });
  const checkpoint = await loadCheckpoint((await listCheckpoints(dir)).at(-1)!);
  const settings = {
    split: 'test' as const,
    ways: config.ways,
    shots: config.shots,
    queries: config.queries,
    innerSteps: config.testInnerSteps,
    tasks: config.evalTasks,
    episodeSeed: config.evalSeed,
  };
  return { config, result, checkpoint, settings };
}

/** The dataset's image of class `name` whose pixels are `base64`, or -1. */
function imageOf(name: string, base64: string): number {
  const c = dataset.classNames.indexOf(name);
  const size = dataset.width * dataset.height * dataset.channels;
  const pixels = Buffer.from(base64, 'base64');
  for (let i = dataset.classStart[c]!; i < dataset.classStart[c + 1]!; i++)
    if (Buffer.from(dataset.pixels.subarray(i * size, (i + 1) * size)).equals(pixels)) return i;
  return -1;
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('an episode of a checkpoint’s meta-test', () => {
  for (const learner of ['maml', 'protonet', 'siamese'] as const) {
    it(`${learner}: the meta-test's own episode, its images, and predictions that score as it did`, async () => {
      const { config, result, checkpoint, settings } = await trained(learner);
      try {
        const before = tf.memory().numTensors;
        for (const index of [0, 7]) {
          const e = await inspectEpisode({ checkpoint, trainedOn: dataset, dataset, settings, index });
          expect(e).toMatchObject({ index, ways: 5, shots: 2, queries: 3, split: 'test' });
          expect(e.innerSteps).toBe(learner === 'maml' ? config.testInnerSteps : 0);
          // Support class-major (K per class), queries Q per class; every image one of its class's.
          expect(e.support.map((s) => s.label)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
          expect(e.query).toHaveLength(15);
          for (const s of [...e.support, ...e.query])
            expect(imageOf(e.classNames[s.label]!, s.image)).toBeGreaterThanOrEqual(0);
          for (const q of e.query) {
            expect(q.probabilities).toHaveLength(5);
            expect(q.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
            expect(q.probabilities[q.predicted]).toBe(Math.max(...q.probabilities));
          }
          // What the viewer marks right and wrong is what the meta-test counted for this episode.
          expect(e.accuracy).toBeCloseTo(result.test!.accuracies[index]!, 6);
        }
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        disposeCheckpoint(checkpoint);
      }
    });
  }

  it('a MANN is refused with the reason: its tasks are sequences', async () => {
    const { checkpoint, settings } = await trained('mann');
    try {
      await expect(
        inspectEpisode({
          checkpoint,
          trainedOn: dataset,
          dataset,
          settings: { ...settings, shots: 1 },
          index: 0,
        }),
      ).rejects.toThrow(/a MANN learns from sequences/);
    } finally {
      disposeCheckpoint(checkpoint);
    }
  });
});
