/** Bad configs are refused before any work, with a message naming the field. */
import { describe, expect, it } from 'vitest';
import { type ExperimentConfigInput, parseExperimentConfig } from '../../src-main/contract/config';
import { EvaluationRequestSchema, evaluationSettings } from '../../src-main/contract/evaluation';
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
    ['unknown learner', { learner: 'leo' }, 'learner'],
    ['unknown backend', { backend: 'metal' }, 'backend'],
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
    [
      'a MANN memory smaller than its episode',
      { learner: 'mann', mann: { memorySlots: 20 } },
      'mann.memorySlots',
    ],
    ['a MANN with one presentation per class', { learner: 'mann', mann: { instances: 1 } }, 'mann.instances'],
    ['a Siamese positive fraction of 0', { siamese: { positiveFraction: 0 } }, 'siamese.positiveFraction'],
    ['a Siamese positive fraction of 1', { siamese: { positiveFraction: 1 } }, 'siamese.positiveFraction'],
  ];
  for (const [what, input, field] of bad) {
    it(`refuses ${what}, naming '${field}'`, () => {
      expect(issueFields(() => parseExperimentConfig(input))).toContain(field);
    });
  }

  it('the message names the setting by its label and says what is wrong, with no config path', () => {
    expect(() => parseExperimentConfig({ innerLr: -1 })).toThrow(
      /^Inner learning rate α: must be greater than 0$/,
    );
    expect(() => parseExperimentConfig({ concept: { generator: { stages: [1, 0] } } })).toThrow(
      /^Generator stages, item 2: must be greater than 0$/,
    );
    expect(() => parseExperimentConfig({ model: { filters: Number.NaN } })).toThrow(
      /^Filters per conv block: must be a number$/,
    );
    expect(() => parseExperimentConfig({ learner: 'mann', ways: 5, mann: { memorySlots: 20 } })).toThrow(
      /Memory slots: 20 slots cannot hold an episode of 5 classes × 10 instances \(50 writes\); give at least 50/,
    );
    expect(() => parseExperimentConfig({ learner: 'mann', mann: { instances: 1 } })).toThrow(
      /Presentations per class: must be at least 2: the first presentation of a class is a guess/,
    );
    expect(() => parseExperimentConfig({ siamese: { positiveFraction: 1.5 } })).toThrow(
      /Same-class pairs: must be between 0 and 1 \(exclusive\)/,
    );
    // A small memory is fine for the learners that have none.
    expect(parseExperimentConfig({ learner: 'maml', mann: { memorySlots: 20 } }).mann.memorySlots).toBe(20);
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

describe('evaluation requests', () => {
  it('an episode file’s paths stay in its folder unless the request allows them out', () => {
    const run = parseExperimentConfig({});
    expect(evaluationSettings({ episodeFile: 'e.json' }, run).episodePathsOutside).toBe(false);
    const allowed = EvaluationRequestSchema.parse({ episodeFile: 'e.json', episodePathsOutside: true });
    expect(evaluationSettings(allowed, run).episodePathsOutside).toBe(true);
  });
});
