/** Bad configs are refused before any work, with a message naming the field. */
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  metaTrain,
  parseExperimentConfig,
  selectBackend,
  validateAgainstDataset,
  type ExperimentConfigInput,
} from '../../src-main/engine';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';

function issueFields(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => i.field);
  }
  throw new Error('expected a ConfigError');
}

describe('config shape', () => {
  it('fills documented defaults', () => {
    const c = parseExperimentConfig({});
    expect(c).toMatchObject({
      learner: 'maml',
      ways: 5,
      shots: 1,
      queries: 15,
      innerSteps: 1,
      testInnerSteps: 3,
      innerLr: 0.4,
      metaLr: 0.001,
      evalTasks: 600,
      backend: 'auto',
      model: { kind: 'conv4', filters: 64, blocks: 4, activation: 'relu', downsample: 'maxpool' },
    });
  });

  const bad: Array<[string, ExperimentConfigInput | Record<string, unknown>, string]> = [
    ['unknown learner', { learner: 'reptile' }, 'learner'],
    ['unknown backend', { backend: 'webgpu' }, 'backend'],
    ['zero inner lr', { innerLr: 0 }, 'innerLr'],
    ['negative meta lr', { metaLr: -0.001 }, 'metaLr'],
    ['zero inner steps', { innerSteps: 0 }, 'innerSteps'],
    ['fractional test steps', { testInnerSteps: 1.5 }, 'testInnerSteps'],
    ['one way', { ways: 1 }, 'ways'],
    ['zero shots', { shots: 0 }, 'shots'],
    ['zero meta-batch', { metaBatch: 0 }, 'metaBatch'],
    ['Meta-SGD range upside down', { metaSgdInit: [0.1, 0.01] }, 'metaSgdInit'],
    ['split not summing to 1', { split: { train: 0.5, val: 0.1, test: 0.1 } }, 'split'],
    ['zero filters', { model: { filters: 0 } }, 'model.filters'],
    ['unknown field (typo)', { inner_lr: 0.1 }, '(config)'],
  ];
  for (const [what, input, field] of bad) {
    it(`refuses ${what}, naming '${field}'`, () => {
      expect(issueFields(() => parseExperimentConfig(input))).toContain(field);
    });
  }

  it('the message names the field and says what is wrong', () => {
    expect(() => parseExperimentConfig({ innerLr: -1 })).toThrow(/innerLr: .*>0/);
  });
});

describe('config against the dataset', () => {
  const dataset = generateSyntheticDataset({ classes: 20, imagesPerClass: 6, size: 12 });

  it('refuses more ways than a split has classes', () => {
    const config = parseExperimentConfig({ ways: 5, model: { blocks: 3 } }); // 20% of 20 classes = 4 meta-test classes
    expect(() => validateAgainstDataset(config, dataset)).toThrow(
      /ways: 5-way tasks need 5 classes but the meta-test split .* has 4/,
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
