/**
 * Evaluating checkpoints afterwards: at the training setting it reproduces the run's own
 * meta-test episode for episode; given episodes give the same results every time and on any
 * number of threads; another N gets a zero head that the test inner steps learn; and what cannot
 * be evaluated is refused, saying why.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { datasetLoader } from '../../src-main/data/trainingData';
import { episodeFileSource, readEpisodeFile } from '../../src-main/data/episodeFile';
import { prepareEvaluation } from '../../src-main/data/evaluationData';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import {
  type CheckpointEvaluationSettings,
  ConfigError,
  type ExperimentConfig,
  disposeCheckpoint,
  evaluateCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  metaTrain,
  parseExperimentConfig,
  selectBackend,
  tf,
} from '../../src-main/engine';
import { checkpointParameters } from '../../src-main/engine/evaluateCheckpoint';
import { buildModel } from '../../src-main/engine/model';
import { disposeParams } from '../../src-main/engine/nn/params';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-evaluation');
const SYNTHETIC = 'synthetic:classes=40,size=12,seed=4';
const dataset = generateSyntheticDataset({ classes: 40, imagesPerClass: 20, size: 12, seed: 4 });
const base = {
  data: SYNTHETIC,
  ways: 5,
  shots: 1,
  queries: 3,
  metaBatch: 2,
  iterations: 40,
  evalTasks: 40,
  valEvery: 0,
  checkpointEvery: 0,
  metaLr: 0.003,
  model: { filters: 8, blocks: 2 },
  // A MANN's own (every other learner ignores them).
  mann: { instances: 4, memorySlots: 20, slotSize: 8, readHeads: 1, controllerSize: 16, batch: 2 },
} as const;

/** Train `config` to a checkpoint folder; its meta-test and its checkpoint. */
async function trained(learner: ExperimentConfig['learner'], threads = 1) {
  const config = parseExperimentConfig({ ...base, learner });
  const dir = tempDir();
  const result = await metaTrain({ config, dataset, checkpointDir: dir, threads });
  const file = (await listCheckpoints(dir)).at(-1)!;
  return { config, result, file };
}

function settingsOf(config: ExperimentConfig, over: Partial<CheckpointEvaluationSettings> = {}) {
  return {
    split: 'test' as const,
    ways: config.ways,
    shots: config.shots,
    queries: config.queries,
    innerSteps: config.testInnerSteps,
    tasks: config.evalTasks,
    episodeSeed: config.evalSeed,
    ...over,
  };
}

async function evaluateFile(
  file: string,
  settings: CheckpointEvaluationSettings,
  o: { threads?: number } = {},
) {
  const checkpoint = await loadCheckpoint(file);
  try {
    return await evaluateCheckpoint({
      checkpoint,
      trainedOn: dataset,
      dataset,
      settings,
      threads: o.threads,
    });
  } finally {
    disposeCheckpoint(checkpoint);
  }
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('evaluating a checkpoint at its training setting', () => {
  for (const [family, learner] of [
    ['optimisation', 'maml'],
    ['metric', 'protonet'],
    ['metric', 'siamese'],
    ['model', 'mann'],
  ] as const) {
    it(`${family} (${learner}): the same per-episode accuracies as the run's own meta-test`, async () => {
      const { config, result, file } = await trained(learner);
      const before = tf.memory().numTensors;
      const again = await evaluateFile(file, settingsOf(config));
      expect(again.accuracies).toEqual(result.test!.accuracies);
      expect(again.newHead).toBe(false);
      expect(tf.memory().numTensors).toBe(before);
      if (learner === 'mann') {
        // Sequences of 5 classes × 4 presentations: its accuracy by presentation, as in training.
        expect(again).toMatchObject({ instances: 4, shots: 0, queries: 0 });
        expect(again.byInstance).toEqual(result.test!.byInstance);
        expect(again.byInstance).toHaveLength(4);
        expect(again.mean).toBe(again.byInstance![1]!.mean);
      }
    });
  }
});

describe('another N-way K-shot', () => {
  it('MAML at 3 ways: a zero head that the test inner steps learn, far above chance', async () => {
    const { config, file } = await trained('maml');
    const three = await evaluateFile(file, settingsOf(config, { ways: 3, shots: 2, tasks: 100 }));
    expect(three.newHead).toBe(true);
    expect(three.ways).toBe(3);
    expect(three.mean).toBeGreaterThan(1 / 3 + 0.15);
  });

  it('Meta-SGD’s new head rates are the trained ones’ mean magnitude over the classes; the rest is as saved', async () => {
    const { config, file } = await trained('metasgd');
    const checkpoint = await loadCheckpoint(file);
    const model = buildModel(parseExperimentConfig({ ...config, ways: 7 }), dataset);
    const { meta, newHead } = checkpointParameters(model.learner, checkpoint, 5, 7);
    expect(newHead).toBe(true);
    const head = model.learner.metaSpecs.filter((s) => s.shape.at(-1) === 7).map((s) => s.name);
    expect(head.length).toBeGreaterThan(0);
    for (const name of Object.keys(meta)) {
      const saved = checkpoint.meta[name]!;
      const now = meta[name]!;
      if (!head.includes(name)) expect(Array.from(now.dataSync())).toEqual(Array.from(saved.dataSync()));
      else if (name.startsWith('lr:')) {
        const rowMeans = tf.mean(tf.abs(saved), -1).arraySync() as number[] | number;
        const rows = now.arraySync() as number[][] | number[];
        const expectRow = (row: number[], m: number) => row.forEach((v) => expect(v).toBeCloseTo(m, 6));
        if (Array.isArray(rowMeans)) (rows as number[][]).forEach((row, i) => expectRow(row, rowMeans[i]!));
        else expectRow(rows as number[], rowMeans);
      } else expect(Array.from(now.dataSync()).every((v) => v === 0)).toBe(true);
    }
    disposeParams(meta);
    disposeCheckpoint(checkpoint);
  });

  for (const learner of ['protonet', 'siamese'] as const) {
    it(`${learner} takes any N as it is`, async () => {
      const { config, file } = await trained(learner);
      const eight = await evaluateFile(file, settingsOf(config, { ways: 8, tasks: 30 }));
      expect(eight.newHead).toBe(false);
      expect(eight.mean).toBeGreaterThan(1 / 8 + 0.15);
    });
  }
});

describe('episode files', () => {
  it('replay the same episodes: identical on two runs and on 1 or 2 threads', async () => {
    const { config, file } = await trained('maml');
    const episodes = Array.from({ length: 12 }, (_, e) => ({
      support: [0, 1, 2].map((label) => ({ label, item: (e * 3 + label) * 20 })),
      query: [0, 1, 2].flatMap((label) => [
        { label, item: (e * 3 + label) * 20 + 1 },
        { label, class: dataset.classNames[e * 3 + label], image: 2 },
      ]),
    }));
    const path = join(tempDir(), 'episodes.json');
    writeFileSync(path, JSON.stringify({ format: 'deml-episodes', version: 1, ways: 3, episodes }));
    const parsed = await readEpisodeFile(path, dataset, null);
    expect(parsed.shape).toEqual({ ways: 3, shots: 1, queries: 2 });
    const run = async (threads: number) => {
      const checkpoint = await loadCheckpoint(file);
      try {
        return await evaluateCheckpoint({
          checkpoint,
          trainedOn: dataset,
          dataset,
          settings: settingsOf(config),
          episodes: episodeFileSource(parsed, dataset, null),
          threads,
        });
      } finally {
        disposeCheckpoint(checkpoint);
      }
    };
    const first = await run(1);
    expect(first.tasks).toBe(12);
    expect(first.ways).toBe(3);
    expect((await run(1)).accuracies).toEqual(first.accuracies);
    expect((await run(2)).accuracies).toEqual(first.accuracies);
  });
});

describe('refusals', () => {
  it('another image size, naming both shapes; a split too small; a zero head without inner steps', async () => {
    const { config, file } = await trained('maml');
    const checkpoint = await loadCheckpoint(file);
    const bigger = generateSyntheticDataset({ classes: 40, imagesPerClass: 20, size: 16, seed: 4 });
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => 'no error',
        (e: unknown) => e,
      );
    const wrongSize = await refused(
      evaluateCheckpoint({ checkpoint, trainedOn: dataset, dataset: bigger, settings: settingsOf(config) }),
    );
    expect(wrongSize).toBeInstanceOf(ConfigError);
    expect((wrongSize as Error).message).toMatch(
      /Dataset: the checkpoint was trained on 12×12×1 images .* has 16×16×1 images/,
    );
    const tooMany = await refused(
      evaluateCheckpoint({
        checkpoint,
        trainedOn: dataset,
        dataset,
        settings: settingsOf(config, { ways: 9 }),
      }),
    );
    expect((tooMany as ConfigError).issues[0]).toMatchObject({ field: 'ways' });
    expect((tooMany as Error).message).toMatch(/9-way tasks need 9 classes but the test split .* has 8/);
    const noSteps = await refused(
      evaluateCheckpoint({
        checkpoint,
        trainedOn: dataset,
        dataset,
        settings: settingsOf(config, { ways: 3, innerSteps: 0 }),
      }),
    );
    expect((noSteps as ConfigError).issues[0]).toMatchObject({ field: 'innerSteps' });
    // The same request is refused before any work where the service checks it.
    const early = await refused(
      prepareEvaluation({
        trained: config,
        request: { ways: 3, innerSteps: 0 },
        checkpoints: [{ step: config.iterations, file }],
        owner: 'run 1',
        load: datasetLoader(tempDir()),
        dataDir: tempDir(),
      }),
    );
    expect((early as ConfigError).issues).toEqual((noSteps as ConfigError).issues);
    disposeCheckpoint(checkpoint);
  });

  it('a MANN at a larger N, or on an episode file: its labels are one-hot over its trained N', async () => {
    const { config, file } = await trained('mann');
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => 'no error',
        (e: unknown) => e as ConfigError,
      );
    const prepare = (request: Record<string, unknown>) =>
      refused(
        prepareEvaluation({
          trained: config,
          request,
          checkpoints: [{ step: config.iterations, file }],
          owner: 'run 1',
          load: datasetLoader(tempDir()),
          dataDir: tempDir(),
        }),
      );
    const otherN = await prepare({ ways: 6 });
    expect((otherN as ConfigError).issues[0]).toMatchObject({ field: 'ways' });
    expect((otherN as Error).message).toMatch(
      /one-hot over the 5 classes it was trained with: evaluate it at 5 ways or fewer/,
    );
    const path = join(tempDir(), 'episodes.json');
    writeFileSync(
      path,
      JSON.stringify({
        ways: 5,
        episodes: [
          {
            support: [0, 1, 2, 3, 4].map((label) => ({ label, item: label * 20 })),
            query: [0, 1, 2, 3, 4].map((label) => ({ label, item: label * 20 + 1 })),
          },
        ],
      }),
    );
    const fromFile = await prepare({ episodeFile: path });
    expect((fromFile as ConfigError).issues[0]).toMatchObject({ field: 'episodeFile' });
    expect(await evaluateFile(file, settingsOf(config, { ways: 6 })).catch((e: unknown) => e)).toBeInstanceOf(
      ConfigError,
    );
  });

  it('a MANN at a smaller N: its first labels, each presentation scored over the 3 classes', async () => {
    const { config, file } = await trained('mann');
    const before = tf.memory().numTensors;
    const three = await evaluateFile(file, settingsOf(config, { ways: 3 }));
    expect(three).toMatchObject({ ways: 3, instances: 4, tasks: config.evalTasks });
    expect(three.byInstance).toHaveLength(4);
    // A task's accuracy at the 2nd presentation is a count out of its 2 sequences × 3 classes.
    for (const a of three.accuracies) expect(Math.abs(a * 6 - Math.round(a * 6))).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });
});
