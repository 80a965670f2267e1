/**
 * The form's Sweep mode: the settings it offers, each row turned into a search dimension by the
 * contract's own parsers (so its refusals name the setting as the service's would), the fields
 * checked like `deml sweep`'s flags, and the input 'sweeps:create' takes.
 */
import { describe, expect, it } from 'vitest';
import { parseDimension } from '../../src-main/contract/sweep';
import {
  SWEEPABLE_SETTINGS,
  blankSweep,
  dimensionOf,
  loadSweepDraft,
  rowFor,
  saveSweepDraft,
  sweepInputOf,
  sweepIssues,
} from '../../src-renderer/src/forms/sweepForm';

class MemoryStorage {
  private map = new Map<string, string>();
  getItem = (k: string) => this.map.get(k) ?? null;
  setItem = (k: string, v: string) => void this.map.set(k, v);
  removeItem = (k: string) => void this.map.delete(k);
}

describe("the form's Sweep mode", () => {
  it('offers the settings a sweep can search, by label, and not the sweep’s or the protocol’s own', () => {
    const paths = SWEEPABLE_SETTINGS.map((s) => s.path);
    expect(paths).toEqual(expect.arrayContaining(['innerLr', 'metaLr', 'innerSteps', 'model.activation']));
    for (const own of ['learner', 'seed', 'data', 'backend', 'iterations', 'evalSeed', 'evalTasks', 'split'])
      expect(paths).not.toContain(own);
    expect(
      SWEEPABLE_SETTINGS.every((s) => ['int', 'number', 'optionalNumber', 'choice', 'bool'].includes(s.kind)),
    ).toBe(true);
  });

  it('turns rows into the dimensions the CLI’s --space would give', () => {
    expect(dimensionOf({ ...rowFor('innerLr'), kind: 'log', min: '0.01', max: '1' })).toEqual(
      parseDimension('innerLr=log(0.01,1)'),
    );
    expect(
      dimensionOf({ ...rowFor('metaLr'), kind: 'linear', min: '1e-4', max: '1e-2', steps: '4' }),
    ).toEqual(parseDimension('meta-lr=lin(1e-4,1e-2,4)'));
    expect(dimensionOf({ ...rowFor('innerSteps'), values: '1, 3,5' })).toEqual(
      parseDimension('inner-steps=1,3,5'),
    );
    expect(dimensionOf(rowFor('model.activation'))).toEqual({
      setting: 'model.activation',
      kind: 'values',
      values: ['relu', 'tanh', 'softplus'],
    });
  });

  it('refuses a bad row by its setting’s label, before anything is sent', () => {
    const issue = (row: Parameters<typeof dimensionOf>[0]) => {
      const state = { ...blankSweep(), space: [row] };
      return sweepIssues(state)['sweep.space.0'];
    };
    expect(issue({ ...rowFor('innerLr'), kind: 'log', min: '0', max: '1' })).toBe(
      'Inner learning rate α: a log range needs LOW > 0',
    );
    expect(issue({ ...rowFor('innerLr'), kind: 'linear', min: '1', max: '0.1' })).toMatch(
      /^Inner learning rate α: a range needs LOW < HIGH/,
    );
    expect(issue({ ...rowFor('innerSteps'), values: '1, 2.5' })).toBe(
      "Inner steps takes whole numbers, got '2.5'",
    );
    expect(issue({ ...rowFor('model.activation'), values: 'relu, swish' })).toMatch(
      /^Activation is one of relu, tanh, softplus, got 'swish'/,
    );
    expect(issue({ ...rowFor('model.activation'), kind: 'log', min: '1', max: '2' })).toMatch(
      /^Activation is not a number/,
    );
    expect(issue({ ...rowFor('innerLr'), kind: 'values', values: ' ' })).toBe(
      'Inner learning rate α: give at least one value',
    );
    const twice = sweepIssues({ ...blankSweep(), space: [rowFor('innerLr'), rowFor('innerLr')] });
    expect(twice['sweep.space.1']).toBe('Inner learning rate α is in the search space twice');
    expect(twice['sweep.space.0']).toBeUndefined();
  });

  it('checks the other fields as deml sweep checks its flags', () => {
    const issues = sweepIssues({
      ...blankSweep(),
      trials: '0',
      rungs: '1/3,1/9',
      finalSeeds: '21',
      budget: 'x',
      parallel: '1.5',
      seed: '-1',
    });
    expect(Object.keys(issues).sort()).toEqual([
      'sweep.budget',
      'sweep.finalSeeds',
      'sweep.parallel',
      'sweep.rungs',
      'sweep.seed',
      'sweep.trials',
    ]);
    expect(issues['sweep.rungs']).toBe('rungs go in ascending order (e.g. 1/9,1/3)');
    expect(sweepIssues(blankSweep())).toEqual({});
    expect(sweepIssues({ ...blankSweep(), trials: '' })['sweep.trials']).toMatch(
      /give the trials per learner/,
    );
  });

  it('makes the input of sweeps:create, leaving the optional fields out when empty', () => {
    const state = {
      ...blankSweep(),
      method: 'grid' as const,
      trials: '4',
      rungs: '1/9, 1/3',
      finalSeeds: '2',
      space: [{ ...rowFor('innerLr'), kind: 'log' as const, min: '0.01', max: '1' }],
    };
    const config = { data: 'glyphs', iterations: 20 };
    expect(sweepInputOf(state, { name: ' s ', learners: ['maml', 'metasgd'], config })).toEqual({
      name: 's',
      config,
      learners: ['maml', 'metasgd'],
      space: [{ setting: 'innerLr', kind: 'range', scale: 'log', min: 0.01, max: 1 }],
      method: 'grid',
      trials: 4,
      rungs: [1 / 9, 1 / 3],
      finalSeeds: 2,
    });
    const full = sweepInputOf(
      { ...state, rungs: '', budget: '100', parallel: '2', seed: '7' },
      { name: 's', learners: ['maml'], config },
      { kind: 'local' },
    );
    expect(full).toMatchObject({ budget: 100, parallel: 2, seed: 7, executor: { kind: 'local' } });
    expect(full).not.toHaveProperty('rungs');
  });

  it('keeps its fields as a draft, dropping what today’s form does not know', () => {
    const storage = new MemoryStorage() as unknown as Storage;
    const state = { ...blankSweep(), trials: '12', space: [rowFor('metaLr')] };
    saveSweepDraft(storage, state);
    expect(loadSweepDraft(storage)).toEqual(state);
    storage.setItem(
      'deml.newSweepDraft',
      JSON.stringify({
        sweep: { trials: 3, method: 'bayes', space: [{ setting: 'seed' }, rowFor('innerLr')] },
      }),
    );
    expect(loadSweepDraft(storage)).toEqual({ ...blankSweep(), space: [rowFor('innerLr')] });
  });
});
