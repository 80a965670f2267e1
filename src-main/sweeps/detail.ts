/** A sweep as the API shows it: its trials with their values, validations and rung decisions. */
import type { RunSummary } from '../contract/records';
import {
  type SweepDetail,
  type SweepSummary,
  type SweepTrial,
  sweepRungs,
  trialsFor,
} from '../contract/sweep';
import type { Store } from '../store/store';
import type { StoredSweep } from '../store/sweeps';
import { valuesOf } from './scheduler';

function publicSweep(s: StoredSweep) {
  const { executor: _where, ...sweep } = s;
  return sweep;
}

function trialOf(
  store: Store,
  sweep: StoredSweep,
  r: RunSummary,
  decisions: SweepTrial['rungs'],
): SweepTrial {
  const last = store.evaluations
    .list(r.id)
    .filter((e) => e.split === 'val' && e.origin === 'training')
    .sort((a, b) => b.step - a.step)[0];
  return {
    runId: r.id,
    learner: r.learner,
    trial: r.sweep!.trial,
    values: valuesOf(sweep.spec, store.runs.get(r.id)!.config),
    status: r.status,
    iteration: r.iteration,
    iterations: r.iterations,
    stoppedEarly: r.stoppedEarly,
    validation: last ? { iteration: last.step, mean: last.mean, ci95: last.ci95 } : null,
    rungs: decisions,
    error: r.error,
  };
}

/**
 * The sweep, its trials and its final runs. Trials carry no meta-test (they never run one), and
 * while the sweep runs the final runs are not there yet: nothing of the test split shows early.
 */
export function sweepDetail(store: Store, sweep: StoredSweep): SweepDetail {
  const runs = store.runs.list({ sweepId: sweep.id }).sort((a, b) => a.id - b.id);
  const decisions = store.sweeps.decisions(sweep.id);
  const trials = runs
    .filter((r) => r.sweep?.role === 'trial')
    .map((r) => trialOf(store, sweep, r, decisions.get(r.id) ?? []));
  return {
    ...publicSweep(sweep),
    rungs: sweepRungs(sweep.spec.rungs, sweep.baseConfig.iterations, sweep.baseConfig.valEvery),
    trials,
    trialsPerLearner: Object.fromEntries(
      sweep.spec.learners.map((l) => [l, trialsFor(sweep.spec, l, sweep.baseConfig.space)]),
    ),
    iterationsTrained: trials.reduce((n, t) => n + t.iteration, 0),
    finals: runs.filter((r) => r.sweep?.role === 'final'),
  };
}

export function sweepSummary(store: Store, sweep: StoredSweep): SweepSummary {
  const trials = store.runs.list({ sweepId: sweep.id }).filter((r) => r.sweep?.role === 'trial');
  const total = sweep.spec.learners.reduce((n, l) => n + trialsFor(sweep.spec, l, sweep.baseConfig.space), 0);
  return {
    ...publicSweep(sweep),
    trialsEnded: trials.filter((r) => r.status !== 'queued' && r.status !== 'running').length,
    trialsTotal: total,
  };
}
