/** Configs checked against their dataset before any work, with a message naming the field. */
import { describe, expect, it } from 'vitest';
import { estimateTrainingMemory } from '../../src-main/engine/memoryEstimate';
import {
  ConfigError,
  metaTrain,
  parseExperimentConfig,
  selectBackend,
  validateAgainstDataset,
} from '../../src-main/engine';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import { issueFields } from '../helpers/configs';

describe('config against the dataset', () => {
  const dataset = generateSyntheticDataset({ classes: 20, imagesPerClass: 6, size: 12 });

  it('refuses, before allocating, a config whose estimated memory exceeds the machine’s, naming what drives it', () => {
    const base = { ways: 3, shots: 1, queries: 2, model: { blocks: 3 } } as const;
    const check = (c: object) => () =>
      validateAgainstDataset(parseExperimentConfig({ ...base, ...c }), dataset);
    expect(issueFields(check({ model: { blocks: 3, filters: 20000 } }))).toEqual(['model.filters']);
    expect(check({ model: { blocks: 3, filters: 20000 } })).toThrow(
      /this config needs about \d+\.\d GiB of memory \(mostly .*\), more than this machine's .* can give; lower the filters per conv block$/,
    );
    expect(issueFields(check({ metaBatch: 1e9 }))).toEqual(['metaBatch']);
    expect(issueFields(check({ innerSteps: 1e6 }))).toEqual(['innerSteps']);
    // First order keeps no inner graph: a million steps take time, not memory.
    expect(check({ innerSteps: 1e6, learner: 'fomaml' })).not.toThrow();
    expect(check({})).not.toThrow();
  });

  it('does not under-count second order: within the peak RSS bench/speed.ts measured, on 2 threads', () => {
    // Peak RSS (MiB) of whole training processes (README, "Results"), against the estimate's bytes:
    // on wasm with batch norm's second derivative as native kernels (the default, 'auto'), and
    // before those kernels, when it was composed of tfjs ops as it still is on cpu and tensorflow.
    const measured: Array<[object, [number, number, number], number]> = [
      [{}, [28, 28, 1], 574 * 2 ** 20],
      [{ innerSteps: 5 }, [28, 28, 1], 722 * 2 ** 20],
      [{ shots: 5 }, [28, 28, 1], 687 * 2 ** 20],
      [{ model: { filters: 32, blocks: 4 }, innerSteps: 5 }, [84, 84, 3], 1932 * 2 ** 20],
      [{ backend: 'cpu' }, [28, 28, 1], 647 * 2 ** 20],
      [{ backend: 'cpu', innerSteps: 5 }, [28, 28, 1], 1163 * 2 ** 20],
      [{ backend: 'cpu', shots: 5 }, [28, 28, 1], 1070 * 2 ** 20],
      [{ backend: 'cpu', model: { filters: 32, blocks: 4 }, innerSteps: 5 }, [84, 84, 3], 3614 * 2 ** 20],
    ];
    for (const [change, [height, width, channels], peak] of measured) {
      const config = parseExperimentConfig({
        ways: 5,
        shots: 1,
        queries: 15,
        metaBatch: 4,
        innerLr: 0.4,
        model: { filters: 64, blocks: 4 },
        ...change,
      });
      const bytes = estimateTrainingMemory(
        config,
        { height, width, channels },
        2000 * height * width * channels,
        2,
      ).bytes;
      expect(bytes / peak, JSON.stringify(change)).toBeGreaterThan(0.9);
      expect(bytes / peak, JSON.stringify(change)).toBeLessThan(1.35);
    }
  });

  it('refuses more ways than a split has classes', () => {
    const config = parseExperimentConfig({ ways: 5, model: { blocks: 3 } }); // 20% of 20 classes = 4 meta-test classes
    expect(() => validateAgainstDataset(config, dataset)).toThrow(
      /Ways: 5-way tasks need 5 classes but the meta-test split .* has 4/,
    );
  });

  it('refuses shots + queries above the images per class', () => {
    const config = parseExperimentConfig({ ways: 3, shots: 2, queries: 5, model: { blocks: 3 } });
    expect(issueFields(() => validateAgainstDataset(config, dataset))).toEqual(['shots']);
    expect(() => validateAgainstDataset(config, dataset)).toThrow(/shots \+ queries = 7 images per class/);
  });

  it('refuses a network that shrinks the image to nothing', () => {
    const config = parseExperimentConfig({ ways: 3, shots: 1, queries: 2, model: { blocks: 4 } }); // 12 → 6 → 3 → 1 → 0
    expect(issueFields(() => validateAgainstDataset(config, dataset))).toEqual(['model.blocks']);
  });

  it('reports every problem at once', () => {
    const config = parseExperimentConfig({ ways: 9, shots: 5, queries: 5, model: { blocks: 5 } });
    expect(issueFields(() => validateAgainstDataset(config, dataset)).sort()).toEqual([
      'model.blocks',
      'shots',
      'ways',
    ]);
  });

  it('metaTrain refuses before any work (no callback runs)', async () => {
    await selectBackend('cpu');
    let started = false;
    await expect(
      metaTrain({
        config: parseExperimentConfig({ ways: 9 }),
        dataset,
        callbacks: { onStart: () => void (started = true) },
      }),
    ).rejects.toBeInstanceOf(ConfigError);
    expect(started).toBe(false);
  });
});
