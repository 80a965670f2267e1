/**
 * Fused batch norm (autodiff/batchNorm.ts, native/batchNorm.c): the kernels match their
 * definition (the backward kernel's gradient: central differences of the float64 backward pass)
 * and write nothing else; the op matches its composition of tfjs ops, values, gradients and
 * second derivatives; it runs the kernels exactly where no third derivative can be taken through
 * it; and the learners' meta-gradients are those of the composed ops.
 */
import { describe, expect, it } from 'vitest';
import {
  EpisodeSampler,
  Rng,
  conv4,
  createGradientLearner,
  selectBackend,
  taskTensors,
  tf,
  type Params,
} from '../../src-main/engine';
import { BATCH_NORM_EPSILON, batchNorm, batchNormComposed } from '../../src-main/engine/autodiff/batchNorm';
import { instantiateNativeKernels } from '../../src-main/engine/autodiff/nativeKernels';
import {
  batchNormKernelsRun,
  batchNormReference,
  expectFusedMatchesComposed,
  expectNanInItsChannelOnly,
  heapLayout,
  randomBatchNormInputs,
  relativeMaxError,
  squaredGradient,
  valuesAndGrads,
} from '../helpers/batchNorm';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';

/**
 * The gradient of L = Σ a·dx + Σ bg·dγ + Σ bb·dβ (the backward pass's outputs, float64, its
 * statistics recomputed from x) w.r.t. x, γ and dy, by central differences: what the third
 * kernel must compute, found without its derivation. `every` thins the x elements checked.
 */
function backwardGradientByDifferences(
  x: Float32Array,
  dy: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  a: Float32Array,
  bg: Float32Array,
  bb: Float32Array,
  c: number,
  relu: boolean,
  every: number,
) {
  const loss = (xs: ArrayLike<number>, gs: ArrayLike<number>, dys: ArrayLike<number>) => {
    const { dx, dgamma, dbeta } = batchNormReference(xs, dys, gs, beta, c, relu);
    let l = 0;
    for (let k = 0; k < dx.length; k++) l += a[k]! * dx[k]!;
    for (let k = 0; k < c; k++) l += bg[k]! * dgamma[k]! + bb[k]! * dbeta[k]!;
    return l;
  };
  const h = 1e-5;
  const partial = (v: Float64Array, k: number, f: () => number) => {
    const at = v[k]!;
    v[k] = at + h;
    const up = f();
    v[k] = at - h;
    const down = f();
    v[k] = at;
    return (up - down) / (2 * h);
  };
  const x64 = Float64Array.from(x);
  const g64 = Float64Array.from(gamma);
  const dy64 = Float64Array.from(dy);
  const f = () => loss(x64, g64, dy64);
  const gx = new Map<number, number>();
  const gdy = new Map<number, number>();
  for (let k = 0; k < x.length; k += every) {
    gx.set(k, partial(x64, k, f));
    gdy.set(k, partial(dy64, k, f));
  }
  const ggamma = Float64Array.from(g64, (_, k) => partial(g64, k, f));
  return { gx, ggamma, gdy };
}

const CASES_OP: Array<[[number, number, number, number], boolean]> = [
  [[5, 6, 6, 8], false],
  [[5, 6, 6, 8], true],
  [[3, 9, 7, 4], true],
  [[75, 7, 7, 64], true],
];

/**
 * The gradients w.r.t. x, γ and β of an outer loss through batchNorm's inner gradients, as
 * second-order MAML takes them: the inner loss Σ w·bn(x)² (so its dy depends on x, γ and β too),
 * the outer Σ v·dx + Σ u·(dγ + dβ) + Σ w·bn(x).
 */
function secondDerivatives(
  bn: typeof batchNormComposed,
  shape: [number, number, number, number],
  relu: boolean,
  seed: number,
): Float32Array[] {
  return tf.tidy(() => {
    const c = shape[3];
    const { x, gamma, beta } = randomBatchNormInputs(shape, seed);
    const w = tf.randomNormal(shape, 0, 1, 'float32', seed + 3);
    const v = tf.randomNormal(shape, 0, 1, 'float32', seed + 4);
    const u = tf.randomNormal([c], 0, 1, 'float32', seed + 5);
    const inner = (a: Tensor, g: Tensor, b: Tensor) =>
      tf.sum(tf.mul(tf.square(bn(a as Tensor4D, g, b, relu)), w));
    const grads = tf.grads((a: Tensor, g: Tensor, b: Tensor) => {
      const [dx, dg, db] = tf.grads(inner)([a, g, b]);
      return tf.addN([
        tf.sum(tf.mul(dx!, v)),
        tf.sum(tf.mul(tf.add(dg!, db!), u)),
        tf.sum(tf.mul(bn(a as Tensor4D, g, b, relu), w)),
      ]);
    })([x, gamma, beta]);
    return grads.map((t) => t.dataSync() as Float32Array);
  });
}

describe('fused batch norm', () => {
  it('the native kernels match the definition and write nothing outside their outputs', () => {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const kernels = instantiateNativeKernels(memory)!;
    const heap = new Float32Array(memory.buffer);
    const rng = new Rng(21);
    // Rows below, at and across the 64-row block (with a partial last block); 4 to 20 channels.
    for (const [rows, c] of [
      [1, 4],
      [64, 8],
      [154, 12],
      [300, 20],
    ] as const) {
      for (const relu of [false, true]) {
        const size = rows * c;
        const {
          at,
          view,
          bytes: b,
          changedOutside,
        } = heapLayout(heap, {
          x: size,
          dy: size,
          gamma: c,
          beta: c,
          y: size,
          mean: c,
          rstd: c,
          dx: size,
          dgamma: c,
          dbeta: c,
          a: size,
          bg: c,
          bb: c,
          gx: size,
          ggamma: c,
          gdy: size,
          scratch: 11 * c,
        });
        // Offset and spread channels, so a wrong centring or scale shows.
        for (let k = 0; k < size; k++) heap[at.x + k] = 3 + (1 + (k % c)) * rng.normal();
        for (let k = 0; k < size; k++) heap[at.dy + k] = rng.normal();
        for (let k = 0; k < c; k++) heap[at.gamma + k] = 0.5 + rng.next();
        for (let k = 0; k < c; k++) heap[at.beta + k] = rng.normal();
        for (let k = 0; k < size; k++) heap[at.a + k] = rng.normal();
        for (let k = 0; k < c; k++) heap[at.bg + k] = rng.normal();
        for (let k = 0; k < c; k++) heap[at.bb + k] = rng.normal();
        const before = heap.slice();
        kernels.batchNormForward(
          b('x'),
          b('gamma'),
          b('beta'),
          b('y'),
          b('mean'),
          b('rstd'),
          b('scratch'),
          rows,
          c,
          relu ? 1 : 0,
          BATCH_NORM_EPSILON,
        );
        kernels.batchNormBackward(
          b('x'),
          b('dy'),
          b('gamma'),
          b('beta'),
          b('mean'),
          b('rstd'),
          b('dx'),
          b('dgamma'),
          b('dbeta'),
          b('scratch'),
          rows,
          c,
          relu ? 1 : 0,
        );
        kernels.batchNormBackwardBackward(
          b('x'),
          b('dy'),
          b('gamma'),
          b('beta'),
          b('mean'),
          b('rstd'),
          b('a'),
          b('bg'),
          b('bb'),
          b('gx'),
          b('ggamma'),
          b('gdy'),
          b('scratch'),
          rows,
          c,
          relu ? 1 : 0,
        );
        const want = batchNormReference(view('x'), view('dy'), view('gamma'), view('beta'), c, relu);
        const label = `${rows}×${c}, relu ${relu}`;
        const outputs = ['y', 'mean', 'rstd', 'dx', 'dgamma', 'dbeta'] as const;
        for (const name of outputs) {
          expect(relativeMaxError(want[name], view(name)), `${name} for ${label}`).toBeLessThan(2e-5);
        }
        const every = Math.max(1, Math.ceil(size / 60));
        const second = backwardGradientByDifferences(
          view('x'),
          view('dy'),
          view('gamma'),
          view('beta'),
          view('a'),
          view('bg'),
          view('bb'),
          c,
          relu,
          every,
        );
        const sampledError = (want: Map<number, number>, got: Float32Array) =>
          relativeMaxError(
            [...want.values()],
            [...want.keys()].map((k) => got[k]!),
          );
        const errors = {
          gx: sampledError(second.gx, view('gx')),
          gdy: sampledError(second.gdy, view('gdy')),
          ggamma: relativeMaxError(second.ggamma, view('ggamma')),
        };
        for (const [name, error] of Object.entries(errors)) {
          expect(error, `${name} for ${label}`).toBeLessThan(2e-5);
        }
        // Only the outputs and the scratch may have changed, anywhere in memory.
        const changed = changedOutside(before, [...outputs, 'gx', 'ggamma', 'gdy', 'scratch']);
        expect(changed, `floats changed outside the outputs for ${label}`).toBe(0);
      }
    }
  });

  it('equals its composition of tfjs ops on wasm, values and gradients, and leaks no tensor', async () => {
    await selectBackend('wasm');
    CASES_OP.forEach(([shape, relu], i) => {
      const run = (bn: typeof batchNormComposed) => () =>
        valuesAndGrads((x, g, b) => bn(x, g, b, relu), shape, 30 + i);
      expectFusedMatchesComposed(
        ['y', 'dx', 'dgamma', 'dbeta'],
        run(batchNorm),
        run(batchNormComposed),
        `${shape}, relu ${relu}`,
      );
    });
  });

  it('equals its composition of tfjs ops on wasm in second derivatives, and leaks no tensor', async () => {
    await selectBackend('wasm');
    CASES_OP.forEach(([shape, relu], i) => {
      expectFusedMatchesComposed(
        ['x', 'gamma', 'beta'],
        () => secondDerivatives(batchNorm, shape, relu, 50 + i),
        () => secondDerivatives(batchNormComposed, shape, relu, 50 + i),
        `${shape}, relu ${relu}`,
      );
    });
  });

  it('runs the kernels where its gradient is taken once or twice, the composed ops where thrice, and falls back on odd channel counts', async () => {
    await selectBackend('wasm');
    const x = tf.randomNormal([4, 5, 5, 8], 0, 1, 'float32', 1) as Tensor4D;
    const gamma = tf.ones([8]);
    const beta = tf.zeros([8]);
    const loss = (a: Tensor) => tf.sum(tf.square(batchNorm(a as Tensor4D, gamma, beta, true)));
    expect(await batchNormKernelsRun(() => batchNorm(x, gamma, beta, true))).toEqual(['DemlBatchNorm']);
    expect(await batchNormKernelsRun(() => tf.grads(loss)([x]))).toEqual([
      'DemlBatchNorm',
      'DemlBatchNormGrad',
    ]);
    // Inside an outer gradient (second-order MAML's support pass): the backward kernel's
    // gradient is the third kernel.
    expect(await batchNormKernelsRun(() => tf.grads(squaredGradient(loss))([x]))).toEqual([
      'DemlBatchNorm',
      'DemlBatchNormGrad',
      'DemlBatchNormGradGrad',
    ]);
    // One level deeper the third kernel's gradient would be needed: composed ops.
    expect(await batchNormKernelsRun(() => tf.grads(squaredGradient(squaredGradient(loss)))([x]))).toEqual(
      [],
    );
    const six = tf.randomNormal([2, 3, 3, 6]) as Tensor4D;
    expect(await batchNormKernelsRun(() => batchNorm(six, tf.ones([6]), tf.zeros([6]), true))).toEqual([]);
    // The third kernel's gradient refuses rather than answer wrong, should it ever be reached.
    const direct = (a: Tensor) => {
      const [y] = tf.engine().runKernel('DemlBatchNorm', { x: a, gamma, beta }, { relu: true }) as Tensor[];
      return tf.sum(tf.square(y!));
    };
    expect(() => tf.grads(squaredGradient(squaredGradient(direct)))([x])).toThrow(
      /DemlBatchNormGradGrad has no gradient/,
    );
    tf.dispose([x, gamma, beta, six]);
  });

  it('propagates a NaN through its ReLU, so that a diverging run shows in its loss', async () => {
    await selectBackend('wasm');
    expectNanInItsChannelOnly((x, gamma, beta) => batchNorm(x, gamma, beta, true), [2, 3, 3, 4]);
  });

  it('leaves the meta-gradients of MAML, Meta-SGD and first-order MAML (conv4 with max-pool) as the composed ops give them', async () => {
    await selectBackend('wasm');
    const dataset = generateSyntheticDataset({ classes: 6, imagesPerClass: 6, size: 12, seed: 4 });
    const sampler = new EpisodeSampler(
      dataset,
      [0, 1, 2, 3, 4, 5],
      { ways: 3, shots: 2, queries: 3 },
      new Rng(4),
    );
    const task = taskTensors(sampler.next(), [12, 12, 1]);
    const network = conv4(
      { kind: 'conv4', filters: 8, blocks: 2, activation: 'relu', downsample: 'maxpool' },
      { height: 12, width: 12, channels: 1 },
      3,
    );
    for (const [name, firstOrder, learnRates] of [
      ['maml', false, false],
      ['metasgd', false, true],
      ['fomaml', true, false],
    ] as const) {
      const learner = createGradientLearner({
        name,
        network,
        innerSteps: 2,
        innerLr: 0.3,
        firstOrder,
        learnRates,
        rateInit: [0.2, 0.4],
      });
      const meta = learner.initMetaParams(new Rng(8));
      const run = (native: boolean): Params => {
        const before = process.env.DEML_NATIVE_KERNELS;
        process.env.DEML_NATIVE_KERNELS = native ? '1' : '0';
        try {
          return learner.metaGradient(meta, task).grads;
        } finally {
          if (before === undefined) delete process.env.DEML_NATIVE_KERNELS;
          else process.env.DEML_NATIVE_KERNELS = before;
        }
      };
      const used = await batchNormKernelsRun(() => Object.values(run(true)));
      // Second order: the support set's batch norm runs the kernels too; the query set's (and
      // every one of first-order MAML's) runs with its ReLU and max-pool as one kernel.
      if (!firstOrder)
        expect(used, name).toEqual(expect.arrayContaining(['DemlBatchNormGrad', 'DemlBatchNormGradGrad']));
      expect(used, name).toContain('DemlBatchNormPoolGrad');
      const fused = run(true);
      const composed = run(false);
      for (const p of learner.trainable) {
        expect(relativeMaxError(composed[p]!.dataSync(), fused[p]!.dataSync()), `${name} ${p}`).toBeLessThan(
          1e-4,
        );
      }
      tf.dispose([...Object.values(fused), ...Object.values(composed), ...Object.values(meta)]);
    }
  });
});
