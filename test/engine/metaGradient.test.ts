/**
 * The second-order meta-gradient of MAML and Meta-SGD equals the derivative of the query loss
 * after adaptation, checked against central finite differences on a smooth conv network (tanh)
 * with batch norm and pooling, for every parameter tensor: on cpu (tfjs ops) and on wasm (the
 * native kernels, batch norm's second derivative included).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Rng,
  conv4,
  createGradientLearner,
  installGradients,
  paramList,
  paramsFromList,
  selectBackend,
  softmaxCrossEntropy,
  tf,
  type Learner,
  type Network,
  type Params,
  type TaskTensors,
} from '../../src-main/engine';
import { checkParamGradients } from '../helpers/finiteDifferences';
import type { Tensor } from '@tensorflow/tfjs';
import { smallTask } from '../helpers/tasks';

const SIZE = 8;
const WAYS = 3;

function smoothNetwork(downsample: 'maxpool' | 'stride'): Network {
  return conv4(
    { kind: 'conv4', filters: 4, blocks: 2, activation: 'tanh', downsample },
    { height: SIZE, width: SIZE, channels: 1 },
    WAYS,
  );
}

const oneTask = (seed: number): TaskTensors => smallTask(seed, SIZE, WAYS);

function flatNorm(p: Params, names: string[]): number {
  return Math.sqrt(names.reduce((s, n) => s + tf.sum(tf.square(p[n]!)).dataSync()[0]!, 0));
}

/**
 * Max-pool makes the loss piecewise smooth: a step of ε can move a window's arg-max, and the
 * difference quotient then straddles a kink. A small ε keeps every window's arg-max fixed here
 * (float32 round-off at 5e-4 stays far below the tolerance); stride-2 nets are smooth everywhere.
 */
const EPS = { maxpool: 5e-4, stride: 1e-2 } as const;

function checkLearner(learner: Learner, innerSteps: number, seed: number, eps: number) {
  const meta = learner.initMetaParams(new Rng(seed));
  const task = oneTask(seed);
  const { grads } = learner.metaGradient(meta, task);
  // The loss after adaptation, computed with first-order gradients only (which tfjs gets right).
  const loss = (p: Params): Tensor => learner.evaluate(p, task, innerSteps).loss;
  return { meta, task, grads, checks: checkParamGradients(loss, meta, grads, { eps, seed }) };
}

/** Second-order MAML and Meta-SGD against finite differences, for each downsampling. */
function secondOrderChecks(): void {
  for (const downsample of ['maxpool', 'stride'] as const) {
    it(`second-order MAML, 2 inner steps, ${downsample}`, () => {
      const network = smoothNetwork(downsample);
      const learner = createGradientLearner({
        name: 'maml',
        network,
        innerSteps: 2,
        innerLr: 0.5,
        firstOrder: false,
        learnRates: false,
      });
      const { checks } = checkLearner(learner, 2, 3, EPS[downsample]);
      expect(checks.map((c) => c.name)).toEqual(network.specs.map((s) => s.name));
      for (const c of checks) {
        expect(Math.abs(c.analytic), c.name).toBeGreaterThan(1e-4);
        expect(c.relativeError, `${c.name}: analytic ${c.analytic} vs numeric ${c.numeric}`).toBeLessThan(
          2e-2,
        );
      }
    });

    it(`Meta-SGD (θ and per-parameter rates), ${downsample}`, () => {
      const network = smoothNetwork(downsample);
      const learner = createGradientLearner({
        name: 'metasgd',
        network,
        innerSteps: 1,
        innerLr: 0.4,
        firstOrder: false,
        learnRates: true,
        rateInit: [0.2, 0.6],
      });
      const { checks } = checkLearner(learner, 1, 5, EPS[downsample]);
      expect(checks).toHaveLength(2 * network.specs.length);
      for (const c of checks) {
        expect(c.relativeError, `${c.name}: analytic ${c.analytic} vs numeric ${c.numeric}`).toBeLessThan(
          2e-2,
        );
      }
    });
  }
}

describe('meta-gradients match finite differences (cpu backend, float32)', () => {
  beforeAll(async () => {
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
    installGradients();
  });

  secondOrderChecks();

  it('first-order MAML is the gradient at the adapted parameters, and differs from the exact one', () => {
    const network = smoothNetwork('maxpool');
    const names = network.specs.map((s) => s.name);
    const options = { network, innerSteps: 2, innerLr: 0.5, learnRates: false } as const;
    const fo = createGradientLearner({ ...options, name: 'fomaml', firstOrder: true });
    const so = createGradientLearner({ ...options, name: 'maml', firstOrder: false });
    const meta = fo.initMetaParams(new Rng(3));
    const task = oneTask(3);
    const foGrads = fo.metaGradient(meta, task).grads;
    const soGrads = so.metaGradient(meta, task).grads;

    // Independent reference: adapt by hand, then the plain gradient of the query loss there.
    let fast = meta;
    for (let k = 0; k < 2; k++) {
      const g = tf.grads((...p: Tensor[]) =>
        softmaxCrossEntropy(
          network.forward(paramsFromList(names, p), task.supportImages),
          task.supportOneHot,
        ),
      )(paramList(fast, names));
      fast = paramsFromList(
        names,
        names.map((n, i) => tf.sub(fast[n]!, tf.mul(0.5, g[i]!))),
      );
    }
    const reference = tf.grads((...p: Tensor[]) =>
      softmaxCrossEntropy(network.forward(paramsFromList(names, p), task.queryImages), task.queryOneHot),
    )(paramList(fast, names));
    names.forEach((n, i) => {
      expect(tf.max(tf.abs(tf.sub(foGrads[n]!, reference[i]!))).dataSync()[0], n).toBeLessThan(1e-5);
    });

    const diff: Params = {};
    for (const n of names) diff[n] = tf.sub(foGrads[n]!, soGrads[n]!);
    // Dropping the second-order terms changes the meta-gradient materially on this network...
    expect(flatNorm(diff, names) / flatNorm(soGrads, names)).toBeGreaterThan(0.05);
    // ...and the exact one is the one finite differences agree with (checked above).
  });

  it('first-order Meta-SGD rates get −(Σ inner gradients) ∘ ∇L_query(θ′)', () => {
    const network = smoothNetwork('maxpool');
    const learner = createGradientLearner({
      name: 'metasgd-fo',
      network,
      innerSteps: 1,
      innerLr: 0.4,
      firstOrder: true,
      learnRates: true,
      rateInit: [0.2, 0.6],
    });
    const meta = learner.initMetaParams(new Rng(9));
    const task = oneTask(9);
    const { grads } = learner.metaGradient(meta, task);
    // With one step, θ′ = θ − α∘g is linear in α, so the first-order rate gradient is exact:
    // finite differences along the rates must agree.
    const rateNames = Object.keys(meta).filter((n) => n.startsWith('lr:'));
    const rates: Params = {};
    const rateGrads: Params = {};
    for (const n of rateNames) {
      rates[n] = meta[n]!;
      rateGrads[n] = grads[n]!;
    }
    const loss = (p: Params): Tensor => learner.evaluate({ ...meta, ...p }, task, 1).loss;
    for (const c of checkParamGradients(loss, rates, rateGrads, { eps: EPS.maxpool, seed: 9 })) {
      expect(c.relativeError, c.name).toBeLessThan(2e-2);
    }
  });
});

// On wasm the batch norms run the native kernels, the support set's through their second
// derivative (autodiff/batchNorm.ts: the backward kernel's gradient is a kernel too).
describe('second-order meta-gradients match finite differences (wasm backend, float32)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  secondOrderChecks();
});
