/** The wasm training kernels agree with the reference cpu backend, and leak nothing. */
import { describe, expect, it } from 'vitest';
import { Rng, selectBackend, tf } from '../../src-main/engine';
import type { Tensor4D } from '@tensorflow/tfjs';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
const cases: Array<[number[], number[], 1 | 2, Pad]> = [
  [[3, 9, 9, 2], [3, 3, 2, 4], 1, 'same'],
  [[3, 9, 9, 2], [3, 3, 2, 4], 1, 'valid'],
  [[3, 9, 9, 2], [3, 3, 2, 4], 2, 'same'],
  [[3, 9, 9, 2], [3, 3, 2, 4], 2, 'valid'],
  [[2, 8, 7, 3], [2, 2, 3, 5], 2, 'valid'],
  [
    [2, 10, 10, 3],
    [3, 3, 3, 5],
    1,
    [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ],
  ],
];

function random(shape: number[], rng: Rng): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
}

async function convGrads(xs: number[], ws: number[], stride: 1 | 2, pad: Pad, values: Float32Array[]) {
  const x = tf.tensor4d(values[0]!, xs as [number, number, number, number]);
  const w = tf.tensor4d(values[1]!, ws as [number, number, number, number]);
  const y = tf.conv2d(x, w, stride, pad);
  const dy = tf.tensor(values[2]!.subarray(0, y.size), y.shape);
  const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(a as Tensor4D, b as Tensor4D, stride, pad), dy)),
  )([x, w]);
  const out = [await gx!.data(), await gw!.data()];
  tf.dispose([x, w, y, dy, gx!, gw!]);
  return out;
}

describe('wasm conv training kernels', () => {
  it('filter and input gradients match the cpu backend', async () => {
    const rng = new Rng(5);
    for (const [xs, ws, stride, pad] of cases) {
      const values = [random(xs, rng), random(ws, rng), random([xs[0]! * xs[1]! * xs[2]! * ws[3]!], rng)];
      await selectBackend('wasm');
      const before = tf.memory().numTensors;
      const wasm = await convGrads(xs, ws, stride, pad, values);
      expect(tf.memory().numTensors).toBe(before);
      await selectBackend('cpu');
      const cpu = await convGrads(xs, ws, stride, pad, values);
      for (let k = 0; k < 2; k++) {
        let err = 0;
        for (let i = 0; i < cpu[k]!.length; i++) err = Math.max(err, Math.abs(cpu[k]![i]! - wasm[k]![i]!));
        expect(err, `${JSON.stringify([xs, ws, stride, pad])} ${k ? 'dw' : 'dx'}`).toBeLessThan(1e-4);
      }
    }
  });

  it('leave the wasm heap flat over repeated use', async () => {
    await selectBackend('wasm');
    const x = tf.randomNormal([8, 14, 14, 16]) as Tensor4D;
    const w = tf.randomNormal([3, 3, 16, 16]) as Tensor4D;
    const step = () =>
      tf.tidy(() =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as Tensor4D, b as Tensor4D, 1, 'same')))([
          x,
          w,
        ]),
      );
    tf.dispose(step());
    const bytes = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    for (let i = 0; i < 20; i++) tf.dispose(step());
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(bytes);
  });
});
