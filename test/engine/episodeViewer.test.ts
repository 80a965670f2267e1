/**
 * The episode viewer's engine side: episode i of a checkpoint's seeded meta-test stream, its
 * images as the dataset holds them, and per query the class probabilities whose arg-max gives
 * exactly the accuracy the run's own meta-test counted for that episode; for a MANN, the task's
 * first sequence step by step, each step predicted as the MANN's own evaluation predicts it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import {
  type ExperimentConfig,
  disposeCheckpoint,
  disposeParams,
  listCheckpoints,
  loadCheckpoint,
  metaTrain,
  parseExperimentConfig,
  selectBackend,
  taskTensors,
  tf,
} from '../../src-main/engine';
import { checkpointModel } from '../../src-main/engine/evaluateCheckpoint';
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

async function trained(learner: ExperimentConfig['learner'], mann: { batch?: number } = {}) {
  const config = parseExperimentConfig({ ...base, learner, mann: { ...base.mann, ...mann } });
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

  for (const batch of [1, 2]) {
    it(`mann, ${batch} sequence(s) a task: the first sequence step by step, predicted as the MANN's own evaluation scores it`, async () => {
      const { config, result, checkpoint, settings } = await trained('mann', { batch });
      const { learner, meta } = checkpointModel({ checkpoint, trainedOn: dataset, dataset, settings });
      try {
        const before = tf.memory().numTensors;
        for (const index of [0, 5]) {
          const e = await inspectEpisode({ checkpoint, trainedOn: dataset, dataset, settings, index });
          expect(e).toMatchObject({
            index,
            ways: 5,
            shots: 0,
            queries: 0,
            innerSteps: 0,
            support: [],
            query: [],
          });
          const seq = e.sequence!;
          expect(seq).toMatchObject({ sequences: batch, presentations: 4 });
          expect(seq.steps).toHaveLength(5 * 4);
          // Each label shown 4 times, numbered 1st … 4th in the order it comes.
          for (let label = 0; label < 5; label++)
            expect(seq.steps.filter((s) => s.label === label).map((s) => s.presentation)).toEqual([
              1, 2, 3, 4,
            ]);
          for (const s of seq.steps) {
            expect(s.probabilities).toHaveLength(5);
            expect(s.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
            expect(s.probabilities[s.predicted]).toBe(Math.max(...s.probabilities));
          }
          const right = (p: number) => {
            const at = seq.steps.filter((s) => s.presentation === p);
            return at.filter((s) => s.predicted === s.label).length / at.length;
          };
          expect(seq.byPresentation).toEqual([1, 2, 3, 4].map(right));
          // The episode's figure is the one the run's meta-test counted for this task (over all
          // its sequences).
          expect(e.accuracy).toBeCloseTo(result.test!.accuracies[index]!, 6);
          if (batch === 1) expect(right(2)).toBeCloseTo(e.accuracy, 6);
          // The sequence shown, given back to the MANN as a task of its own (its pixels are the
          // dataset's bytes, so the same floats): its evaluation predicts what the viewer shows.
          const size = dataset.width * dataset.height * dataset.channels;
          const pixels = Buffer.concat(seq.steps.map((s) => Buffer.from(s.image, 'base64')));
          expect(pixels.length).toBe(seq.steps.length * size);
          const own = tf.tidy(() => {
            const out = learner.evaluate(
              meta,
              taskTensors(
                {
                  ways: 5,
                  shots: 0,
                  queries: 0,
                  classes: [],
                  supportImages: new Float32Array(0),
                  supportLabels: new Int32Array(0),
                  queryImages: new Float32Array(0),
                  queryLabels: new Int32Array(0),
                  sequence: {
                    batch: 1,
                    steps: seq.steps.length,
                    images: Float32Array.from(pixels, (v) => v / 255),
                    labels: Int32Array.from(seq.steps, (s) => s.label),
                    instance: Int32Array.from(seq.steps, (s) => s.presentation - 1),
                  },
                },
                [dataset.height, dataset.width, dataset.channels],
              ),
              0,
            );
            return [out.accuracy, out.byInstance!, out.probabilities!] as const;
          });
          const [accuracy, byInstance, probabilities] = await Promise.all(own.map((t) => t.array()));
          tf.dispose([...own]);
          expect(accuracy as number).toBeCloseTo(right(2), 6);
          (byInstance as number[]).forEach((x, k) => expect(seq.byPresentation[k]).toBeCloseTo(x, 6));
          (probabilities as number[][]).forEach((p, t) => {
            expect(seq.steps[t]!.predicted).toBe(p.indexOf(Math.max(...p)));
            p.forEach((x, c) => expect(seq.steps[t]!.probabilities[c]).toBeCloseTo(x, 5));
          });
        }
        expect(tf.memory().numTensors).toBe(before);
        expect(config.mann.batch).toBe(batch);
      } finally {
        disposeParams(meta);
        disposeCheckpoint(checkpoint);
      }
    });
  }
});
