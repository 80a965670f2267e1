/**
 * Deep meta-learning in the concept space: gradient routing between G, D and M, learning with
 * every learner, checkpoints that restore identical predictions, and refused configs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import {
  type ConfigError,
  ExternalSampler,
  Rng,
  buildModel,
  evaluate,
  listCheckpoints,
  loadCheckpoint,
  metaTrain,
  parseExperimentConfig,
  selectBackend,
  splitClasses,
  taskTensors,
  tf,
  validateAgainstDataset,
  type ExperimentConfigInput,
  type Params,
} from '../../src-main/engine';
import { taskStream } from '../../src-main/engine/taskStream';
import { tempDirs } from '../helpers/temp';

const dataset = generateSyntheticDataset({ classes: 30, imagesPerClass: 10, size: 12, seed: 1 });
const external = generateSyntheticDataset({ classes: 12, imagesPerClass: 12, size: 12, seed: 99 });
const tiny: ExperimentConfigInput = {
  space: 'concept',
  ways: 3,
  shots: 1,
  queries: 3,
  metaBatch: 2,
  iterations: 1,
  evalTasks: 6,
  valEvery: 0,
  checkpointEvery: 0,
  concept: { generator: { stages: [1, 1], width: 4, conceptSize: 8 }, head: [8], externalBatch: 12 },
};

const temp = tempDirs('deml-concept');

const scalar = (t: tf.Tensor) => t.dataSync()[0]!;
const norm = (t: tf.Tensor) => scalar(tf.norm(t));

describe('gradient routing (cpu)', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  for (const learner of ['maml', 'metasgd', 'protonet', 'siamese', 'mann'] as const) {
    it(`${learner}: D gets nothing from the meta loss, M nothing from the discrimination loss, G both`, () => {
      const config = parseExperimentConfig({
        ...tiny,
        learner,
        mann: { instances: 3, memorySlots: 9, slotSize: 4, readHeads: 1, controllerSize: 8, batch: 2 },
      });
      const model = buildModel(config, dataset, external);
      const meta = model.init(new Rng(3));
      const split = splitClasses(dataset, config.split, 0);
      // The learner's own kind of task: a Siamese network's with its pairs, a MANN's sequences.
      const task = taskTensors(
        taskStream(dataset, split.train, config, new Rng(4), { pairs: true }).next(),
        [12, 12, 1],
      );
      const batch = new ExternalSampler(external, new Rng(5)).next(12);
      const names = Object.keys(meta);
      const isG = (n: string) => n.startsWith('G.');
      const isD = (n: string) => n.startsWith('D.');
      const isM = (n: string) => !isG(n) && !isD(n);

      const metaGrads = model.learner.metaGradient(meta, task).grads;
      const discGrads = model.discriminator!.gradient(meta, batch, 1, true).grads;
      // Analytically: the meta-gradient has no D entry, the discrimination gradient no M entry.
      expect(Object.keys(metaGrads).filter(isD)).toEqual([]);
      expect(Object.keys(discGrads).filter(isM)).toEqual([]);
      for (const n of names.filter(isG)) {
        expect(norm(metaGrads[n]!), `meta → ${n}`).toBeGreaterThan(0);
        expect(norm(discGrads[n]!), `disc → ${n}`).toBeGreaterThan(0);
      }

      // Numerically: moving D leaves the meta loss exactly unchanged; moving M leaves the
      // discrimination loss exactly unchanged; moving G changes both.
      const steps = model.learner.adaptsAtTestTime ? config.innerSteps : 0;
      const metaLoss = (p: Params) => scalar(model.learner.evaluate(p, task, steps).loss);
      const discLoss = (p: Params) => scalar(model.discriminator!.gradient(p, batch, 1, false).loss);
      const shifted = (pick: (n: string) => boolean) => {
        const p: Params = { ...meta };
        for (const n of names.filter(pick))
          p[n] = tf.add(meta[n]!, tf.mul(0.05, tf.randomNormal(meta[n]!.shape, 0, 1, 'float32', 8)));
        return p;
      };
      expect(metaLoss(shifted(isD))).toBe(metaLoss(meta));
      expect(discLoss(shifted(isM))).toBe(discLoss(meta));
      const g = shifted(isG);
      expect(metaLoss(g)).not.toBe(metaLoss(meta));
      expect(discLoss(g)).not.toBe(discLoss(meta));
    });
  }

  it('in training, λ moves G and D but leaves M’s update exactly as without it', async () => {
    const params = async (lambda: number) => {
      const dir = temp();
      await metaTrain({
        config: parseExperimentConfig({ ...tiny, learner: 'maml', concept: { ...tiny.concept, lambda } }),
        dataset,
        external,
        checkpointDir: dir,
        skipTest: true,
      });
      return (await loadCheckpoint((await listCheckpoints(dir)).at(-1)!)).meta;
    };
    const initial = buildModel(parseExperimentConfig({ ...tiny, learner: 'maml' }), dataset, external).init(
      Rng.derive(0, 'init'),
    );
    const without = await params(0);
    const withD = await params(2);
    const same = (a: tf.Tensor, b: tf.Tensor) => scalar(tf.max(tf.abs(tf.sub(a, b)))) === 0;
    for (const n of Object.keys(initial)) {
      if (n.startsWith('M.')) expect(same(without[n]!, withD[n]!), n).toBe(true);
      if (n.startsWith('G.')) expect(same(without[n]!, withD[n]!), n).toBe(false);
      if (n.startsWith('D.')) {
        expect(same(without[n]!, initial[n]!), `${n} without λ`).toBe(true);
        expect(same(withD[n]!, initial[n]!), `${n} with λ`).toBe(false);
      }
    }
  });

  it('a frozen generator stays exactly as pretrained while M learns', async () => {
    const dir = temp();
    const config = parseExperimentConfig({
      ...tiny,
      learner: 'maml',
      iterations: 2,
      checkpointEvery: 1,
      concept: { ...tiny.concept, generatorMode: 'frozen', pretrainIterations: 3 },
    });
    const pretrain: number[] = [];
    await metaTrain({
      config,
      dataset,
      external,
      checkpointDir: dir,
      skipTest: true,
      callbacks: { onPretrain: (p) => void pretrain.push(p.iteration) },
    });
    expect(pretrain).toEqual([1, 2, 3]);
    const [a, b] = await Promise.all((await listCheckpoints(dir)).map((p) => loadCheckpoint(p)));
    const initial = buildModel(config, dataset, external).init(Rng.derive(0, 'init'));
    for (const n of Object.keys(a!.meta)) {
      const diff = scalar(tf.max(tf.abs(tf.sub(a!.meta[n]!, b!.meta[n]!))));
      if (n.startsWith('G.')) {
        expect(diff, n).toBe(0); // frozen between meta-iterations 1 and 2…
        expect(scalar(tf.max(tf.abs(tf.sub(a!.meta[n]!, initial[n]!)))), n).toBeGreaterThan(0); // …after pretraining moved it
      }
      if (n.startsWith('M.')) expect(diff, n).toBeGreaterThan(0);
    }
  });
});

describe('learning in the concept space (wasm)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  const data = generateSyntheticDataset({ classes: 40, imagesPerClass: 10, size: 16, seed: 1 });
  const ext = generateSyntheticDataset({ classes: 20, imagesPerClass: 20, size: 16, seed: 77 });

  for (const learner of [
    'maml',
    'metasgd',
    'protonet',
    'matchingnet',
    'siamese',
    'anil',
    'reptile',
  ] as const) {
    it(`${learner} learns far above chance (5-way 1-shot, chance 20%)`, async () => {
      const config = parseExperimentConfig({
        learner,
        space: 'concept',
        ways: 5,
        shots: 1,
        queries: 5,
        metaBatch: 2,
        iterations: 40,
        evalTasks: 50,
        valEvery: 0,
        metaLr: 0.003,
        concept: { generator: { stages: [1, 1], width: 8, conceptSize: 32 }, head: [32], externalBatch: 32 },
      });
      const r = await metaTrain({ config, dataset: data, external: ext });
      expect(r.test!.mean).toBeGreaterThanOrEqual(0.4);
    });
  }
});

describe('checkpoints and configs in the concept space (cpu)', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('a checkpoint round trip restores identical predictions (G, D and M)', async () => {
    const dir = temp();
    const config = parseExperimentConfig({ ...tiny, learner: 'metasgd', iterations: 2 });
    const trained = await metaTrain({ config, dataset, external, checkpointDir: dir });
    const ckpt = await loadCheckpoint((await listCheckpoints(dir)).at(-1)!);
    const model = buildModel(config, dataset, external);
    expect(Object.keys(ckpt.meta).sort()).toEqual(model.specs.map((s) => s.name).sort());
    const again = await evaluate({
      learner: model.learner,
      meta: ckpt.meta,
      dataset,
      classIds: splitClasses(dataset, config.split, config.evalSeed).test,
      split: 'test',
      shape: config,
      tasks: config.evalTasks,
      innerSteps: config.testInnerSteps,
      episodeSeed: config.evalSeed,
    });
    expect(again.accuracies).toEqual(trained.test!.accuracies);
    expect(again.meanLoss).toBe(trained.test!.meanLoss);
  });

  it('refuses a concept size that differs from the checkpoint it resumes', async () => {
    const dir = temp();
    await metaTrain({
      config: parseExperimentConfig({ ...tiny, learner: 'maml' }),
      dataset,
      external,
      checkpointDir: dir,
      skipTest: true,
    });
    const bigger = parseExperimentConfig({
      ...tiny,
      learner: 'maml',
      iterations: 2,
      concept: { ...tiny.concept, generator: { stages: [1, 1], width: 4, conceptSize: 16 } },
    });
    await expect(
      metaTrain({ config: bigger, dataset, external, checkpointDir: dir, resume: true }),
    ).rejects.toThrow(
      /concept size mismatch: the checkpoint's generator makes 8-d concepts, this config 16-d/,
    );
  });

  it('refuses λ < 0, a frozen generator without pretraining, and bad external datasets', () => {
    expect(() => parseExperimentConfig({ ...tiny, concept: { lambda: -1 } })).toThrow(
      /^Discrimination weight λ: must be at least 0$/,
    );
    expect(() => parseExperimentConfig({ ...tiny, concept: { generatorMode: 'frozen' } })).toThrow(
      /Pretraining iterations: a frozen generator needs some pretraining/,
    );
    const config = parseExperimentConfig({ ...tiny, learner: 'maml' });
    const fields = (ext: Parameters<typeof validateAgainstDataset>[2]) => {
      try {
        validateAgainstDataset(config, dataset, ext);
        return [];
      } catch (e) {
        return (e as ConfigError).issues.map((i) => `${i.field}: ${i.message}`);
      }
    };
    expect(fields(null)).toEqual([
      expect.stringMatching(/concept\.external: the external dataset 'glyphs-external' .* is missing/),
    ]);
    expect(fields(dataset)).toEqual([
      expect.stringMatching(
        /concept\.external: the external dataset shares \d+ class\(es\) with the meta-test split/,
      ),
    ]);
    const wrongSize = generateSyntheticDataset({ classes: 12, imagesPerClass: 12, size: 16, seed: 99 });
    expect(fields(wrongSize)).toEqual([
      expect.stringMatching(/concept\.external: external images are 16×16×1 but the episodes' are 12×12×1/),
    ]);
  });
});
