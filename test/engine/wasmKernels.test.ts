/** The wasm training kernels agree with the reference cpu backend, and leak nothing. */
import { describe, expect, it } from 'vitest';
import { Rng, selectBackend, tf } from '../../src-main/engine';
import { makeConv2dWasm, winogradFilterTile, winogradTile } from '../../src-main/engine/autodiff/wasmKernels';
import type { TensorInfo } from '../../src-main/engine/tf';
import type { Tensor4D } from '@tensorflow/tfjs';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
const cases: Array<[number[], number[], 1 | 2 | 3, Pad]> = [
  [[3, 9, 9, 2], [3, 3, 2, 4], 1, 'same'],
  [[3, 9, 9, 2], [3, 3, 2, 4], 1, 'valid'],
  [[3, 9, 9, 2], [3, 3, 2, 4], 2, 'same'],
  [[3, 9, 9, 2], [3, 3, 2, 4], 2, 'valid'],
  [[2, 8, 7, 3], [2, 2, 3, 5], 2, 'valid'],
  // Strided input gradients by output phase: even and odd sizes, 1×1 projections (a phase with
  // no taps), a filter larger than the stride.
  [[2, 8, 8, 3], [3, 3, 3, 5], 2, 'same'],
  [[2, 7, 7, 3], [1, 1, 3, 4], 2, 'same'],
  [[2, 8, 8, 3], [1, 1, 3, 4], 2, 'valid'],
  [[2, 11, 10, 2], [4, 4, 2, 3], 3, 'same'],
  [[2, 11, 10, 2], [5, 3, 2, 3], 3, 'valid'],
  // The native strided input gradient (input channels in fours): even and odd sizes, a 4-channel
  // tail, output channels not in fours, 1×1 projections, stride 3 with a filter larger than it.
  [[2, 8, 8, 8], [3, 3, 8, 16], 2, 'same'],
  [[2, 7, 7, 12], [3, 3, 12, 6], 2, 'same'],
  [[2, 8, 8, 4], [1, 1, 4, 8], 2, 'same'],
  [[3, 10, 11, 8], [4, 4, 8, 5], 3, 'same'],
  [[2, 9, 9, 4], [3, 3, 4, 4], 2, 'valid'],
  // More input channels than output channels, strided and not.
  [[2, 9, 9, 6], [3, 3, 6, 5], 1, 'same'],
  [[2, 9, 9, 6], [3, 3, 6, 5], 2, 'valid'],
  [[2, 8, 8, 5], [3, 3, 5, 4], 2, 'same'],
  // Channel counts for every tile of the native filter gradient: 4×8 tiles with 1×4 and 1×1
  // remainders, single-channel input, stride 2, valid windows that stop short of the edge.
  [[2, 9, 9, 8], [3, 3, 8, 12], 1, 'same'],
  [[2, 9, 9, 9], [3, 3, 9, 11], 2, 'same'],
  [[3, 7, 6, 4], [3, 2, 4, 16], 2, 'valid'],
  [[2, 12, 12, 1], [3, 3, 1, 9], 1, 'same'],
  // The Winograd kernels' convs (3×3, stride 1, one pad, channels in fours): odd sizes with
  // partial tiles, a single pixel, and the same padding given explicitly.
  [[3, 7, 5, 4], [3, 3, 4, 8], 1, 'same'],
  [[2, 1, 1, 4], [3, 3, 4, 4], 1, 'same'],
  [[8, 12, 11, 8], [3, 3, 8, 12], 1, 'same'], // enough tiles for F(4×4, 3×3) and F(3×3, 4×4)
  [
    [2, 6, 9, 8],
    [3, 3, 8, 4],
    1,
    [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  ],
  // The single-channel kernels' (one input channel, output channels in fours).
  [[3, 7, 5, 1], [3, 3, 1, 8], 1, 'same'],
  [[2, 1, 1, 1], [3, 3, 1, 4], 1, 'same'],
  // A phase whose first dy row lies before its first dx row (its first conv output is skipped).
  [[2, 10, 10, 2], [3, 3, 2, 3], 3, 'same'],
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

async function convGrads(xs: number[], ws: number[], stride: 1 | 2 | 3, pad: Pad, values: Float32Array[]) {
  const x = tf.tensor4d(values[0]!, xs as [number, number, number, number]);
  const w = tf.tensor4d(values[1]!, ws as [number, number, number, number]);
  const y = tf.conv2d(x, w, stride, pad);
  const dy = tf.tensor(values[2]!.subarray(0, y.size), y.shape);
  const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(a as Tensor4D, b as Tensor4D, stride, pad), dy)),
  )([x, w]);
  const out = [await gx!.data(), await gw!.data(), await y.data()];
  tf.dispose([x, w, y, dy, gx!, gw!]);
  return out;
}

describe('wasm conv training kernels', () => {
  it('the conv and its filter and input gradients match the cpu backend', async () => {
    const rng = new Rng(5);
    for (const [xs, ws, stride, pad] of cases) {
      const values = [random(xs, rng), random(ws, rng), random([xs[0]! * xs[1]! * xs[2]! * ws[3]!], rng)];
      await selectBackend('wasm');
      const before = tf.memory().numTensors;
      const wasm = await convGrads(xs, ws, stride, pad, values);
      expect(tf.memory().numTensors).toBe(before);
      await selectBackend('cpu');
      const cpu = await convGrads(xs, ws, stride, pad, values);
      // Errors relative to the largest value, as in the native kernels' tests: float32 rounding
      // grows with the sums (and more in F(4×4, 3×3)'s transforms), while a wrong tap or edge is
      // off by whole values.
      for (let k = 0; k < 3; k++) {
        let err = 0;
        let scale = 1;
        for (let i = 0; i < cpu[k]!.length; i++) {
          err = Math.max(err, Math.abs(cpu[k]![i]! - wasm[k]![i]!));
          scale = Math.max(scale, Math.abs(cpu[k]![i]!));
        }
        expect(err / scale, `${JSON.stringify([xs, ws, stride, pad])} ${['dx', 'dw', 'y'][k]}`).toBeLessThan(
          1e-5,
        );
      }
    }
  });

  it('Conv2D takes the native kernels for 3×3 stride-1 same convs, strided convs and first layers', async () => {
    await selectBackend('wasm');
    const backend = tf.backend();
    const routed: string[] = [];
    // A stand-in for the stock XNNPACK kernel that only records which convs reach it.
    const conv = makeConv2dWasm((args) => {
      routed.push(JSON.stringify([args.inputs.x!.shape, args.inputs.filter!.shape, args.attrs.strides]));
      return (backend as unknown as { makeOutput(s: number[], d: string): TensorInfo }).makeOutput(
        [1],
        'float32',
      );
    });
    const run = (xs: number[], ws: number[], strides: number, pad: 'same' | 'valid', dilations = 1) => {
      const x = tf.zeros(xs);
      const filter = tf.zeros(ws);
      const y = conv({
        inputs: { x, filter },
        backend,
        attrs: { strides, pad, dilations, dataFormat: 'NHWC' },
      });
      backend.disposeData(y.dataId);
      tf.dispose([x, filter]);
    };
    run([2, 14, 14, 64], [3, 3, 64, 64], 1, 'same');
    run([2, 7, 5, 4], [3, 3, 4, 12], 1, 'same');
    run([2, 28, 28, 1], [3, 3, 1, 64], 1, 'same'); // one input channel
    // The direct kernel: strided convs and fewer than 4 input channels, output channels in fours.
    run([2, 8, 8, 8], [3, 3, 8, 8], 2, 'same');
    run([2, 8, 8, 16], [1, 1, 16, 32], 2, 'same');
    run([2, 9, 9, 6], [3, 3, 6, 8], 2, 'valid');
    run([2, 12, 12, 3], [3, 3, 3, 32], 1, 'same'); // a first layer on RGB
    run([2, 12, 12, 2], [5, 5, 2, 4], 1, 'valid');
    expect(routed).toEqual([]);
    run([2, 8, 8, 6], [3, 3, 6, 8], 1, 'same'); // input channels neither one nor in fours
    run([2, 8, 8, 8], [3, 3, 8, 6], 1, 'same'); // output channels not in fours
    run([2, 8, 8, 8], [3, 3, 8, 6], 2, 'same'); // strided, output channels not in fours
    run([2, 8, 8, 8], [3, 3, 8, 8], 1, 'valid'); // no padding
    run([2, 8, 8, 8], [5, 5, 8, 8], 1, 'same'); // 5×5
    run([2, 8, 8, 8], [3, 3, 8, 8], 1, 'same', 2); // dilated
    run([2, 8, 8, 3], [3, 3, 3, 8], 1, 'same', 2); // dilated, RGB
    expect(routed).toHaveLength(7);
    expect(routed[0]).toContain('[3,3,6,8]');
  });

  it('leave the wasm heap flat over repeated use', async () => {
    await selectBackend('wasm');
    const x = tf.randomNormal([8, 14, 14, 16]) as Tensor4D;
    const w = tf.randomNormal([3, 3, 16, 16]) as Tensor4D;
    // Also one input channel at stride 2 (the input gradient by phase in JavaScript) and 16
    // (the native strided input gradient).
    const x1 = tf.randomNormal([8, 14, 14, 1]) as Tensor4D;
    const w1 = tf.randomNormal([3, 3, 1, 16]) as Tensor4D;
    const step = () =>
      tf.tidy(() => [
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.conv2d(a as Tensor4D, b as Tensor4D, 1, 'same')),
        )([x, w]),
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.conv2d(a as Tensor4D, b as Tensor4D, 2, 'same')),
        )([x1, w1]),
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.conv2d(a as Tensor4D, b as Tensor4D, 2, 'same')),
        )([x, w]),
      ]);
    tf.dispose(step());
    const bytes = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    for (let i = 0; i < 20; i++) tf.dispose(step());
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(bytes);
  });
});

/** Runs f on wasm and on cpu with the same inputs; returns both outputs as arrays. */
async function onBoth(
  inputs: Array<{ values: Float32Array; shape: number[] }>,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
) {
  const out: Float32Array[] = [];
  for (const backend of ['wasm', 'cpu'] as const) {
    await selectBackend(backend);
    const before = tf.memory().numTensors;
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
    const y = f(...xs);
    out.push((await y.data()) as Float32Array);
    tf.dispose([...xs, y]);
    expect(tf.memory().numTensors, backend).toBe(before);
  }
  return { wasm: out[0]!, cpu: out[1]! };
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  for (let i = 0; i < a.length; i++)
    err = Math.max(err, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return err;
}

describe('wasm reduction, pooling-gradient and copy kernels', () => {
  it('Sum and Mean over leading axes (and the others, on the stock path) match the cpu backend', async () => {
    const rng = new Rng(11);
    const cases: Array<[number[], number[], boolean]> = [
      [[6, 7, 5, 9], [0, 1, 2], true],
      [[6, 7, 5, 9], [0, 1, 2], false],
      [[75, 5], [0], false],
      [[4, 3, 8], [1, 0], true],
      [[1, 9, 4], [0, 1], false],
      [[6, 7, 5, 9], [1, 2], false],
      [[6, 7, 5, 9], [3], true],
      [[6, 7, 5, 9], [0, 1, 2, 3], false],
    ];
    for (const [shape, axes, keepDims] of cases) {
      const input = [{ values: random(shape, rng), shape }];
      for (const op of ['sum', 'mean'] as const) {
        const { wasm, cpu } = await onBoth(input, (x) => tf[op](x, axes, keepDims));
        const label = `${op} ${JSON.stringify([shape, axes, keepDims])}`;
        expect(maxRelativeError(wasm, cpu), label).toBeLessThan(1e-5);
        await selectBackend('wasm');
        const t = tf.zeros(shape);
        const y = tf[op](t, axes, keepDims);
        expect(y.shape, label).toEqual(
          tf.tidy(() => tf.sum(tf.buffer(shape).toTensor(), axes, keepDims)).shape,
        );
        tf.dispose([t, y]);
      }
    }
    // Integer sums keep the stock kernel.
    await selectBackend('wasm');
    const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
    const s = tf.sum(ints, 0);
    expect(s.dtype).toBe('int32');
    expect(Array.from(await s.data())).toEqual([9, 12]);
    tf.dispose([ints, s]);
  });

  it('the max-pool gradient routes to the first maximum, with ties, NaNs, overlaps and padding, as on cpu', async () => {
    const rng = new Rng(12);
    // Values from {0, 1, 2}: most windows have tied maxima.
    const tied = (shape: number[]) =>
      Float32Array.from(random(shape, rng), (v) => Math.min(2, Math.floor(Math.abs(v) * 2)));
    // NaNs never win; a window of NaNs passes no gradient.
    const withNaNs = (shape: number[]) =>
      Float32Array.from(tied(shape), (v, i) => (i % 7 === 3 || i % 11 === 5 ? NaN : v));
    const cases: Array<[number[], number, number, 'valid' | 'same']> = [
      // 2×2 stride 2 (the native kernel): four channels at a time and the rest one by one,
      // even and odd sizes.
      [[3, 8, 8, 5], 2, 2, 'valid'],
      [[2, 7, 9, 3], 2, 2, 'valid'],
      [[2, 9, 6, 8], 2, 2, 'valid'],
      [[2, 7, 7, 4], 3, 2, 'same'],
      [[2, 6, 6, 3], 2, 1, 'valid'],
    ];
    for (const [shape, size, stride, pad] of cases) {
      for (const values of [tied(shape), random(shape, rng), withNaNs(shape)]) {
        // A distinct weight per output, so a gradient routed to the wrong position shows.
        const { wasm, cpu } = await onBoth([{ values, shape }], (x) =>
          tf.grad((a: tf.Tensor) => {
            const y = tf.maxPool(a as Tensor4D, size, stride, pad);
            return tf.sum(tf.mul(y, tf.reshape(tf.range(1, 1 + y.size), y.shape)));
          })(x),
        );
        expect(Array.from(wasm), JSON.stringify([shape, size, stride, pad])).toEqual(Array.from(cpu));
      }
    }
  });

  it('Identity and same-dtype Cast share the buffer safely; other casts still convert', async () => {
    await selectBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    const x = tf.tensor1d([1.5, -2.25, 3]);
    const copy = tf.clone(x);
    const same = tf.cast(x, 'float32');
    x.dispose();
    expect(Array.from(await copy.data())).toEqual([1.5, -2.25, 3]);
    expect(Array.from(await same.data())).toEqual([1.5, -2.25, 3]);
    const ints = tf.cast(copy, 'int32');
    expect(ints.dtype).toBe('int32');
    expect(Array.from(await ints.data())).toEqual([1, -2, 3]);
    tf.dispose([copy, same, ints]);
    expect(backend.numDataIds()).toBe(ids);
  });
});

describe('wasm products with a transposed operand, and slices', () => {
  it('BatchMatMul with either operand transposed (rank 2 and 3, broadcast batches) matches the cpu backend', async () => {
    const rng = new Rng(13);
    const cases: Array<[number[], number[], boolean, boolean]> = [
      [[7, 5], [7, 3], true, false],
      [[4, 9], [6, 9], false, true],
      [[4, 9], [9, 6], false, false],
      [[9, 4], [6, 9], true, true],
      [[3, 4, 5], [3, 4, 2], true, false],
      [[3, 4, 5], [3, 6, 5], false, true],
      // One operand's batch of 1 broadcast against the other's.
      [[1, 4, 5], [3, 6, 5], false, true],
      [[3, 7, 2], [1, 7, 5], true, false],
      [[2, 1, 3, 4], [2, 5, 3, 6], true, false],
    ];
    for (const [as, bs, ta, tb] of cases) {
      const { wasm, cpu } = await onBoth(
        [
          { values: random(as, rng), shape: as },
          { values: random(bs, rng), shape: bs },
        ],
        (a, b) => tf.matMul(a!, b!, ta, tb),
      );
      expect(maxRelativeError(wasm, cpu), JSON.stringify([as, bs, ta, tb])).toBeLessThan(1e-5);
    }
    // The result's shape, and nothing left on the heap.
    await selectBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    const a = tf.ones([1, 4, 5]);
    const b = tf.ones([3, 6, 5]);
    const y = tf.matMul(a, b, false, true);
    expect(y.shape).toEqual([3, 4, 6]);
    tf.dispose([a, b, y]);
    expect(backend.numDataIds()).toBe(ids);
  });

  it('Slice, Unpack and SplitV give the cpu backend’s pieces, for every axis and dtype', async () => {
    const pieces = async (backend: 'wasm' | 'cpu') => {
      await selectBackend(backend);
      const before = tf.memory().numTensors;
      const x = tf.tensor(
        Float32Array.from({ length: 4 * 5 * 6 }, (_, i) => i * 0.5 - 7),
        [4, 5, 6],
      );
      const ints = tf.tensor([3, -1, 4, 1, 5, 9], [2, 3], 'int32');
      const flags = tf.tensor([1, 0, 0, 1, 1, 0], [3, 2], 'bool');
      const flat = tf.reshape(x, [120]);
      const rank4 = tf.reshape(x, [2, 2, 5, 6]);
      const out = [
        tf.slice(x, [1, 0, 0], [2, -1, -1]), // contiguous
        tf.slice(x, [1, 2, 3], [3, 2, 2]), // strided on every axis
        tf.slice(x, [0, 4, 5], [-1, 1, 1]),
        tf.slice(flat, [7], [9]),
        tf.slice(rank4, [1, 0, 1, 2], [1, 2, 3, 4]),
        tf.slice(x, [0, 0, 0], [0, 5, 6]), // empty
        ...tf.unstack(x, 0),
        ...tf.unstack(x, 1),
        ...tf.unstack(x, -1),
        ...tf.split(x, 3, 2),
        ...tf.split(x, [1, -1, 2], 1),
        tf.slice(ints, [0, 1], [2, 2]),
        ...tf.unstack(ints, 1),
        ...tf.split(flags, [2, 1], 0),
      ];
      const got = await Promise.all(out.map(async (t) => [t.dtype, t.shape, Array.from(await t.data())]));
      tf.dispose([x, ints, flags, flat, rank4, ...out]);
      expect(tf.memory().numTensors).toBe(before);
      return got;
    };
    const wasm = await pieces('wasm');
    expect(wasm).toEqual(await pieces('cpu'));
    // x[i, j, k] = (30i + 6j + k) / 2 − 7; the strided slice takes i ∈ 1…3, j ∈ 2…3, k ∈ 3…4.
    const strided = [1, 2, 3].flatMap((i) =>
      [2, 3].flatMap((j) => [3, 4].map((k) => (30 * i + 6 * j + k) / 2 - 7)),
    );
    expect(wasm[1]).toEqual(['float32', [3, 2, 2], strided]);
  });
});

describe('which Winograd forward kernel a 3×3 conv takes', () => {
  it('F(4×4, 3×3) on query sets and large maps; F(2×2, 3×3) on a few images of 3×3 or 4×4', () => {
    // Where each was measured faster (bench: 75 and 5 images, conv4's and the generator's maps).
    expectTile(winogradTile, 4, [
      [75, 28],
      [75, 14],
      [75, 7],
      [75, 4],
      [75, 3],
      [64, 7],
      [5, 28],
      [5, 14],
    ]);
    expectTile(winogradTile, 2, [
      [5, 3],
      [5, 4],
      [1, 7],
      [1, 1],
    ]);
  });

  it('F(3×3, 4×4) filter gradients on query sets and large maps; F(3×3, 2×2) where it was faster', () => {
    // Measured (75 and 5 images, 16 to 128 channels): F(3×3, 4×4) 1.2–2.6× on these.
    expectTile(winogradFilterTile, 4, [
      [75, 28],
      [75, 14],
      [75, 7],
      [75, 4],
      [75, 3],
      [64, 28],
      [5, 28],
      [5, 14],
      [5, 7],
    ]);
    // F(3×3, 2×2) 1.5× on 5 images of 3×3 or 4×4 (128 channels), 1.2× on 75 of 5×5 (64).
    expectTile(winogradFilterTile, 2, [
      [5, 3],
      [5, 4],
      [75, 5],
      [1, 1],
    ]);
  });
});

/** Each n images of h×h in `maps` take the `tile` kernel by `choose`'s rule. */
function expectTile(choose: (n: number, h: number, w: number) => 2 | 4, tile: 2 | 4, maps: number[][]): void {
  for (const [n, h] of maps) expect(choose(n!, h!, h!), `${n}×${h}×${h}`).toBe(tile);
}
