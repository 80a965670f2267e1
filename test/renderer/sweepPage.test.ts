/**
 * What the sweep page says: the space and rungs in words, a trial's status with successive
 * halving's stop by its rung, the searched settings as columns, the compare view's address.
 */
import { describe, expect, it } from 'vitest';
import type { SweepDetail, SweepTrial } from '../../src-main/contract/sweep';
import {
  compareHref,
  rungsInWords,
  searchedSettings,
  spaceInWords,
  stoppedAtRung,
  trialStatus,
} from '../../src-renderer/src/sweeps/sweepPage';

const spec = {
  name: 's',
  config: {},
  learners: ['maml', 'protonet'],
  space: [
    { setting: 'innerLr', kind: 'range', scale: 'log', min: 0.01, max: 1 },
    { setting: 'model.activation', kind: 'values', values: ['relu', 'tanh'] },
  ],
  method: 'random',
  trials: 4,
  seed: 0,
  rungs: [1 / 9, 1 / 3],
  finalSeeds: 3,
} as SweepDetail['spec'];
const sweep = {
  spec,
  trialsPerLearner: { maml: 4, protonet: 4 },
  rungs: [
    { rung: 0, iteration: 20, eta: 3 },
    { rung: 1, iteration: 60, eta: 3 },
  ],
  finals: [],
} as unknown as SweepDetail;

const trial = (t: Partial<SweepTrial>) =>
  ({ status: 'completed', rungs: [], stoppedEarly: null, ...t }) as SweepTrial;

describe('the sweep page', () => {
  it('says the space, the method, the trials and the rungs in words', () => {
    expect(spaceInWords(sweep)).toBe(
      "Inner learning rate α ∈ log[0.01, 1]; Activation ∈ {relu, tanh}. Random draws (seed 0): 4 trials of MAML, 4 of ProtoNet, then 3 fresh seeds for each learner's choice.",
    );
    expect(rungsInWords(sweep)).toBe(
      'Successive halving at 1/9 (iteration 20: the best 1/3 continue), 1/3 (iteration 60: the best 1/3 continue).',
    );
    expect(rungsInWords({ ...sweep, rungs: [] })).toBeNull();
    expect(searchedSettings(sweep)).toEqual([
      { path: 'innerLr', label: 'Inner learning rate α' },
      { path: 'model.activation', label: 'Activation' },
    ]);
  });

  it('names a trial stopped by successive halving by its rung, counted from 1', () => {
    const stopped = trial({
      status: 'cancelled',
      stoppedEarly: 'stopped early at rung 2 (iteration 60): validation 30.00% ranked 3 of 3',
      rungs: [
        { rung: 0, iteration: 20, value: 0.4, decision: 'continue' },
        { rung: 1, iteration: 60, value: 0.3, decision: 'stop' },
      ],
    });
    expect(stoppedAtRung(stopped)).toBe(2);
    expect(trialStatus(stopped)).toBe('stopped early at rung 2');
    expect(trialStatus(trial({ status: 'cancelled' }))).toBe('cancelled');
    expect(
      trialStatus(
        trial({ status: 'running', rungs: [{ rung: 0, iteration: 20, value: 0.5, decision: 'continue' }] }),
      ),
    ).toBe('running');
  });

  it('opens the compare view on the final runs, once there are any', () => {
    expect(compareHref({ finals: [] })).toBeNull();
    expect(compareHref({ finals: [{ id: 7 }, { id: 9 }] } as unknown as SweepDetail)).toBe('#/compare/7,9');
  });
});
