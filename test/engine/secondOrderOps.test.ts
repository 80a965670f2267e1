/**
 * Each corrected op's second derivative against central finite differences of its (correct)
 * first derivative: for h(x) = ⟨∇x f(x), v⟩, the second-order gradient ∇h·u must match
 * (h(x + εu) − h(x − εu)) / 2ε. The first test shows the check fails on stock tfjs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  COMPLETED_GRADIENTS,
  Rng,
  installGradients,
  logSumExp,
  softmaxCrossEntropy,
  tf,
} from '../../src-main/engine';
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import { relativeError } from '../helpers/finiteDifferences';

function randomTensor(shape: number[], rng: Rng, scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => scale * rng.normal()),
    shape,
  );
}

/**
 * Mixed second derivative of f along (v through ∇_{wrt}, u through input `along`):
 * returns [analytic, numeric].
 */
function secondOrderCheck(
  f: (...xs: Tensor[]) => Tensor,
  xs: Tensor[],
  wrt: number,
  along: number,
  seed: number,
  eps = 1e-2,
): [number, number] {
  const rng = new Rng(seed);
  const v = randomTensor(xs[wrt]!.shape, rng);
  const u = randomTensor(xs[along]!.shape, rng);
  // h(xs) = <∇_{xs[wrt]} f(xs), v>
  const h = (...ys: Tensor[]): Tensor => {
    const g = tf.grads(f)(ys)[wrt]!;
    return tf.sum(tf.mul(g, v));
  };
  const analytic = tf.tidy(() => tf.sum(tf.mul(tf.grads(h)(xs)[along]!, u)).dataSync()[0]!);
  const at = (sign: number) =>
    tf.tidy(() => {
      const ys = xs.map((x, i) => (i === along ? tf.add(x, tf.mul(u, sign * eps)) : x));
      return h(...ys).dataSync()[0]!;
    });
  const numeric = (at(1) - at(-1)) / (2 * eps);
  return [analytic, numeric];
}

function expectClose([analytic, numeric]: [number, number], tol = 1e-2): void {
  expect(Number.isFinite(analytic)).toBe(true);
  expect(Math.abs(analytic)).toBeGreaterThan(1e-3); // a check with no signal proves nothing
  expect(relativeError(analytic, numeric)).toBeLessThan(tol);
}

const rng = new Rng(42);
const x2 = () => randomTensor([4, 5], rng, 0.8);
const r2 = () => randomTensor([4, 5], rng);

describe('second derivatives of corrected ops (cpu backend, float32)', () => {
  beforeAll(async () => {
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
  });

  it('stock tfjs gets tanh’s second derivative wrong (the check can fail)', () => {
    // f = Σ r·x·tanh(x): its gradient r·(tanh x + x·(1 − tanh² x)) reaches x both directly and
    // through tanh's saved output, and stock tfjs drops the second path without a word.
    const r = r2();
    const f = (x: Tensor) => tf.sum(tf.mul(tf.mul(tf.tanh(x), x), r));
    const [analytic, numeric] = secondOrderCheck(f, [x2()], 0, 0, 1);
    expect(relativeError(analytic, numeric)).toBeGreaterThan(0.05);
  });

  describe('after installGradients()', () => {
    beforeAll(() => installGradients());

    it('registers every completed gradient', () => {
      for (const name of COMPLETED_GRADIENTS) expect(tf.getGradient(name), name).toBeTruthy();
    });

    it('Tanh', () => {
      const r = r2();
      expectClose(secondOrderCheck((x) => tf.sum(tf.mul(tf.tanh(x), r)), [x2()], 0, 0, 1));
      const f = (x: Tensor) => tf.sum(tf.mul(tf.mul(tf.tanh(x), x), r));
      expectClose(secondOrderCheck(f, [x2()], 0, 0, 1));
    });

    it('Sigmoid', () => {
      const r = r2();
      expectClose(secondOrderCheck((x) => tf.sum(tf.mul(tf.sigmoid(x), r)), [x2()], 0, 0, 2));
    });

    it('Softplus (its gradient is a sigmoid)', () => {
      const r = r2();
      expectClose(secondOrderCheck((x) => tf.sum(tf.mul(tf.softplus(x), r)), [x2()], 0, 0, 3));
    });

    it('Exp', () => {
      const r = r2();
      expectClose(secondOrderCheck((x) => tf.sum(tf.mul(tf.exp(x), r)), [x2()], 0, 0, 4));
    });

    it('Softmax', () => {
      const r = r2();
      expectClose(secondOrderCheck((x) => tf.sum(tf.mul(tf.softmax(x), r)), [x2()], 0, 0, 5));
    });

    it('LogSoftmax kernel gradient (no cpu kernel: checked against x − logsumexp(x))', () => {
      const x = x2();
      const dy = r2();
      const ours = tf.getGradient('LogSoftmax')!.gradFunc(dy, [x], { axis: -1 }).logits!();
      const composed = (t: Tensor) => tf.sub(t, tf.reshape(logSumExp(t as Tensor2D), [4, 1]));
      const reference = tf.grads((t: Tensor) => tf.sum(tf.mul(composed(t), dy)))([x])[0]!;
      expect(tf.max(tf.abs(tf.sub(ours, reference))).dataSync()[0]).toBeLessThan(1e-5);
      // Differentiating the corrected gradient again matches finite differences too.
      const v = r2();
      const h = (t: Tensor) =>
        tf.sum(tf.mul(tf.getGradient('LogSoftmax')!.gradFunc(dy, [t], { axis: -1 }).logits!(), v));
      expectClose(secondOrderCheck(h, [x2()], 0, 0, 17));
    });

    it('Elu (EluGrad has no gradient in tfjs)', () => {
      const r = r2();
      // elu'' jumps at 0: keep every input clear of it so the finite difference does not straddle it.
      const x = tf.tidy(() => {
        const t = x2();
        return tf.mul(tf.sign(t), tf.add(tf.abs(t), 0.3));
      });
      expectClose(secondOrderCheck((x) => tf.sum(tf.mul(tf.elu(x), r)), [x], 0, 0, 6));
    });

    it('Pow, through the exponent', () => {
      const base = tf.abs(randomTensor([4, 5], rng)).add(0.5);
      const r = r2();
      expectClose(secondOrderCheck((b) => tf.sum(tf.mul(tf.pow(base, b), r)), [x2()], 0, 0, 7));
    });

    it('log-sum-exp (Max → Equal has a zero gradient)', () => {
      const r = tf.tensor1d([0.3, -1.2, 0.7, 2.0]);
      expectClose(secondOrderCheck((x) => tf.sum(tf.mul(logSumExp(x as Tensor2D), r)), [x2()], 0, 0, 8));
    });

    it('softmax cross-entropy (the loss the learners use)', () => {
      const labels = tf.oneHot(tf.tensor1d([0, 3, 1, 4], 'int32'), 5).toFloat() as Tensor2D;
      expectClose(secondOrderCheck((x) => softmaxCrossEntropy(x as Tensor2D, labels), [x2()], 0, 0, 9));
    });

    const convInputs = (): Tensor[] => [
      randomTensor([2, 6, 6, 3], rng),
      randomTensor([3, 3, 3, 4], rng, 0.3),
    ];
    const convLoss = (stride: 1 | 2, pad: 'same' | 'valid') => (x: Tensor, w: Tensor) =>
      tf.sum(tf.square(tf.conv2d(x as Tensor4D, w as Tensor4D, stride, pad)));

    for (const [stride, pad] of [
      [1, 'same'],
      [2, 'same'],
      [1, 'valid'],
    ] as const) {
      it(`Conv2DBackpropFilter, stride ${stride} '${pad}': both inputs`, () => {
        // ∇w of the loss is Conv2DBackpropFilter(x, dy(x, w)); differentiate it along x and w.
        expectClose(secondOrderCheck(convLoss(stride, pad), convInputs(), 1, 0, 10));
        expectClose(secondOrderCheck(convLoss(stride, pad), convInputs(), 1, 1, 11));
      });
      it(`Conv2DBackpropInput, stride ${stride} '${pad}': both inputs`, () => {
        expectClose(secondOrderCheck(convLoss(stride, pad), convInputs(), 0, 0, 12));
        expectClose(secondOrderCheck(convLoss(stride, pad), convInputs(), 0, 1, 13));
      });
    }

    it('MaxPoolGrad (2×2, stride 2, valid and same)', () => {
      for (const pad of ['valid', 'same'] as const) {
        const f = (x: Tensor) => tf.sum(tf.square(tf.maxPool(x as Tensor4D, 2, 2, pad)));
        expectClose(secondOrderCheck(f, [randomTensor([2, 5, 5, 3], rng)], 0, 0, 14, 1e-3));
      }
    });

    it('MaxPoolGrad refuses overlapping windows instead of answering wrong', () => {
      const f = (x: Tensor) => tf.sum(tf.square(tf.maxPool(x as Tensor4D, 3, 1, 'same')));
      expect(() => secondOrderCheck(f, [randomTensor([1, 4, 4, 1], rng)], 0, 0, 15)).toThrow(/overlapping/);
    });

    it('AvgPoolGrad', () => {
      const f = (x: Tensor) => tf.sum(tf.square(tf.avgPool(x as Tensor4D, 2, 2, 'valid')));
      expectClose(secondOrderCheck(f, [randomTensor([2, 4, 4, 3], rng)], 0, 0, 16));
    });

    it('Sum and Mean over batch-norm axes (their gradients broadcast with backend-made ones)', () => {
      const x = randomTensor([3, 4, 4, 5], rng);
      const r = randomTensor([3, 4, 4, 5], rng);
      // Batch-norm-like: the statistics' gradients reach x through Sum and Mean twice.
      const f = (a: Tensor) => {
        const centred = tf.sub(a, tf.mean(a, [0, 1, 2], true));
        const scale = tf.mul(tf.sum(tf.square(centred), [0, 1, 2], true), 0.02);
        return tf.sum(tf.mul(tf.mul(centred, tf.tanh(scale)), r));
      };
      expectClose(secondOrderCheck(f, [x], 0, 0, 17));
      // First derivatives: every element of a mean over 12 gets w / 12, exactly.
      const w = randomTensor([1, 1, 4, 5], rng);
      const g = tf.grad((a: Tensor) => tf.sum(tf.mul(tf.mean(a, [0, 1], true), w)))(x);
      expect(Array.from(g.dataSync())).toEqual(Array.from(tf.tile(tf.div(w, 12), [3, 4, 1, 1]).dataSync()));
    });

    it('comparison ops have zero gradients', () => {
      const a = x2();
      const b = x2();
      const f = (x: Tensor) => tf.sum(tf.mul(tf.cast(tf.equal(x, b), 'float32'), x));
      const g = tf.grad(f)(a);
      expect(g.shape).toEqual(a.shape);
    });
  });
});
