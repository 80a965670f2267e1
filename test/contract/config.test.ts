/** Bad configs are refused before any work, with a message naming the field. */
import { describe, expect, it } from 'vitest';
import { type ExperimentConfigInput, parseExperimentConfig } from '../../src-main/contract/config';
import { LEARNERS, LEARNER_INFO } from '../../src-main/contract/learners';
import { issueFields } from '../helpers/configs';

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

describe('learners', () => {
  it('every learner has a label, a short name and a family', () => {
    for (const l of LEARNERS) {
      expect(LEARNER_INFO[l].label.length).toBeGreaterThan(0);
      expect(LEARNER_INFO[l].short.length).toBeGreaterThan(0);
      expect(['optimisation', 'metric', 'model']).toContain(LEARNER_INFO[l].family);
    }
  });
});
