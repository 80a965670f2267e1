/**
 * What the batch-norm tests share (batchNorm.test.ts, batchNormPool.test.ts): the float64
 * definition, the error measure, arrays laid out on a kernel module's memory with guard gaps, and
 * which of our batch-norm kernels a computation ran.
 */
import { tf } from '../../src-main/engine';
import { BATCH_NORM_EPSILON } from '../../src-main/engine/autodiff/batchNorm';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Largest |want − got| over the largest |want| (at least 1). */
export function relativeMaxError(want: ArrayLike<number>, got: ArrayLike<number>): number {
  let err = 0;
  let scale = 1;
  for (let k = 0; k < want.length; k++) {
    err = Math.max(err, Math.abs(want[k]! - got[k]!));
    scale = Math.max(scale, Math.abs(want[k]!));
  }
  return err / scale;
}

/** The definition in float64: y, mean, rstd forward; dx, dgamma, dbeta backward. */
export function batchNormReference(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  c: number,
  relu: boolean,
) {
  const rows = x.length / c;
  const mean = new Float64Array(c);
  const rstd = new Float64Array(c);
  for (let k = 0; k < x.length; k++) mean[k % c]! += x[k]! / rows;
  for (let k = 0; k < x.length; k++) rstd[k % c]! += (x[k]! - mean[k % c]!) ** 2 / rows;
  for (let ch = 0; ch < c; ch++) rstd[ch] = 1 / Math.sqrt(rstd[ch]! + BATCH_NORM_EPSILON);
  const xh = Float64Array.from(x, (v, k) => (v - mean[k % c]!) * rstd[k % c]!);
  const pre = Float64Array.from(xh, (v, k) => gamma[k % c]! * v + beta[k % c]!);
  const y = pre.map((v) => (relu ? Math.max(v, 0) : v));
  const g = Float64Array.from(dy, (v, k) => (relu && pre[k]! <= 0 ? 0 : v));
  const dbeta = new Float64Array(c);
  const dgamma = new Float64Array(c);
  for (let k = 0; k < x.length; k++) {
    dbeta[k % c]! += g[k]!;
    dgamma[k % c]! += g[k]! * xh[k]!;
  }
  const dx = Float64Array.from(g, (v, k) => {
    const ch = k % c;
    return gamma[ch]! * rstd[ch]! * (v - dbeta[ch]! / rows - (xh[k]! * dgamma[ch]!) / rows);
  });
  return { y, mean, rstd, dx, dgamma, dbeta };
}

/**
 * Arrays of the given float counts on a kernel module's memory, each at an unaligned float offset
 * with guard gaps between them, the rest of memory filled with a sentinel: `view` reads one,
 * `bytes` is its offset for a kernel, and `changedOutside` counts floats changed since `before`
 * anywhere outside the arrays named.
 */
export function heapLayout<Name extends string>(heap: Float32Array, layout: Record<Name, number>) {
  heap.fill(-12345.5);
  const at = {} as Record<Name, number>;
  let next = 3;
  for (const name of Object.keys(layout) as Name[]) {
    at[name] = next;
    next += layout[name] + 5;
  }
  return {
    at,
    view: (name: Name) => heap.subarray(at[name], at[name] + layout[name]),
    bytes: (name: Name) => at[name] * 4,
    changedOutside(before: Float32Array, written: readonly Name[]): number {
      let changed = 0;
      for (let k = 0; k < heap.length; k++) {
        const inside = written.some((n) => k >= at[n] && k < at[n] + layout[n]);
        if (!inside && !Object.is(heap[k], before[k])) changed++;
      }
      return changed;
    },
  };
}

/** The names of our batch-norm kernels (DemlBatchNorm…) that `f` ran, in order. */
export async function batchNormKernelsRun(f: () => unknown): Promise<string[]> {
  const info = await tf.profile(() => {
    tf.dispose(f() as Tensor[]);
    return [] as Tensor[];
  });
  return info.kernelNames.filter((k) => k.startsWith('DemlBatchNorm'));
}

/** Seeded inputs of a batch-norm op: x offset and spread, γ around 1, β around 0. */
export function randomBatchNormInputs(shape: [number, number, number, number], seed: number) {
  const c = shape[3];
  return {
    x: tf.randomNormal(shape, 0.3, 2, 'float32', seed) as Tensor4D,
    gamma: tf.randomUniform([c], 0.5, 1.5, 'float32', seed + 1),
    beta: tf.randomNormal([c], 0, 0.5, 'float32', seed + 2),
  };
}

/** y = op(x, γ, β) and the gradients of Σ v·y w.r.t. x, γ, β (v seeded, shaped like y). */
export function valuesAndGrads(
  op: (x: Tensor4D, gamma: Tensor, beta: Tensor) => Tensor,
  shape: [number, number, number, number],
  seed: number,
): Float32Array[] {
  return tf.tidy(() => {
    const { x, gamma, beta } = randomBatchNormInputs(shape, seed);
    const y = op(x, gamma, beta);
    const v = tf.randomNormal(y.shape, 0, 1, 'float32', seed + 3);
    const grads = tf.grads((a: Tensor, g: Tensor, b: Tensor) => tf.sum(tf.mul(op(a as Tensor4D, g, b), v)))([
      x,
      gamma,
      beta,
    ]);
    return [y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

/**
 * A fused op and its composition of tfjs ops agree on each named result (relative error below
 * 1e-4; the kernels sum in another order) and leave no tensor behind.
 */
export function expectFusedMatchesComposed(
  names: readonly string[],
  fused: () => ArrayLike<number>[],
  composed: () => ArrayLike<number>[],
  label: string,
): void {
  const before = tf.memory().numTensors;
  const [a, b] = [fused(), composed()];
  expect(tf.memory().numTensors).toBe(before);
  names.forEach((name, k) => {
    expect(relativeMaxError(b[k]!, a[k]!), `${name} for ${label}`).toBeLessThan(1e-4);
  });
}

/** f's second derivative's way in: the gradient of Σ (∂f/∂a)². */
export const squaredGradient =
  (f: (a: Tensor) => Tensor) =>
  (a: Tensor): Tensor =>
    tf.sum(tf.square(tf.grads(f)([a])[0]!));

/**
 * A NaN in one pixel's channel 1 makes that channel's statistics NaN: `op` (γ = 1, β = 0) must
 * show it in every output element of channel 1 and nowhere else, so that a diverging run shows
 * in its loss.
 */
export function expectNanInItsChannelOnly(
  op: (x: Tensor4D, gamma: Tensor, beta: Tensor) => Tensor,
  shape: [number, number, number, number],
): void {
  const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => Math.sin(k));
  values[1] = NaN;
  const c = shape[3];
  const y = tf.tidy(() => op(tf.tensor4d(values, shape), tf.ones([c]), tf.zeros([c])).dataSync());
  for (let k = 0; k < y.length; k++) expect(Number.isNaN(y[k]), `element ${k}`).toBe(k % c === 1);
}
