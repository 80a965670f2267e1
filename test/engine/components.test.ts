/** Episodes, statistics, Adam and the MLP head, each against hand-computed expectations. */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EpisodeSampler,
  Rng,
  adamStep,
  classCount,
  createGradientLearner,
  initAdam,
  installGradients,
  mlp,
  splitClasses,
  formatAccuracy,
  summarizeAccuracies,
  taskTensors,
  tf,
  type Params,
} from '../../src-main/engine';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import { checkParamGradients } from '../helpers/finiteDifferences';
import type { Tensor } from '@tensorflow/tfjs';

const dataset = generateSyntheticDataset({ classes: 30, imagesPerClass: 6, size: 8, seed: 4 });

describe('class splits and episodes', () => {
  it('splits classes disjointly, by the fractions, the same way for the same seed', () => {
    const s = splitClasses(dataset, { train: 0.6, val: 0.2, test: 0.2 }, 0);
    expect([s.train.length, s.val.length, s.test.length]).toEqual([18, 6, 6]);
    const all = [...s.train, ...s.val, ...s.test];
    expect(new Set(all).size).toBe(classCount(dataset));
    expect(splitClasses(dataset, { train: 0.6, val: 0.2, test: 0.2 }, 0)).toEqual(s);
    expect(splitClasses(dataset, { train: 0.6, val: 0.2, test: 0.2 }, 1).test).not.toEqual(s.test);
  });

  it('keeps a class and its augmented copies in one split (rotations never leak into meta-train)', () => {
    // 30 characters, each with its three rotations: 120 classes, 4 per underlying character.
    const chars = Array.from({ length: 30 }, (_, i) => `Alphabet/character${i}`);
    const names = chars.flatMap((c) => [c, `${c}@rot90`, `${c}@rot180`, `${c}@rot270`]);
    const images = new Uint32Array(names.length + 1).map((_, i) => i);
    const rotated = {
      ...dataset,
      classNames: names,
      classStart: images,
      pixels: new Uint8Array(names.length * 64),
    };
    for (const d of [
      rotated, // an import from before bases were stored: the names say it
      {
        ...rotated,
        classNames: names.map((_, i) => `class${i}`),
        classBases: names.map((n) => n.split('@')[0]!),
      },
    ]) {
      const s = splitClasses(d, { train: 0.6, val: 0.2, test: 0.2 }, 0);
      const splitOf = new Map<string, string>();
      for (const [split, ids] of Object.entries(s)) {
        for (const c of ids as number[]) {
          const base = chars[Math.floor(c / 4)]!;
          expect(splitOf.get(base) ?? split, base).toBe(split);
          splitOf.set(base, split);
        }
      }
      // The fractions count characters: 18 / 6 / 6 of them, 4 classes each.
      expect([s.train.length, s.val.length, s.test.length]).toEqual([72, 24, 24]);
    }
  });

  it('uses a split the dataset defines', () => {
    const own = { ...dataset, splits: { train: [0, 1, 2, 3], test: [4, 5, 6] } };
    expect(splitClasses(own, { train: 0.6, val: 0.2, test: 0.2 }, 0)).toEqual({
      train: [0, 1, 2, 3],
      val: [],
      test: [4, 5, 6],
    });
  });

  it('draws N classes from the split, K + Q distinct images each, labels 0..N−1 in random order', () => {
    const split = [3, 7, 9, 12, 20, 21];
    const sampler = new EpisodeSampler(dataset, split, { ways: 4, shots: 2, queries: 3 }, new Rng(1));
    const e = sampler.next();
    expect(e.classes).toHaveLength(4);
    expect(new Set(e.classes).size).toBe(4);
    for (const c of e.classes) expect(split).toContain(c);
    expect([...e.supportLabels]).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect([...e.queryLabels]).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(e.supportImages).toHaveLength(8 * 64);
    expect(e.queryImages).toHaveLength(12 * 64);
    expect(Math.max(...e.queryImages)).toBeLessThanOrEqual(1);
    // Support and query images of a class are different images of that class.
    const image = (arr: Float32Array, i: number) => arr.slice(i * 64, (i + 1) * 64).join();
    const support0 = [image(e.supportImages, 0), image(e.supportImages, 1)];
    for (let q = 0; q < 3; q++) expect(support0).not.toContain(image(e.queryImages, q));
    // Same seed, same episodes; the label order varies across episodes.
    const again = new EpisodeSampler(dataset, split, { ways: 4, shots: 2, queries: 3 }, new Rng(1)).next();
    expect(again.classes).toEqual(e.classes);
    const orders = new Set(Array.from({ length: 20 }, () => sampler.next().classes.join()));
    expect(orders.size).toBeGreaterThan(10);
  });

  it('refuses episodes the split cannot supply', () => {
    expect(() => new EpisodeSampler(dataset, [1, 2], { ways: 3, shots: 1, queries: 1 }, new Rng(0))).toThrow(
      /3 classes/,
    );
    expect(
      () => new EpisodeSampler(dataset, [1, 2, 3], { ways: 3, shots: 3, queries: 4 }, new Rng(0)),
    ).toThrow(/6 images/);
  });
});

describe('accuracy summary', () => {
  it('mean ± t·s/√T against hand-computed values, Student’s t for few tasks', () => {
    const s = summarizeAccuracies([0.6, 0.8, 1.0, 0.8]);
    // mean 0.8; sample variance (0.04 + 0 + 0.04 + 0) / 3; s = 0.163299; CI = t(3)·s/2, t(3) = 3.182
    expect(s.mean).toBeCloseTo(0.8, 12);
    expect(s.std).toBeCloseTo(0.163299316185545, 12);
    expect(s.ci95).toBeCloseTo((3.182 * 0.163299316185545) / 2, 12);
    expect(s.tasks).toBe(4);
    expect(summarizeAccuracies([0.5]).ci95).toBeNaN();
    expect(formatAccuracy(summarizeAccuracies([0.5]))).toBe('50.00% (no interval from 1 task)');
    expect(formatAccuracy(s)).toBe('80.00 ± 25.98%');
    // Lake's 20 one-shot runs: t(19) = 2.093, not 1.96.
    const twenty = Array.from({ length: 20 }, (_, i) => (i % 2 ? 0.9 : 0.8));
    const s20 = summarizeAccuracies(twenty);
    expect(s20.ci95).toBeCloseTo((2.093 * s20.std) / Math.sqrt(20), 12);
    // 600 tasks: t(599) = 1.9639.
    const s600 = summarizeAccuracies(Array.from({ length: 600 }, (_, i) => (i % 2 ? 0.9 : 0.8)));
    expect(s600.ci95 / (s600.std / Math.sqrt(600))).toBeCloseTo(1.9639, 4);
  });
});

describe('Adam', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('matches the textbook update for two steps', () => {
    const params: Params = { w: tf.tensor1d([1, -2]) };
    let state = initAdam(params);
    let p = params;
    const lr = 0.1;
    let m = [0, 0];
    let v = [0, 0];
    let w = [1, -2];
    for (let t = 1; t <= 2; t++) {
      const g = [0.5 * t, -3];
      const next = adamStep(p, { w: tf.tensor1d(g) }, state, {
        learningRate: lr,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
      });
      p = next.params;
      state = next.state;
      m = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]!);
      v = v.map((vi, i) => 0.999 * vi + 0.001 * g[i]! ** 2);
      w = w.map(
        (wi, i) => wi - (lr * (m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8),
      );
    }
    const got = p.w!.dataSync();
    expect(got[0]).toBeCloseTo(w[0]!, 5);
    expect(got[1]).toBeCloseTo(w[1]!, 5);
    expect(state.step).toBe(2);
  });
});

describe('MLP head under MAML', () => {
  beforeAll(async () => {
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
    installGradients();
  });

  it('flattens images, and its second-order meta-gradient matches finite differences', () => {
    const network = mlp(64, [16, 8], 3, 'tanh');
    expect(network.description).toBe('mlp 64 → 16 → 8 → 3 (tanh)');
    const learner = createGradientLearner({
      name: 'maml',
      network,
      innerSteps: 2,
      innerLr: 0.5,
      firstOrder: false,
      learnRates: false,
    });
    const meta = learner.initMetaParams(new Rng(2));
    const sampler = new EpisodeSampler(
      dataset,
      [0, 1, 2, 3, 4],
      { ways: 3, shots: 1, queries: 2 },
      new Rng(2),
    );
    const task = taskTensors(sampler.next(), [8, 8, 1]);
    expect(network.forward(meta, task.queryImages).shape).toEqual([6, 3]);
    const { grads } = learner.metaGradient(meta, task);
    const loss = (p: Params): Tensor => learner.evaluate(p, task, 2).loss;
    for (const c of checkParamGradients(loss, meta, grads, { eps: 1e-2, seed: 2 })) {
      expect(c.relativeError, c.name).toBeLessThan(2e-2);
    }
  });
});
