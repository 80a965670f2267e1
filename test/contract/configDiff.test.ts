import { describe, expect, it } from 'vitest';
import { parseExperimentConfig } from '../../src-main/contract/config';
import { configDiff } from '../../src-main/contract/configDiff';

describe('the config diff of two runs', () => {
  it('lists the settings that differ by label, in the schema’s order, with "not used" where one never reads it', () => {
    const a = parseExperimentConfig({ learner: 'maml', innerLr: 0.4, metaLr: 0.001, seed: 0 });
    const b = parseExperimentConfig({ learner: 'metasgd', innerLr: 0.1, metaLr: 0.003, seed: 1 });
    expect(configDiff(a, b)).toEqual([
      { path: 'learner', label: 'Learner', a: 'maml', b: 'metasgd' },
      // Meta-SGD learns its rates: α is not used by it.
      { path: 'innerLr', label: 'Inner learning rate α', a: 0.4, b: null },
      { path: 'metaLr', label: 'Meta learning rate β', a: 0.001, b: 0.003 },
      { path: 'metaSgdInit', label: "Meta-SGD's initial rates", a: null, b: '0.005,0.1' },
      { path: 'seed', label: 'Seed', a: 0, b: 1 },
    ]);
    expect(configDiff(a, a)).toEqual([]);
  });

  it('a pixel run against a concept run: the space, and each side’s own network', () => {
    const pixels = parseExperimentConfig({ space: 'pixels' });
    const concept = parseExperimentConfig({ space: 'concept' });
    const diff = configDiff(pixels, concept);
    expect(diff[0]).toMatchObject({ label: 'Space', a: 'pixels', b: 'concept' });
    expect(diff.find((d) => d.path === 'model.filters')).toMatchObject({ a: 64, b: null });
    expect(diff.find((d) => d.path === 'model.kind')).toBeUndefined(); // a constant, not a setting
    expect(diff.find((d) => d.path === 'concept.generator.width')).toMatchObject({
      label: 'Generator width',
      a: null,
      b: 16,
    });
  });
});

describe('settings a learner never reads', () => {
  it('Reptile on the pixels never reads β (ε steps θ); in the concept space β still drives G and D', () => {
    const a = parseExperimentConfig({ learner: 'reptile', metaLr: 0.001 });
    const b = parseExperimentConfig({ learner: 'reptile', metaLr: 0.01 });
    expect(configDiff(a, b)).toEqual([]);
    const ca = parseExperimentConfig({ learner: 'reptile', space: 'concept', metaLr: 0.001 });
    const cb = parseExperimentConfig({ learner: 'reptile', space: 'concept', metaLr: 0.01 });
    expect(configDiff(ca, cb).map((d) => d.path)).toEqual(['metaLr']);
  });
});
