import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ExperimentConfigSchema,
  SETTINGS,
  parseExperimentConfig,
  settingLabel,
} from '../../src-main/contract/config';
import { configReferenceMarkdown } from '../../src-main/contract/configReference';
import { LEARNERS, readsSetting } from '../../src-main/contract/learners';
import { SETTING_GROUPS, describeSettings } from '../../src-main/contract/settings';
import { TRAIN_FLAGS, TRAIN_OPTIONS, configFromFlags } from '../../src-main/cli/args';
import { z } from 'zod';

/** Every leaf of a parsed config, as a dotted path (lists and the split are one setting each). */
function leaves(value: unknown, path: string[] = []): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [path.join('.')];
  if (path.join('.') === 'split') return ['split'];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
}

describe('settings described once', () => {
  it('every field of a config is a described setting, except the constant network kind', () => {
    const paths = SETTINGS.map((s) => s.path);
    const config = parseExperimentConfig({ concept: { generatorLr: 0.01 } });
    expect(
      leaves(config)
        .filter((p) => p !== 'model.kind')
        .sort(),
    ).toEqual([...paths].sort());
  });

  it('flags and labels are unique, every group is known, and each has one line of help', () => {
    expect(new Set(SETTINGS.map((s) => s.flag)).size).toBe(SETTINGS.length);
    expect(new Set(SETTINGS.map((s) => s.label)).size).toBe(SETTINGS.length);
    for (const s of SETTINGS) {
      expect(SETTING_GROUPS).toContain(s.group);
      expect(s.help.length).toBeGreaterThan(10);
      expect(s.help).not.toMatch(/\n/);
      for (const l of s.learners ?? []) expect(LEARNERS).toContain(l);
    }
  });

  it('defaults are the schema’s own: a config of defaults round-trips through the flags', () => {
    const defaults = ExperimentConfigSchema.parse({});
    for (const s of SETTINGS) {
      const at = s.path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], defaults);
      expect(s.defaultValue, s.path).toEqual(at);
    }
    // Each flag writes its own path: set one non-default value per flag and read it back.
    const config = configFromFlags(
      {},
      {
        'meta-batch': '7',
        stages: '2,2',
        'split-fractions': '0.5,0.25,0.25',
        gamma: 'learned',
        'reptile-step': '0.5',
      },
    );
    expect(config.metaBatch).toBe(7);
    expect(config.concept.generator.stages).toEqual([2, 2]);
    expect(config.split).toEqual({ train: 0.5, val: 0.25, test: 0.25 });
    expect(config.mann.gamma).toBe('learned');
    expect(config.reptile.stepSize).toBe(0.5);
  });

  it('the CLI’s flags and help are the settings’, in the schema’s order', () => {
    expect(Object.keys(TRAIN_FLAGS)).toEqual(SETTINGS.map((s) => s.flag));
    const ways = TRAIN_OPTIONS.find((o) => o.flag === 'ways')!;
    expect(ways.help).toBe('Ways: classes per task (N) (default 5 classes)');
    expect(ways.group).toBe('Tasks');
    expect(TRAIN_OPTIONS.find((o) => o.flag === 'learner')!.choices).toEqual(LEARNERS);
    expect(TRAIN_OPTIONS.find((o) => o.flag === 'pairs')!.help).toMatch(/\[siamese\]$/);
  });

  it('a setting without a description is refused when the list is built', () => {
    const schema = z.object({ ways: z.number().default(1) });
    expect(() => describeSettings(schema, schema.parse({}))).toThrow(/setting ways has no description/);
  });

  it('fields read as labels, with the item of a list', () => {
    expect(settingLabel('concept.generator.stages.1')).toBe('Generator stages, item 2');
    expect(settingLabel('split.train')).toBe('Class split (train)');
    expect(settingLabel('mann.batch')).toBe('Sequences per task');
    expect(settingLabel('episodeFile')).toBe('Episode file');
  });

  it('a setting is offered where a learner reads it, by the rule comparisons group runs by', () => {
    const reads = (path: string, learner: (typeof LEARNERS)[number], space: 'pixels' | 'concept') =>
      readsSetting(path, { learner, space });
    // Meta-SGD's inner rates are learned from their own initial range, never from α.
    expect(reads('innerLr', 'maml', 'pixels')).toBe(true);
    expect(reads('innerLr', 'metasgd', 'pixels')).toBe(false);
    expect(reads('metaSgdInit', 'metasgd', 'concept')).toBe(true);
    // A MANN reads sequences of presentations from the image itself: no shots, queries or conv4.
    expect(reads('shots', 'mann', 'pixels')).toBe(false);
    expect(reads('model.filters', 'mann', 'pixels')).toBe(false);
    expect(reads('mann.memorySlots', 'mann', 'pixels')).toBe(true);
    expect(reads('model.filters', 'protonet', 'pixels')).toBe(true);
    expect(reads('model.filters', 'protonet', 'concept')).toBe(false);
    // Reptile's θ moves by ε: β drives only G and D, which the pixels have not.
    expect(reads('metaLr', 'reptile', 'pixels')).toBe(false);
    expect(reads('metaLr', 'reptile', 'concept')).toBe(true);
    expect(reads('concept.lambda', 'maml', 'pixels')).toBe(false);
    expect(reads('concept.lambda', 'maml', 'concept')).toBe(true);
    expect(configReferenceMarkdown()).toMatch(
      /^\| Inner learning rate α \|.*\| MAML, FOMAML, Reptile, ANIL \|/m,
    );
  });

  it('docs/config.md is the reference generated from the schema (npm run docs:config)', () => {
    // Prettier aligns the tables' columns: compare with runs of spaces and dashes collapsed.
    const normal = (text: string) =>
      text
        .split('\n')
        .map((l) => l.replace(/-{3,}/g, '---').replace(/\s+/g, ' ').trim())
        .filter(Boolean);
    expect(normal(readFileSync('docs/config.md', 'utf8'))).toEqual(normal(configReferenceMarkdown()));
  });
});
