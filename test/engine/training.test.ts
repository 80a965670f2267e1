/**
 * The training loop's contracts: no tensor leaks, bit-for-bit reproducibility on the CPU
 * backends, checkpoints that resume exactly, cancellation that checkpoints first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listCheckpoints,
  loadCheckpoint,
  metaTrain,
  parseExperimentConfig,
  selectBackend,
  tf,
} from '../../src-main/engine';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import { TINY_ENGINE } from '../helpers/configs';

const dataset = generateSyntheticDataset({ classes: 20, imagesPerClass: 8, size: 12, seed: 2 });
const tiny = TINY_ENGINE;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'deml-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`training loop on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    for (const learner of ['maml', 'fomaml', 'metasgd', 'protonet', 'matchingnet'] as const) {
      it(`${learner}: the tensor count after N iterations equals the count after 1`, async () => {
        const counts: number[] = [];
        const before = tf.memory().numTensors;
        await metaTrain({
          config: parseExperimentConfig({ ...tiny, learner, iterations: 8 }),
          dataset,
          callbacks: { onIteration: () => void counts.push(tf.memory().numTensors) },
        });
        expect(counts).toHaveLength(8);
        expect(new Set(counts).size).toBe(1);
        // Everything the run made is gone when it returns.
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    it('same seed, same config: the same loss curve, bit for bit; another seed differs', async () => {
      const run = async (seed: number) =>
        (await metaTrain({ config: parseExperimentConfig({ ...tiny, learner: 'metasgd', seed }), dataset }))
          .lossCurve;
      const a = await run(11);
      const b = await run(11);
      const c = await run(12);
      expect(new Float32Array(a)).toEqual(new Float32Array(b));
      expect(a).not.toEqual(c);
    });

    // On wasm only: the cpu backend runs the same trainer code, ten times slower.
    it.runIf(backend === 'wasm')(
      'a stop during a long meta-batch abandons that iteration within a task, and the resume is exact',
      async () => {
        const config = parseExperimentConfig({
          ...tiny,
          learner: 'maml',
          metaBatch: 48,
          iterations: 3,
          valEvery: 0,
          checkpointEvery: 0,
        });
        const full = await metaTrain({ config, dataset, skipTest: true });
        const dir = tempDir();
        const controller = new AbortController();
        let iterationMs = 0;
        let abortedAt = 0;
        const first = await metaTrain({
          config,
          dataset,
          checkpointDir: dir,
          signal: controller.signal,
          skipTest: true,
          callbacks: {
            onIteration: (p) => {
              if (p.iteration !== 1) return;
              iterationMs = (config.metaBatch * 1000) / p.tasksPerSecond;
              // A quarter into iteration 2: only a yield between its tasks can let this timer run.
              setTimeout(() => {
                abortedAt = performance.now();
                controller.abort();
              }, iterationMs / 4);
            },
          },
        });
        const stoppedIn = performance.now() - abortedAt;
        expect(first.status).toBe('cancelled');
        expect(first.iterations).toBe(1); // iteration 2 abandoned, not half-applied
        expect(stoppedIn).toBeLessThan(iterationMs / 2);
        const resumed = await metaTrain({
          config,
          dataset,
          checkpointDir: dir,
          resume: true,
          skipTest: true,
        });
        expect(new Float32Array([...first.lossCurve, ...resumed.lossCurve])).toEqual(
          new Float32Array(full.lossCurve),
        );
      },
    );

    it('resuming from a checkpoint gives the uninterrupted run, bit for bit', async () => {
      const config = parseExperimentConfig({ ...tiny, learner: 'maml', checkpointEvery: 2 });
      const full = await metaTrain({ config, dataset });
      // Periodic validation (valEvery 3) on the meta-validation classes.
      expect(full.validations.map((v) => [v.iteration, v.split, v.tasks])).toEqual([
        [3, 'val', 3],
        [6, 'val', 3],
      ]);

      const dir = tempDir();
      const controller = new AbortController();
      const first = await metaTrain({
        config,
        dataset,
        checkpointDir: dir,
        signal: controller.signal,
        callbacks: { onIteration: (p) => void (p.iteration === 3 && controller.abort()) },
      });
      expect(first.status).toBe('cancelled');
      expect(first.iterations).toBe(3);
      expect(first.test).toBeNull();
      // Cancellation checkpointed the iteration it stopped at.
      const saved = await listCheckpoints(dir);
      expect(saved.at(-1)).toMatch(/ckpt-00000003\.json$/);

      // The cancel hit the validation due at iteration 3: the resumed run validates there first.
      expect(first.validations).toEqual([]);
      const second = await metaTrain({
        config,
        dataset,
        checkpointDir: dir,
        resume: true,
        hasValidation: (iteration) => first.validations.some((v) => v.iteration === iteration),
      });
      expect(second.status).toBe('completed');
      expect(second.iterations).toBe(6);
      expect(second.validations.map((v) => [v.iteration, v.mean])).toEqual(
        full.validations.map((v) => [v.iteration, v.mean]),
      );
      expect(new Float32Array([...first.lossCurve, ...second.lossCurve])).toEqual(
        new Float32Array(full.lossCurve),
      );
      expect(second.test!.accuracies).toEqual(full.test!.accuracies);
    });
  });
}

describe('checkpoints', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('hold every meta-parameter (Meta-SGD rates included) and Adam state', async () => {
    const dir = tempDir();
    await metaTrain({
      config: parseExperimentConfig({ ...tiny, learner: 'metasgd', iterations: 2 }),
      dataset,
      checkpointDir: dir,
      skipTest: true,
    });
    const ckpt = await loadCheckpoint((await listCheckpoints(dir)).at(-1)!);
    expect(ckpt.iteration).toBe(2);
    expect(ckpt.adam.step).toBe(2);
    const names = Object.keys(ckpt.meta);
    expect(names).toContain('conv1.weight');
    expect(names).toContain('lr:conv1.weight');
    expect(Object.keys(ckpt.adam.m)).toEqual(names);
    expect(ckpt.header.config.learner).toBe('metasgd');
    tf.dispose([...Object.values(ckpt.meta), ...Object.values(ckpt.adam.m), ...Object.values(ckpt.adam.v)]);
  });

  it('refuse to resume into a different learner', async () => {
    const dir = tempDir();
    await metaTrain({
      config: parseExperimentConfig({ ...tiny, learner: 'maml', iterations: 2 }),
      dataset,
      checkpointDir: dir,
      skipTest: true,
    });
    await expect(
      metaTrain({
        config: parseExperimentConfig({ ...tiny, learner: 'metasgd' }),
        dataset,
        checkpointDir: dir,
        resume: true,
      }),
    ).rejects.toThrow(/learner 'maml'/);
  });
});
