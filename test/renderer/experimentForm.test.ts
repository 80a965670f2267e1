/** The new-experiment form as data: duplicating an experiment, and drafts that survive leaving the page. */
import { describe, expect, it } from 'vitest';
import { ExperimentConfigSchema, SETTINGS, parseExperimentConfig } from '../../src-main/contract/config';
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
  it('the blank form gives the schema’s defaults back, and every setting but its own fields has a field', () => {
    expect(parseExperimentConfig(configOf(blankForm(), 'auto'))).toEqual(ExperimentConfigSchema.parse({}));
    expect(Object.keys(blankForm().settings)).toEqual(
      SETTINGS.filter((s) => !['learner', 'seed', 'backend'].includes(s.path)).map((s) => s.path),
    );
  });

  it('each setting’s field round-trips a non-default value into the config', () => {
    const blank = blankForm();
    const form = {
      ...blank,
      settings: {
        ...blank.settings,
        space: 'concept',
        'concept.generatorLr': '0.02',
        'mann.gamma': 'learned',
        metaSgdInit: '0.01, 0.2',
        'concept.head': '32',
        'reptile.stepSize': 0.5,
        'model.activation': 'tanh',
      },
    };
    const c = parseExperimentConfig(configOf(form, 'wasm'));
    expect(c.concept.generatorLr).toBe(0.02);
    expect(c.mann.gamma).toBe('learned');
    expect(c.metaSgdInit).toEqual([0.01, 0.2]);
    expect(c.concept.head).toEqual([32]);
    expect(c.reptile.stepSize).toBe(0.5);
    // The pixels' network is not sent with a concept-space config: the schema's defaults stand.
    expect(configOf(form, 'wasm').model).toBeUndefined();
    expect(c.model.activation).toBe('relu');
    expect(c.backend).toBe('wasm');
  });

  it('the class split round-trips through its field, and a malformed one is named by the schema', () => {
    const blank = blankForm();
    const form = { ...blank, settings: { ...blank.settings, split: '0.5, 0.1, 0.4' } };
    expect(parseExperimentConfig(configOf(form, 'auto')).split).toEqual({ train: 0.5, val: 0.1, test: 0.4 });
    const bad = ExperimentConfigSchema.safeParse(
      configOf({ ...blank, settings: { ...blank.settings, split: '0.5, 0.5' } }, 'auto'),
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
    expect(form).toMatchObject({ name: 'study (copy)', tags: 'preset:x', seeds: '0, 1' });
    expect(form.settings.iterations).toBe(77);
    expect(form.learners).toEqual(['maml', 'metasgd']);
    expect(form.settings['concept.generator.stages']).toBe('2,1');
    // Cells read by the settings' labels, not as config paths.
    expect(variants!.map((v) => v.label)).toEqual(['MAML · Shots 1', 'Meta-SGD · Shots 5']);
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
    const blank = blankForm();
    const form = { ...blank, name: 'half-typed', settings: { ...blank.settings, iterations: 42 } };
    saveDraft(storage, form, null);
    expect(loadDraft(storage)!.form).toEqual(form);
    storage.setItem(
      'deml.newExperimentDraft',
      JSON.stringify({
        form: { name: 'old', gone: 1, settings: { ways: 'five', shots: 3, 'old.setting': 1 } },
      }),
    );
    const old = loadDraft(storage)!.form;
    expect(old.name).toBe('old');
    expect(old.settings.ways).toBe(blankForm().settings.ways); // wrong type: the default
    expect(old.settings.shots).toBe(3);
    expect('gone' in old).toBe(false);
    expect('old.setting' in old.settings).toBe(false);
    storage.setItem('deml.newExperimentDraft', '{not json');
    expect(loadDraft(storage)).toBeNull();
  });
});
