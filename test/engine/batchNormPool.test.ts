/**
 * Fused batch norm → ReLU → 2×2 max-pool (autodiff/batchNormPool.ts, native/batchNormPool.c): the
 * kernels match the float64 definition, odd sizes and ties included, and write nothing else; the
 * op equals batch norm then tf.maxPool on wasm, values and gradients, and leaks no tensor; it runs
 * its kernels where its gradient is taken once and batch norm's with tf.maxPool where twice; a
 * NaN shows in its output.
 */
import { describe, expect, it } from 'vitest';
import { Rng, selectBackend, tf } from '../../src-main/engine';
import { BATCH_NORM_EPSILON } from '../../src-main/engine/autodiff/batchNorm';
import { batchNormReluPool, batchNormReluPoolComposed } from '../../src-main/engine/autodiff/batchNormPool';
import { instantiateNativeKernels } from '../../src-main/engine/autodiff/nativeKernels';
import {
  batchNormKernelsRun,
  batchNormReference,
  expectFusedMatchesComposed,
  expectNanInItsChannelOnly,
  heapLayout,
  relativeMaxError,
  squaredGradient,
  valuesAndGrads,
} from '../helpers/batchNorm';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';

type Shape = [number, number, number, number];

/**
 * The definition in float64: batch norm and ReLU (batchNormReference), then each 2×2 window's
 * maximum; backward, each window's gradient to the first of its maxima in row-major order (the
 * pooling's rule, maxPoolGrad.c), then batch norm's backward pass.
 */
function reference(
  x: Float32Array,
  dyPooled: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  [n, h, w, c]: Shape,
) {
  const oh = Math.floor(h / 2);
  const ow = Math.floor(w / 2);
  const {
    y: activation,
    mean,
    rstd,
  } = batchNormReference(x, new Float32Array(x.length), gamma, beta, c, true);
  const y = new Float64Array(n * oh * ow * c);
  const g = new Float64Array(x.length);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          let winner = -1;
          for (const [dy, dx] of [
            [0, 0],
            [0, 1],
            [1, 0],
            [1, 1],
          ] as const) {
            const at = ((b * h + 2 * oy + dy) * w + 2 * ox + dx) * c + ch;
            if (winner < 0 || activation[at]! > activation[winner]!) winner = at;
          }
          const out = ((b * oh + oy) * ow + ox) * c + ch;
          y[out] = activation[winner]!;
          g[winner] = dyPooled[out]!;
        }
  const { dx, dgamma, dbeta } = batchNormReference(x, g, gamma, beta, c, true);
  return { y, mean, rstd, dx, dgamma, dbeta };
}

describe('fused batch norm, ReLU and max-pool', () => {
  it('the native kernels match the definition and write nothing outside their outputs', () => {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const kernels = instantiateNativeKernels(memory)!;
    const heap = new Float32Array(memory.buffer);
    const rng = new Rng(33);
    // One window; odd heights and widths (rows and columns no window covers); more windows than
    // a block's 64 positions; 4 to 16 channels.
    const shapes: Shape[] = [
      [1, 2, 2, 4],
      [2, 5, 7, 8],
      [3, 6, 4, 12],
      [4, 9, 10, 16],
    ];
    for (const shape of shapes) {
      const [n, h, w, c] = shape;
      const size = n * h * w * c;
      const pooled = n * Math.floor(h / 2) * Math.floor(w / 2) * c;
      const { at, view, bytes, changedOutside } = heapLayout(heap, {
        x: size,
        dy: pooled,
        gamma: c,
        beta: c,
        y: pooled,
        mean: c,
        rstd: c,
        dx: size,
        dgamma: c,
        dbeta: c,
        scratch: 3 * c,
      });
      // Offset and spread channels, and β < 0 on some, so that many activations are 0 and whole
      // windows tie at 0 (their gradient goes nowhere: the ReLU's mask is 0 at every position).
      for (let k = 0; k < size; k++) heap[at.x + k] = 3 + (1 + (k % c)) * rng.normal();
      // Exact ties above 0 too: in three windows of four one position repeats an earlier one
      // (top-left into bottom-right, top-left into top-right, top-right into bottom-left); its
      // gradient must go to the earlier, the first in row-major order.
      const oh = Math.floor(h / 2);
      const ow = Math.floor(w / 2);
      const ties = [
        [0, w + 1],
        [0, 1],
        [1, w],
      ] as const;
      for (let win = 0; win < n * oh * ow; win++) {
        const tie = ties[win % 4];
        if (!tie) continue;
        const b = Math.floor(win / (oh * ow));
        const p00 = at.x + ((b * h + 2 * (Math.floor(win / ow) % oh)) * w + 2 * (win % ow)) * c;
        heap.copyWithin(p00 + tie[1] * c, p00 + tie[0] * c, p00 + (tie[0] + 1) * c);
      }
      for (let k = 0; k < pooled; k++) heap[at.dy + k] = rng.normal();
      for (let k = 0; k < c; k++) heap[at.gamma + k] = 0.5 + rng.next();
      for (let k = 0; k < c; k++) heap[at.beta + k] = rng.normal() - 0.5;
      const before = heap.slice();
      kernels.batchNormPoolForward(
        bytes('x'),
        bytes('gamma'),
        bytes('beta'),
        bytes('y'),
        bytes('mean'),
        bytes('rstd'),
        bytes('scratch'),
        n,
        h,
        w,
        c,
        BATCH_NORM_EPSILON,
      );
      kernels.batchNormPoolBackward(
        bytes('x'),
        bytes('dy'),
        bytes('gamma'),
        bytes('beta'),
        bytes('mean'),
        bytes('rstd'),
        bytes('dx'),
        bytes('dgamma'),
        bytes('dbeta'),
        bytes('scratch'),
        n,
        h,
        w,
        c,
      );
      const want = reference(view('x'), view('dy'), view('gamma'), view('beta'), shape);
      const outputs = ['y', 'mean', 'rstd', 'dx', 'dgamma', 'dbeta'] as const;
      for (const name of outputs) {
        expect(relativeMaxError(want[name], view(name)), `${name} for ${shape}`).toBeLessThan(2e-5);
      }
      expect(changedOutside(before, [...outputs, 'scratch']), `floats changed outside for ${shape}`).toBe(0);
    }
  });

  it('equals batch norm then tf.maxPool on wasm, values and gradients, and leaks no tensor', async () => {
    await selectBackend('wasm');
    const shapes: Shape[] = [
      [5, 6, 6, 8],
      [3, 7, 9, 4],
      [75, 14, 14, 16],
    ];
    shapes.forEach((shape, i) => {
      expectFusedMatchesComposed(
        ['y', 'dx', 'dgamma', 'dbeta'],
        () => valuesAndGrads(batchNormReluPool, shape, 70 + i),
        () => valuesAndGrads(batchNormReluPoolComposed, shape, 70 + i),
        `${shape}`,
      );
    });
  });

  it('runs its kernels where its gradient is taken once, batch norm’s and tf.maxPool where twice', async () => {
    await selectBackend('wasm');
    const x = tf.randomNormal([4, 6, 6, 8], 0, 1, 'float32', 1) as Tensor4D;
    const gamma = tf.ones([8]);
    const beta = tf.zeros([8]);
    const loss = (a: Tensor) => tf.sum(tf.square(batchNormReluPool(a as Tensor4D, gamma, beta)));
    expect(await batchNormKernelsRun(() => batchNormReluPool(x, gamma, beta))).toEqual(['DemlBatchNormPool']);
    expect(await batchNormKernelsRun(() => tf.grads(loss)([x]))).toEqual([
      'DemlBatchNormPool',
      'DemlBatchNormPoolGrad',
    ]);
    expect(await batchNormKernelsRun(() => tf.grads(squaredGradient(loss))([x]))).toEqual([
      'DemlBatchNorm',
      'DemlBatchNormGrad',
      'DemlBatchNormGradGrad',
    ]);
    const six = tf.randomNormal([2, 4, 4, 6]) as Tensor4D;
    expect(await batchNormKernelsRun(() => batchNormReluPool(six, tf.ones([6]), tf.zeros([6])))).toEqual([]);
    // The backward kernel's gradient refuses rather than answer wrong, should it ever be reached.
    const direct = (a: Tensor) => {
      const [y] = tf.engine().runKernel('DemlBatchNormPool', { x: a, gamma, beta }) as Tensor[];
      return tf.sum(tf.square(y!));
    };
    expect(() => tf.grads(squaredGradient(direct))([x])).toThrow(/DemlBatchNormPoolGrad has no gradient/);
    tf.dispose([x, gamma, beta, six]);
  });

  it('propagates a NaN, so that a diverging run shows in its loss', async () => {
    await selectBackend('wasm');
    expectNanInItsChannelOnly(batchNormReluPool, [2, 4, 4, 4]);
  });
});
