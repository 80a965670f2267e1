/**
 * The compare page's group names: the learner's short name and the settings' labels, never dotted
 * config paths, and only as many settings as tell the groups apart; the full list for tooltips.
 */
import { describe, expect, it } from 'vitest';
import { describeSetting } from '../../src-main/contract/results';
import { groupNames } from '../../src-renderer/src/charts/groupNames';

describe('group names', () => {
  it('names a setting by its label, self-describing values alone', () => {
    expect(describeSetting('learner', 'metasgd')).toBe('Meta-SGD');
    expect(describeSetting('space', 'concept')).toBe('concept space');
    expect(describeSetting('shots', 5)).toBe('5-shot');
    expect(describeSetting('concept.generatorMode', 'frozen')).toBe('Generator training frozen');
    expect(describeSetting('evalTasks', 100)).toBe('Test tasks 100');
  });

  it('runs of two experiments: the learner and what tells the groups apart, not every difference', () => {
    // MAML and Meta-SGD of one experiment (pixels, 200 iterations), a frozen and a joint concept
    // run of another (150 iterations, 100 test tasks, its own generator rate).
    const groups: Array<{ settings: Record<string, string | number> }> = [
      { settings: { learner: 'maml', space: 'pixels', evalTasks: 20, iterations: 200 } },
      { settings: { learner: 'metasgd', space: 'pixels', evalTasks: 20, iterations: 200 } },
      {
        settings: {
          learner: 'maml',
          space: 'concept',
          'concept.generatorLr': 0.002,
          'concept.generatorMode': 'frozen',
          evalTasks: 100,
          iterations: 150,
        },
      },
      {
        settings: {
          learner: 'maml',
          space: 'concept',
          'concept.generatorLr': 0.001,
          'concept.generatorMode': 'joint',
          evalTasks: 100,
          iterations: 150,
        },
      },
    ];
    const names = groupNames(groups);
    expect(names.map((n) => n.name)).toEqual([
      'MAML · pixels',
      'Meta-SGD · pixels',
      'MAML · concept space · Generator learning rate 0.002',
      'MAML · concept space · Generator learning rate 0.001',
    ]);
    for (const n of names) expect(n.name).not.toMatch(/[a-z]\.[a-z]|=/i);
    expect(names[2]!.full).toBe(
      'Learner: MAML; Space: concept; Generator learning rate: 0.002; Generator training: frozen; Test tasks: 100; Iterations: 150',
    );
  });

  it('the learner alone when it is all that differs; "all runs" when nothing does', () => {
    expect(groupNames([{ settings: { learner: 'maml' } }, { settings: { learner: 'protonet' } }])).toEqual([
      { name: 'MAML', full: 'Learner: MAML' },
      { name: 'ProtoNet', full: 'Learner: ProtoNet' },
    ]);
    expect(groupNames([{ settings: {} }])).toEqual([{ name: 'all runs', full: 'all runs' }]);
  });

  it('a group without the chosen settings names its own first', () => {
    const names = groupNames([
      { settings: { 'model.filters': 4 } },
      { settings: { 'concept.generatorMode': 'frozen' } },
      { settings: { 'concept.generatorMode': 'joint' } },
    ]);
    expect(names.map((n) => n.name)).toEqual([
      'Filters per conv block 4',
      'Generator training frozen',
      'Generator training joint',
    ]);
  });
});
