/**
 * A sweep's description: its search space from text, the trials' values (grid and seeded random),
 * the rungs, and asynchronous successive halving's rule, on values whose outcome is known.
 */
import { describe, expect, it } from 'vitest';
import { toCsv, toLatex, toMarkdown } from '../../src-main/contract/exportTable';
import { resultsTable } from '../../src-main/contract/results';
import {
  ashaContinues,
  parseDimension,
  parseRungs,
  resolveSweep,
  sweepRungs,
  trialValues,
  trialsFor,
} from '../../src-main/contract/sweep';
import { parseExperimentConfig } from '../../src-main/contract/config';

describe('a search space', () => {
  it('reads ranges, lists and choices by flag or path, typed as the setting takes them', () => {
    expect(parseDimension('inner-lr=log(0.01,1)')).toEqual({
      setting: 'innerLr',
      kind: 'range',
      scale: 'log',
      min: 0.01,
      max: 1,
    });
    expect(parseDimension('metaLr=lin(1e-4,1e-2,5)')).toMatchObject({ scale: 'linear', steps: 5 });
    expect(parseDimension('inner-steps=1,3,5')).toEqual({
      setting: 'innerSteps',
      kind: 'values',
      values: [1, 3, 5],
    });
    expect(parseDimension('activation=choice(relu,tanh)')).toEqual({
      setting: 'model.activation',
      kind: 'values',
      values: ['relu', 'tanh'],
    });
  });

  it('refuses what cannot be a search, naming the setting', () => {
    expect(() => parseDimension('inner-lr=log(0,1)')).toThrow(/Inner learning rate.*LOW > 0/);
    expect(() => parseDimension('inner-lr=lin(1,0.1)')).toThrow(/LOW < HIGH/);
    expect(() => parseDimension('inner-steps=1,2.5')).toThrow(/Inner steps takes whole numbers/);
    expect(() => parseDimension('activation=choice(relu,tanhh)')).toThrow(/Activation is one of/);
    expect(() => parseDimension('activation=lin(1,2)')).toThrow(/not a number/);
    expect(() => parseDimension('seed=1,2')).toThrow(/not tuned by a sweep/);
    expect(() => parseDimension('nope=1,2')).toThrow(/'nope' is not a setting/);
    expect(() =>
      resolveSweep({
        name: 's',
        learners: ['maml'],
        trials: 2,
        space: [parseDimension('inner-lr=1,2'), parseDimension('innerLr=3')],
      }),
    ).toThrow(/in the search space twice/);
    expect(() => parseRungs('1/3,1/9')).toThrow(/ascending/);
    expect(parseRungs('1/9,1/3')).toEqual([1 / 9, 1 / 3]);
  });
});

describe('trials', () => {
  const spec = (over: object = {}) =>
    resolveSweep({
      name: 's',
      learners: ['maml', 'metasgd'],
      trials: 100,
      space: [parseDimension('inner-lr=log(0.01,100,5)'), parseDimension('meta-lr=0.001,0.003')],
      ...over,
    });

  it('walk the grid, the last dimension fastest, log ranges at even ratios', () => {
    const s = spec({ method: 'grid' });
    expect(trialsFor(s, 'maml', 'pixels')).toBe(10);
    const values = Array.from({ length: 10 }, (_, i) => trialValues(s, 'maml', 'pixels', i));
    expect(values.map((v) => v.innerLr)).toEqual([0.01, 0.01, 0.1, 0.1, 1, 1, 10, 10, 100, 100]);
    expect(values.map((v) => v.metaLr)).toEqual([
      0.001, 0.003, 0.001, 0.003, 0.001, 0.003, 0.001, 0.003, 0.001, 0.003,
    ]);
    // α is not Meta-SGD's (it learns its rates): its grid is β alone.
    expect(trialsFor(s, 'metasgd', 'pixels')).toBe(2);
    expect(trialValues(s, 'metasgd', 'pixels', 1)).toEqual({ metaLr: 0.003 });
  });

  it('are drawn at random reproducibly, each from its own seed, log ranges uniform in the log', () => {
    const s = spec({ trials: 400, seed: 7 });
    const draws = Array.from({ length: 400 }, (_, i) => trialValues(s, 'maml', 'pixels', i));
    expect(trialValues(s, 'maml', 'pixels', 3)).toEqual(draws[3]);
    expect(trialValues(spec({ trials: 400, seed: 8 }), 'maml', 'pixels', 3)).not.toEqual(draws[3]);
    const logs = draws.map((d) => Math.log10(d.innerLr as number));
    expect(Math.min(...logs)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...logs)).toBeLessThanOrEqual(2);
    // Uniform in the log: about a quarter of the draws in each decade.
    const below = logs.filter((l) => l < -1).length / logs.length;
    expect(below).toBeGreaterThan(0.17);
    expect(below).toBeLessThan(0.33);
    expect(new Set(draws.map((d) => d.metaLr))).toEqual(new Set([0.001, 0.003]));
  });
});

describe('successive halving', () => {
  it('places rungs on validations, before the last iteration, with η from the next rung', () => {
    expect(sweepRungs([1 / 9, 1 / 3], 300, 50)).toEqual([
      { rung: 0, iteration: 50, eta: 3 },
      { rung: 1, iteration: 100, eta: 3 },
    ]);
    expect(sweepRungs([1 / 9, 1 / 3], 90, 10)).toEqual([
      { rung: 0, iteration: 10, eta: 3 },
      { rung: 1, iteration: 30, eta: 3 },
    ]);
    expect(sweepRungs([0.9], 100, 50)).toEqual([]); // would be at the end: no rung
  });

  it('keeps the best 1/η of the trials at a rung so far, the first arrival always', () => {
    // Nine trials reach a rung one after another (η = 3): n = 1…9 there, keep max(1, ⌊n/3⌋).
    const arrivals = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.1, 0.9];
    const decisions = arrivals.map((v, i) => ashaContinues(v, arrivals.slice(0, i), 3));
    expect(decisions).toEqual([true, false, true, false, true, false, true, false, true]);
    // At n = 6 the best two continue: the second best of six goes on.
    expect(ashaContinues(0.65, [0.5, 0.4, 0.6, 0.3, 0.7], 3)).toBe(true);
    expect(ashaContinues(0.55, [0.5, 0.4, 0.6, 0.3, 0.7], 3)).toBe(false);
    // A NaN (diverged) never continues, and never counts against the others.
    expect(ashaContinues(Number.NaN, [], 3)).toBe(false);
    expect(ashaContinues(0.3, [Number.NaN], 3)).toBe(true);
  });
});

describe('the results table of a sweep', () => {
  it('marks the tuned cells §, and says what was searched and chosen in the note and the CSV', () => {
    const config = parseExperimentConfig({ learner: 'maml', data: 'glyphs' });
    const tuning = {
      sweepId: 1,
      trials: 16,
      space: 'Inner learning rate α ∈ log[0.01, 1]',
      chosen: 'Inner learning rate α = 0.3162',
    };
    const test = (mean: number) => ({
      mean,
      ci95: 0.01,
      tasks: 3,
      accuracies: [mean - 0.01, mean, mean + 0.01],
      episodeSeed: 1,
      ways: 5,
      shots: 1,
      queries: 15,
      split: 'test' as const,
      dataset: 'glyphs',
    });
    const table = resultsTable([
      { id: 1, config, test: test(0.8), tuning },
      { id: 2, config: { ...config, learner: 'protonet' }, test: test(0.7) },
    ]);
    expect(table.rows[0]!.cells[0]!.tuning).toEqual(tuning);
    expect(table.rows[1]!.cells[0]!.tuning).toBeUndefined();
    const md = toMarkdown(table);
    expect(md).toMatch(/\*\*80\.00 ± 1\.00\*\*§/);
    expect(md).toMatch(
      /§: tuned on validation.*MAML: 16 trials over Inner learning rate α ∈ log\[0\.01, 1\]; chose Inner learning rate α = 0\.3162/,
    );
    const [header, maml, proto] = toCsv(table).trim().split('\n');
    expect(header).toMatch(/tuned_on_validation_trials,search_space,chosen_values$/);
    expect(maml).toMatch(/,16,"Inner learning rate α ∈ log\[0\.01, 1\]",Inner learning rate α = 0\.3162$/);
    expect(proto).toMatch(/,,,$/);
    expect(toLatex(table)).toMatch(/\^\{\\S\}/);
  });
});
