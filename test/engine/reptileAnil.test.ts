/**
 * The two learners added through the registry: Reptile's meta-update is θ ← θ + ε(θ̃ − θ), and
 * with one inner step it is a scaled first-order step on the support loss; ANIL adapts only the
 * head, and its second-order meta-gradient matches finite differences.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Rng,
  adamStep,
  buildModel,
  conv4,
  conv4Embedding,
  createGradientLearner,
  createReptileLearner,
  initAdam,
  ADAM_DEFAULTS,
  linear,
  mlp,
  paramList,
  paramsFromList,
  parseExperimentConfig,
  selectBackend,
  softmaxCrossEntropy,
  tf,
  type Params,
  type TaskTensors,
} from '../../src-main/engine';
import { checkParamGradients } from '../helpers/finiteDifferences';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { smallTask } from '../helpers/tasks';

const SIZE = 8;
const WAYS = 3;
const image = { height: SIZE, width: SIZE, channels: 1 };
const model = { kind: 'conv4', filters: 4, blocks: 2, activation: 'tanh', downsample: 'stride' } as const;

const oneTask = (seed: number): TaskTensors => smallTask(seed, SIZE, WAYS);

const maxDiff = (a: Tensor, b: Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
const maxAbs = (a: Tensor) => tf.max(tf.abs(a)).dataSync()[0]!;

describe('Reptile (cpu)', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('its direction is θ − θ̃ after k plain SGD steps on the support set', () => {
    const config = parseExperimentConfig({
      learner: 'reptile',
      ways: WAYS,
      innerSteps: 3,
      innerLr: 0.3,
      model,
    });
    const built = buildModel(config, image);
    const meta = built.init(new Rng(1));
    const task = oneTask(1);
    const { grads } = built.learner.metaGradient(meta, task);
    // θ̃ by hand: three SGD steps of conv4 on the support loss.
    const names = Object.keys(meta);
    const conv = conv4(model, image, WAYS);
    let fast = meta;
    for (let k = 0; k < 3; k++) {
      const g = tf.grads((...p: Tensor[]) =>
        softmaxCrossEntropy(conv.forward(paramsFromList(names, p), task.supportImages), task.supportOneHot),
      )(paramList(fast, names));
      fast = paramsFromList(
        names,
        names.map((n, i) => tf.sub(fast[n]!, tf.mul(0.3, g[i]!))),
      );
    }
    for (const n of names) {
      expect(maxAbs(tf.sub(meta[n]!, fast[n]!))).toBeGreaterThan(0);
      expect(maxDiff(grads[n]!, tf.sub(meta[n]!, fast[n]!))).toBeLessThan(1e-6);
    }
  });

  it('the outer update is θ + ε · mean over tasks of (θ̃ − θ), not Adam’s rescaling of it', () => {
    const config = parseExperimentConfig({
      learner: 'reptile',
      ways: WAYS,
      innerSteps: 2,
      model,
      reptile: { stepSize: 0.25 },
    });
    const built = buildModel(config, image);
    const meta = built.init(new Rng(2));
    const before = Object.fromEntries(Object.entries(meta).map(([n, t]) => [n, tf.clone(t)]));
    const tasks = [oneTask(3), oneTask(4)];
    const directions = tasks.map((t) => built.learner.metaGradient(meta, t).grads);
    const mean: Params = Object.fromEntries(
      Object.keys(meta).map((n) => [n, tf.div(tf.add(directions[0]![n]!, directions[1]![n]!), 2)]),
    );
    const { params } = adamStep(meta, mean, initAdam(meta), {
      ...ADAM_DEFAULTS,
      learningRate: built.learningRate,
      plainStep: built.plainStep,
    });
    for (const n of Object.keys(before)) {
      // θ̃_i − θ = −direction_i
      const expected = tf.add(before[n]!, tf.mul(0.25, tf.neg(mean[n]!)));
      expect(maxDiff(params[n]!, expected)).toBeLessThan(1e-6);
    }
  });

  it('with one inner step on one task it is α times the first-order MAML step on the support loss', () => {
    const network = mlp(16, [8], WAYS, 'tanh');
    const task = oneTask(5);
    const flat = (t: TaskTensors): TaskTensors => ({
      ...t,
      supportImages: tf
        .reshape(t.supportImages, [t.supportImages.shape[0], -1])
        .slice([0, 0], [-1, 16]) as never,
    });
    const features = flat(task);
    // The first-order MAML step on the support loss: the query is the support set, no adaptation.
    const onSupport: TaskTensors = {
      ...features,
      queryImages: features.supportImages,
      queryLabels: features.supportLabels,
      queryOneHot: features.supportOneHot,
    };
    const reptile = createReptileLearner({
      name: 'reptile',
      network,
      innerSteps: 1,
      innerLr: 0.2,
      trainEncoder: false,
    });
    const fomaml = createGradientLearner({
      name: 'fomaml',
      network,
      innerSteps: 0,
      innerLr: 0.2,
      firstOrder: true,
      learnRates: false,
    });
    const meta = reptile.initMetaParams(new Rng(6));
    const r = reptile.metaGradient(meta, onSupport).grads;
    const f = fomaml.metaGradient(meta, onSupport).grads;
    for (const n of Object.keys(meta)) {
      expect(maxAbs(f[n]!)).toBeGreaterThan(1e-4);
      expect(maxDiff(r[n]!, tf.mul(0.2, f[n]!))).toBeLessThan(1e-6);
    }
  });
});

describe('ANIL (cpu)', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  const config = parseExperimentConfig({ learner: 'anil', ways: WAYS, innerSteps: 2, innerLr: 0.5, model });

  /** ANIL's query loss after adaptation, by hand: the body once, two SGD steps of the head only. */
  function handLoss(p: Params, task: TaskTensors, steps: number): Tensor {
    const body = conv4Embedding(model, image);
    const support = body.forward(p, task.supportImages) as Tensor2D;
    const query = body.forward(p, task.queryImages) as Tensor2D;
    let w = p['head.fc1.weight']!;
    let b = p['head.fc1.bias']!;
    for (let k = 0; k < steps; k++) {
      const [gw, gb] = tf.grads((W: Tensor, B: Tensor) =>
        softmaxCrossEntropy(linear(support, W as Tensor2D, B), task.supportOneHot),
      )([w, b]);
      w = tf.sub(w, tf.mul(0.5, gw!));
      b = tf.sub(b, tf.mul(0.5, gb!));
    }
    return softmaxCrossEntropy(linear(query, w as Tensor2D, b), task.queryOneHot);
  }

  it('the inner loop adapts the head alone: no inner gradient reaches the body', () => {
    const built = buildModel(config, image);
    const meta = built.init(new Rng(7));
    const task = oneTask(7);
    // Were the body adapted too, the query's features would move and the loss would differ.
    const anil = built.learner.evaluate(meta, task, 2).loss.dataSync()[0]!;
    expect(anil).toBeCloseTo(handLoss(meta, task, 2).dataSync()[0]!, 5);
    expect(Math.abs(anil - handLoss(meta, task, 0).dataSync()[0]!)).toBeGreaterThan(1e-3);
    // The meta-gradient reaches every parameter, the body's through the head's adaptation.
    const { grads } = built.learner.metaGradient(meta, task);
    expect(Object.keys(grads).sort()).toEqual(Object.keys(meta).sort());
    for (const n of Object.keys(meta)) expect(maxAbs(grads[n]!), n).toBeGreaterThan(0);
  });

  it('its second-order meta-gradient matches central finite differences', () => {
    const built = buildModel(config, image);
    const meta = built.init(new Rng(9));
    const task = oneTask(9);
    const { grads } = built.learner.metaGradient(meta, task);
    const checks = checkParamGradients((p) => handLoss(p, task, 2), meta, grads, { eps: 1e-2, seed: 9 });
    for (const c of checks) expect(c.relativeError, c.name).toBeLessThan(2e-2);
  });
});
