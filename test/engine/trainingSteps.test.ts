/**
 * metaTrain's steps one at a time: a session opened fresh or from a checkpoint, one meta-step,
 * DEML's pretraining and joint gradient, validation timing, and a close that leaves no tensor.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LEARNERS, LEARNER_INFO } from '../../src-main/contract/learners';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import { jointGradient } from '../../src-main/engine/deml';
import { buildModel } from '../../src-main/engine/model';
import { metaStep } from '../../src-main/engine/training/metaStep';
import { pretrain } from '../../src-main/engine/training/pretrain';
import {
  checkpointSession,
  closeSession,
  openSession,
  validationDue,
} from '../../src-main/engine/training/session';
import {
  type ExperimentConfigInput,
  type Params,
  parseExperimentConfig,
  selectBackend,
  tf,
} from '../../src-main/engine';
import { TINY_ENGINE } from '../helpers/configs';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-steps');
const dataset = generateSyntheticDataset({ classes: 20, imagesPerClass: 8, size: 12, seed: 2 });
const external = generateSyntheticDataset({ classes: 10, imagesPerClass: 8, size: 12, seed: 3 });
const tiny = TINY_ENGINE;
const conceptTiny: ExperimentConfigInput = {
  ...tiny,
  space: 'concept',
  concept: { generator: { stages: [1], width: 4, conceptSize: 8 }, head: [8], externalBatch: 6 },
};

const values = (p: Params) =>
  Object.fromEntries(Object.entries(p).map(([k, t]) => [k, Array.from(t.dataSync())]));

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('a training session', () => {
  it('a meta-step moves the parameters and counts the iteration; closing leaves no tensor', async () => {
    const before = tf.memory().numTensors;
    const s = await openSession({ config: parseExperimentConfig(tiny), dataset });
    expect([s.state.iteration, s.startIteration, s.resumedFrom]).toEqual([0, 0, null]);
    const initial = values(s.state.meta);
    const step = await metaStep(s);
    expect(s.state.iteration).toBe(1);
    expect(s.state.adam.step).toBe(1);
    expect(Number.isFinite(step.loss)).toBe(true);
    expect(step.accuracy).toBeGreaterThanOrEqual(0);
    expect(step.discrimination).toBeNull();
    const moved = values(s.state.meta);
    for (const name of Object.keys(initial)) expect(moved[name], name).not.toEqual(initial[name]);
    expect([1, 2, 3, 6].map((i) => validationDue(s, i))).toEqual([false, false, true, true]);
    await closeSession(s);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a session resumed from a checkpoint carries on exactly as the one that saved it', async () => {
    const config = parseExperimentConfig(tiny);
    const dir = tempDir();
    const a = await openSession({ config, dataset });
    await metaStep(a);
    await metaStep(a);
    await checkpointSession(a, dir, 2);
    const next = await metaStep(a);
    const b = await openSession({ config, dataset, checkpointDir: dir, resume: true });
    expect([b.state.iteration, b.startIteration]).toEqual([2, 2]);
    expect(b.resumedFrom).toMatch(/ckpt-00000002\.json$/);
    const again = await metaStep(b);
    expect(again.loss).toBe(next.loss); // same parameters, Adam state and episodes, bit for bit
    expect(values(b.state.meta)).toEqual(values(a.state.meta));
    await closeSession(a);
    await closeSession(b);
  });

  it('pretraining moves G and D only; a concept meta-step reports the discriminator', async () => {
    const config = parseExperimentConfig({
      ...conceptTiny,
      concept: { ...conceptTiny.concept, pretrainIterations: 2 },
    });
    const s = await openSession({ config, dataset, external });
    const initial = values(s.state.meta);
    const seen: number[] = [];
    expect(await pretrain(s, (p) => void seen.push(p.iteration), undefined)).toBe(true);
    expect(seen).toEqual([1, 2]);
    expect(s.state.iteration).toBe(0);
    const after = values(s.state.meta);
    for (const name of Object.keys(initial)) {
      if (name.startsWith('M.')) expect(after[name], name).toEqual(initial[name]);
      else expect(after[name], name).not.toEqual(initial[name]);
    }
    const step = await metaStep(s);
    expect(step.discrimination).not.toBeNull();
    expect(step.discrimination!.accuracy).toBeGreaterThanOrEqual(0);
    const cancelled = new AbortController();
    cancelled.abort();
    expect(await pretrain(s, undefined, cancelled.signal)).toBe(false);
    await closeSession(s);
  });
});

describe('DEML’s joint gradient', () => {
  it('adds λ·∇ℓ_D into the meta-batch’s gradient: G gets both, D only ℓ_D, M only the meta loss', async () => {
    const before = tf.memory().numTensors;
    const meta = { 'G.w': tf.scalar(0), 'M.w': tf.scalar(0), 'D.w': tf.scalar(0) };
    const out = await jointGradient(
      meta,
      async (meanwhile) => {
        meanwhile();
        return {
          grads: { 'G.w': tf.scalar(1), 'M.w': tf.scalar(2) },
          loss: tf.scalar(0.5),
          accuracy: tf.scalar(0.25),
        };
      },
      () => ({
        grads: { 'G.w': tf.scalar(10), 'D.w': tf.scalar(20) },
        loss: tf.scalar(3),
        accuracy: tf.scalar(0.75),
      }),
      2,
    );
    expect(values(out.grads)).toEqual({ 'G.w': [11], 'M.w': [2], 'D.w': [20] });
    expect(out.loss.dataSync()[0]).toBe(0.5);
    expect(out.discrimination!.loss.dataSync()[0]).toBe(1.5); // ℓ_D unweighted: 3 / λ
    expect(out.discrimination!.accuracy.dataSync()[0]).toBe(0.75);
    tf.dispose([...Object.values(out.grads), out.loss, out.accuracy, out.discrimination!.loss]);
    tf.dispose([out.discrimination!.accuracy, ...Object.values(meta)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('learners', () => {
  it('adapt at test time exactly where the contract says they do', () => {
    for (const learner of LEARNERS) {
      const model = buildModel(parseExperimentConfig({ ...tiny, learner }), dataset);
      expect(model.learner.adaptsAtTestTime, learner).toBe(LEARNER_INFO[learner].adaptsAtTestTime);
    }
  });
});
