/** The new-experiment form as data: duplicating an experiment, and drafts that survive leaving the page. */
import { describe, expect, it } from 'vitest';
import { ExperimentConfigSchema, parseExperimentConfig } from '../../src-main/contract/config';
import {
  blankForm,
  configOf,
  formFromExperiment,
  loadDraft,
  saveDraft,
} from '../../src-renderer/src/forms/experimentForm';

/** A Storage as browsers have it, in memory. */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

describe('the new-experiment form', () => {
  it('the blank form gives the schema’s defaults back', () => {
    expect(parseExperimentConfig(configOf(blankForm(), 'auto'))).toEqual(ExperimentConfigSchema.parse({}));
  });

  it('the class split round-trips through its field, and a malformed one is named by the schema', () => {
    const form = { ...blankForm(), splitFractions: '0.5, 0.1, 0.4' };
    expect(parseExperimentConfig(configOf(form, 'auto')).split).toEqual({ train: 0.5, val: 0.1, test: 0.4 });
    const bad = ExperimentConfigSchema.safeParse(
      configOf({ ...blankForm(), splitFractions: '0.5, 0.5' }, 'auto'),
    );
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.some((i) => i.path[0] === 'split')).toBe(true);
  });

  it('duplicating a comparison: its learners, seeds and cells come back, and the configs match', () => {
    const base = {
      data: 'glyphs',
      iterations: 77,
      space: 'concept',
      concept: { generator: { stages: [2, 1] } },
    } as const;
    const runs = [
      parseExperimentConfig({ ...base, learner: 'maml', shots: 1, seed: 0 }),
      parseExperimentConfig({ ...base, learner: 'maml', shots: 1, seed: 1 }),
      parseExperimentConfig({ ...base, learner: 'metasgd', shots: 5, seed: 0 }),
      parseExperimentConfig({ ...base, learner: 'metasgd', shots: 5, seed: 1 }),
    ];
    const { form, variants } = formFromExperiment(
      { name: 'study', description: 'd', tags: ['preset:x'], config: runs[0]! },
      runs,
    );
    expect(form).toMatchObject({ name: 'study (copy)', tags: 'preset:x', seeds: '0, 1', iterations: 77 });
    expect(form.learners).toEqual(['maml', 'metasgd']);
    expect(form.generatorStages).toBe('2,1');
    expect(variants!.map((v) => v.config)).toEqual([
      { learner: 'maml', shots: 1 },
      { learner: 'metasgd', shots: 5 },
    ]);
    // What the form would send gives back each original cell.
    const sent = configOf(form, 'auto');
    expect(parseExperimentConfig({ ...sent, ...variants![1]!.config, seed: 1 })).toEqual(runs[3]);
    // Learners alone: no variants, the learners' checkboxes carry them.
    const plain = formFromExperiment({ name: 'p', description: '', tags: [], config: runs[0]! }, [
      runs[0]!,
      parseExperimentConfig({ ...base, learner: 'protonet', shots: 1 }),
    ]);
    expect(plain.variants).toBeNull();
    expect(plain.form.learners).toEqual(['maml', 'protonet']);
  });

  it('a draft survives leaving the page, and one from an older form keeps today’s defaults', () => {
    const storage = memoryStorage();
    const form = { ...blankForm(), name: 'half-typed', iterations: 42 };
    saveDraft(storage, form, null);
    expect(loadDraft(storage)!.form).toEqual(form);
    storage.setItem(
      'deml.newExperimentDraft',
      JSON.stringify({ form: { name: 'old', ways: 'five', gone: 1 } }),
    );
    const old = loadDraft(storage)!.form;
    expect(old.name).toBe('old');
    expect(old.ways).toBe(blankForm().ways); // wrong type: the default
    expect('gone' in old).toBe(false);
    storage.setItem('deml.newExperimentDraft', '{not json');
    expect(loadDraft(storage)).toBeNull();
  });
});
