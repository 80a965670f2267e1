/**
 * The freeing backward pass (autodiff/eagerBackprop.ts) against tfjs's own engine.gradients, in
 * the same process on the same inputs: every learner's meta-gradient (second order included, in
 * both spaces, on wasm's native kernels and on the cpu backend's composed ops) bit for bit the
 * same; a second-order task's peak of live tensors much lower; nothing left behind; a caller's dy
 * and gradients of tensors the walk also passes through are not disposed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LEARNERS } from '../../src-main/contract/config';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import { type ExperimentConfigInput, selectBackend, tf } from '../../src-main/engine';
import { installEagerBackprop, uninstallEagerBackprop } from '../../src-main/engine/autodiff/eagerBackprop';
import type { Tensor } from '../../src-main/engine/tf';
import { gradientTask } from '../helpers/taskGradients';

const dataset = generateSyntheticDataset({ classes: 20, imagesPerClass: 6, size: 8, seed: 3 });
const external = generateSyntheticDataset({ classes: 6, imagesPerClass: 6, size: 8, seed: 99 });

const SMALL: ExperimentConfigInput = {
  ways: 3,
  shots: 1,
  queries: 3,
  metaBatch: 2,
  innerSteps: 3,
  model: { filters: 8, blocks: 2 },
  concept: { generator: { stages: [1, 1], width: 8, conceptSize: 8 }, head: [8], externalBatch: 6 },
  mann: { instances: 2, memorySlots: 8, slotSize: 4, readHeads: 1, controllerSize: 8, batch: 1 },
  siamese: { pairs: 8 },
};

/** One task's meta-gradient (and in the concept space D's term) as raw bits, and the peak of live bytes. */
async function gradientBits(
  input: ExperimentConfigInput,
): Promise<{ bits: Record<string, Uint32Array>; peak: number }> {
  const task = gradientTask(input, dataset, external, 6);
  const before = tf.memory().numTensors;
  let out: Record<string, Tensor> = {};
  const profile = await tf.profile(() => {
    out = tf.tidy(() => task.gradients());
  });
  const bits: Record<string, Uint32Array> = {};
  for (const [n, t] of Object.entries(out))
    bits[n] = new Uint32Array(((await t.data()) as Float32Array).slice().buffer);
  tf.dispose([...Object.values(out), ...Object.values(task.meta)]);
  expect(tf.memory().numTensors, 'tensors left behind').toBe(before - Object.keys(task.meta).length);
  return { bits, peak: profile.peakBytes };
}

async function both(input: ExperimentConfigInput) {
  uninstallEagerBackprop();
  const tfjs = tf.engine().gradients;
  const stock = await gradientBits(input);
  installEagerBackprop();
  expect(tf.engine().gradients, 'the freeing walk is installed').not.toBe(tfjs);
  const eager = await gradientBits(input);
  return { stock, eager };
}

describe.each(['wasm', 'cpu'] as const)('the freeing backward pass on %s', (backend) => {
  afterAll(() => installEagerBackprop());

  for (const space of ['pixels', 'concept'] as const) {
    it(`gives every learner's meta-gradient bit for bit, ${space}`, async () => {
      await selectBackend(backend);
      for (const learner of LEARNERS) {
        const { stock, eager } = await both({ ...SMALL, learner, space });
        expect(Object.keys(eager.bits).sort(), learner).toEqual(Object.keys(stock.bits).sort());
        for (const [name, want] of Object.entries(stock.bits)) {
          expect(
            Buffer.from(eager.bits[name]!.buffer).equals(Buffer.from(want.buffer)),
            `${learner} ${name}`,
          ).toBe(true);
        }
      }
    }, 300_000);
  }

  it('holds far less at a second-order task’s peak', async () => {
    await selectBackend(backend);
    const { stock, eager } = await both({ ...SMALL, learner: 'maml', innerSteps: 5, queries: 5 });
    // 0.51-0.57 of tfjs's peak here (0.58 of its heap on the miniImageNet shape).
    expect(eager.peak).toBeLessThan(0.75 * stock.peak);
  }, 120_000);
});

describe('what the walk must not free', () => {
  it('the caller’s dy, an x that is also on the path, and values kept from the forward pass', async () => {
    await selectBackend('cpu');
    installEagerBackprop();
    const x = tf.tensor1d([1, 2, 3]);
    const dy = tf.tensor1d([1, 1, 1]);
    const before = tf.memory().numTensors;
    // y = x·x + x: x reaches y on two paths, so its gradient is a running sum.
    const { value, grads } = tf.engine().gradients(() => tf.add(tf.mul(x, x), x), [x], dy);
    expect(dy.isDisposed).toBe(false);
    expect(Array.from(await grads[0]!.data())).toEqual([3, 5, 7]);
    expect(Array.from(await value.data())).toEqual([2, 6, 12]);
    tf.dispose([value, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy]);
  });
});
