/**
 * What the sweep page says, as plain functions of a SweepDetail: the space and the rungs in words,
 * the searched settings as the trials table's columns, a trial's status (successive halving's
 * stop by its rung), and where the final runs are compared. No Vue here: the views bind it.
 */
import { LEARNER_INFO, type LearnerName } from '../../../src-main/contract/learners';
import {
  type SweepDetail,
  type SweepTrial,
  describeDimension,
  describeValues,
  formatFraction,
  sweepSetting,
} from '../../../src-main/contract/sweep';
import { PALETTE } from '../charts/theme';

export const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** A searched value as a cell shows it: numbers to 4 significant digits, words as they are. */
export function formatValue(v: number | string | boolean | undefined): string {
  if (v === undefined) return '–';
  if (typeof v === 'number') return Number(v.toPrecision(4)).toString();
  return String(v);
}

/** The searched settings, in the space's order: the trials table's columns and the parallel axes. */
export function searchedSettings(sweep: Pick<SweepDetail, 'spec'>): Array<{ path: string; label: string }> {
  return sweep.spec.space.map((d) => ({ path: d.setting, label: sweepSetting(d.setting).label }));
}

/** The space, the method and the trials in words ("Inner learning rate α ∈ log[0.01, 1]; random, 8 trials per learner"). */
export function spaceInWords(sweep: Pick<SweepDetail, 'spec' | 'trialsPerLearner'>): string {
  const counts = Object.entries(sweep.trialsPerLearner)
    .map(
      ([l, n], i) =>
        `${n}${i === 0 ? ` trial${n === 1 ? '' : 's'}` : ''} of ${LEARNER_INFO[l as LearnerName].short}`,
    )
    .join(', ');
  return (
    `${sweep.spec.space.map(describeDimension).join('; ')}. ` +
    `${sweep.spec.method === 'grid' ? 'Grid' : `Random draws (seed ${sweep.spec.seed})`}: ${counts}` +
    `, then ${sweep.spec.finalSeeds} fresh seed${sweep.spec.finalSeeds === 1 ? '' : 's'} for each learner's choice` +
    `${sweep.spec.budget ? `; at most ${sweep.spec.budget} iterations in all` : ''}.`
  );
}

/** Where successive halving decides, in words; null where it does not. */
export function rungsInWords(sweep: Pick<SweepDetail, 'spec' | 'rungs'>): string | null {
  if (!sweep.rungs.length) return null;
  return `Successive halving at ${sweep.rungs
    .map(
      (r) =>
        `${formatFraction(sweep.spec.rungs[r.rung]!)} (iteration ${r.iteration}: the best 1/${Number(r.eta.toPrecision(3))} continue)`,
    )
    .join(', ')}.`;
}

/** The rung a trial was stopped at (1-based, as people count), or null. */
export function stoppedAtRung(t: Pick<SweepTrial, 'rungs' | 'stoppedEarly'>): number | null {
  if (!t.stoppedEarly) return null;
  const stop = t.rungs.find((r) => r.decision === 'stop');
  if (stop) return stop.rung + 1;
  const m = /rung (\d+)/.exec(t.stoppedEarly);
  return m ? Number(m[1]) : null;
}

/** A trial's status in words: "stopped early at rung k" where successive halving stopped it. */
export function trialStatus(t: Pick<SweepTrial, 'status' | 'rungs' | 'stoppedEarly'>): string {
  const rung = stoppedAtRung(t);
  if (rung != null) return `stopped early at rung ${rung}`;
  if (t.stoppedEarly) return 'stopped early';
  return t.status;
}

/** A learner's colour on the sweep page: its place among the sweep's learners. */
export function learnerColour(learners: readonly LearnerName[], learner: LearnerName): string {
  const i = Math.max(0, learners.indexOf(learner));
  return PALETTE[i % PALETTE.length]!;
}

export const learnerShort = (l: LearnerName) => LEARNER_INFO[l].short;

/** "MAML #3" (trials counted from 1). */
export const trialName = (t: Pick<SweepTrial, 'learner' | 'trial'>) =>
  `${learnerShort(t.learner)} #${t.trial + 1}`;

/** The chosen configuration of each learner, in the sweep's order, in words. */
export function chosenRows(sweep: Pick<SweepDetail, 'spec' | 'chosen'>) {
  return sweep.spec.learners.map((learner) => {
    const c = sweep.chosen[learner];
    return {
      learner,
      chosen: c ?? null,
      words: c ? describeValues(c.values) : null,
    };
  });
}

/** The compare view with the sweep's final runs (the comparison to cite), or null before there are any. */
export function compareHref(sweep: Pick<SweepDetail, 'finals'>): string | null {
  const ids = sweep.finals.map((r) => r.id);
  return ids.length ? `#/compare/${ids.join(',')}` : null;
}
