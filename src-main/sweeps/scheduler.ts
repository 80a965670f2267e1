/**
 * Carries sweeps forward, in the workbench that owns the data directory. Everything it knows is
 * in the store (the sweep, its runs, their validations, the rung decisions), so each tick starts
 * from there: a workbench restarted mid-sweep resumes the trials its shutdown interrupted and
 * goes on, and a trial is never created twice (the store's unique index) nor decided twice.
 *
 * A tick, for each running sweep:
 * - trials phase: decide the rungs trials have reached (asynchronous successive halving) and stop
 *   the losers through the queue's cancel, resume trials interrupted by a shutdown, start new
 *   trials while the sweep's slots and budget allow; once every trial has ended, choose each
 *   learner's best on meta-validation and queue it on fresh seeds;
 * - final phase: resume interrupted final runs; once they have ended, the sweep is done.
 */
import { type ExperimentConfig, type LearnerName, parseExperimentConfig } from '../contract/config';
import { ACTIVE_STATUSES, type RunSummary } from '../contract/records';
import { setAt, valueAt } from '../contract/settings';
import {
  type ChosenConfiguration,
  type Rung,
  type SweepSpec,
  type TrialValues,
  ashaContinues,
  dimensionsFor,
  sweepRungs,
  trialValues,
  trialsFor,
} from '../contract/sweep';
import type { Store } from '../store/store';
import type { StoredSweep } from '../store/sweeps';

export interface SweepSchedulerOptions {
  store: Store;
  appVersion: string;
  /** Trials of a sweep queued or running at once, where the sweep does not say (the queue's concurrency). */
  concurrency: number;
  /** Stop a run through the queue's cancel path (it checkpoints and ends as cancelled). */
  cancel: (runId: number) => void;
  /** Queue a stopped run again, from its newest checkpoint (the queue's resume path). */
  resume: (runId: number) => void;
  /** New runs were queued. */
  pump: () => void;
  /** A sweep's state changed (for listeners). */
  changed?: (sweepId: number) => void;
}

const isActive = (r: RunSummary) => ACTIVE_STATUSES.includes(r.status);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** A trial's config: the sweep's base, its learner, its values. */
export function trialConfig(
  base: ExperimentConfig,
  learner: LearnerName,
  values: TrialValues,
): ExperimentConfig {
  const raw = structuredClone(base) as unknown as Record<string, unknown>;
  raw.learner = learner;
  for (const [path, value] of Object.entries(values)) setAt(raw, path, value);
  return parseExperimentConfig(raw);
}

/** The values a run of the sweep was given, read back from its config (its learner's dimensions only). */
export function valuesOf(spec: SweepSpec, config: ExperimentConfig): TrialValues {
  const out: TrialValues = {};
  for (const d of dimensionsFor(spec.space, config.learner, config.space)) {
    const value = valueAt(config, d.setting);
    if (value !== undefined) out[d.setting] = value as number | string | boolean;
  }
  return out;
}

/** The order trials are started in: trial 0 of each learner, then trial 1 of each, … */
export function trialOrder(
  spec: SweepSpec,
  base: ExperimentConfig,
): Array<{ learner: LearnerName; trial: number }> {
  const counts = spec.learners.map((l) => trialsFor(spec, l, base.space));
  const out: Array<{ learner: LearnerName; trial: number }> = [];
  for (let i = 0; i < Math.max(...counts); i++)
    spec.learners.forEach((learner, k) => {
      if (i < counts[k]!) out.push({ learner, trial: i });
    });
  return out;
}

export class SweepScheduler {
  private ticking = false;
  constructor(private readonly o: SweepSchedulerOptions) {}

  /** Carry every running sweep one step forward; never throws (it runs from timers and events). */
  tick(): string | null {
    if (this.ticking) return null; // a cancel inside a tick emits events that would tick again
    this.ticking = true;
    let error: string | null = null;
    try {
      for (const sweep of this.o.store.sweeps.running()) {
        try {
          this.advance(sweep);
        } catch (e) {
          error = `sweep ${sweep.id}: ${(e as Error).message}`;
        }
      }
    } catch (e) {
      error = (e as Error).message;
    } finally {
      this.ticking = false;
    }
    return error;
  }

  /** Stop a sweep: its active runs are cancelled (they checkpoint); nothing is chosen. */
  cancel(sweepId: number): void {
    const { store } = this.o;
    if (!store.sweeps.finish(sweepId, 'cancelled', null)) return;
    for (const r of store.runs.list({ sweepId })) if (isActive(r)) this.o.cancel(r.id);
    this.o.changed?.(sweepId);
  }

  private advance(sweep: StoredSweep): void {
    const runs = this.o.store.runs.list({ sweepId: sweep.id });
    const trials = runs.filter((r) => r.sweep?.role === 'trial');
    const finals = runs.filter((r) => r.sweep?.role === 'final');
    if (sweep.phase === 'trials') {
      this.decideRungs(sweep, trials);
      // Read again after the resumes: a trial queued again holds a slot like a running one.
      const now = this.resumeInterrupted(trials)
        ? this.o.store.runs.list({ sweepId: sweep.id }).filter((r) => r.sweep?.role === 'trial')
        : trials;
      const order = trialOrder(sweep.spec, sweep.baseConfig);
      const all = this.startTrials(sweep, now, order);
      const allStarted = order.every(({ learner, trial }) =>
        all.some((r) => r.learner === learner && r.sweep!.trial === trial),
      );
      // A budget that leaves no room for the trials not yet started ends the trials too.
      if ((allStarted || !this.roomFor(sweep, all)) && !all.some(isActive)) this.chooseAndFinal(sweep, all);
    } else if (sweep.phase === 'final') {
      this.resumeInterrupted(finals);
      if (!finals.some(isActive)) {
        const failed = finals.filter((r) => r.status !== 'completed');
        this.o.store.sweeps.finish(
          sweep.id,
          finals.length && failed.length === finals.length ? 'failed' : 'completed',
          failed.length
            ? `${failed.length} of ${finals.length} final run(s) did not complete: ` +
                failed.map((r) => `run ${r.id} ${r.status}${r.error ? ` (${r.error})` : ''}`).join('; ')
            : null,
        );
        this.o.changed?.(sweep.id);
      }
    }
  }

  /**
   * Runs a shutdown interrupted are resumed (a cancel or a failure is an end, not a pause);
   * whether there were any.
   */
  private resumeInterrupted(runs: RunSummary[]): boolean {
    const interrupted = runs.filter((r) => r.status === 'interrupted');
    for (const r of interrupted) this.o.resume(r.id);
    return interrupted.length > 0;
  }

  /**
   * Successive halving on every running trial that has reached a rung not decided yet. A trial is
   * compared with the trials that reached that rung before it (by when their validation was
   * recorded) and itself, whatever order the ticks see them in.
   */
  private decideRungs(sweep: StoredSweep, trials: RunSummary[]): void {
    const { store } = this.o;
    const rungs = sweepRungs(sweep.spec.rungs, sweep.baseConfig.iterations, sweep.baseConfig.valEvery);
    if (!rungs.length) return;
    const decided = store.sweeps.decisions(sweep.id);
    // Each trial's validation at each rung: [evaluation id (arrival order), accuracy].
    const atRung = new Map<number, Map<number, { id: number; value: number }>>();
    for (const t of trials) {
      const vals = store.evaluations.list(t.id).filter((e) => e.split === 'val' && e.origin === 'training');
      const byRung = new Map<number, { id: number; value: number }>();
      for (const rung of rungs) {
        const v = vals.find((e) => e.step === rung.iteration);
        if (v) byRung.set(rung.rung, { id: v.id, value: v.mean });
      }
      atRung.set(t.id, byRung);
    }
    for (const t of trials) {
      if (t.status !== 'running') continue;
      const done = decided.get(t.id) ?? [];
      for (const rung of rungs) {
        if (done.some((d) => d.rung === rung.rung)) continue;
        const mine = atRung.get(t.id)!.get(rung.rung);
        if (!mine) break; // not there yet
        const earlier = trials
          .filter((o) => o.id !== t.id && o.learner === t.learner)
          .map((o) => atRung.get(o.id)!.get(rung.rung))
          .filter((v): v is { id: number; value: number } => v != null && v.id < mine.id)
          .map((v) => v.value);
        const goOn = ashaContinues(mine.value, earlier, rung.eta);
        store.sweeps.decide(sweep.id, t.id, {
          rung: rung.rung,
          iteration: rung.iteration,
          value: mine.value,
          decision: goOn ? 'continue' : 'stop',
        });
        if (!goOn) {
          this.stopEarly(t, rung, mine.value, earlier);
          break;
        }
      }
    }
  }

  private stopEarly(t: RunSummary, rung: Rung, value: number, earlier: number[]): void {
    const rank = earlier.filter((v) => v > value).length + 1;
    const keep = Math.max(1, Math.floor((earlier.length + 1) / rung.eta));
    this.o.store.runs.markStoppedEarly(
      t.id,
      `stopped early at rung ${rung.rung + 1} (iteration ${rung.iteration}): validation ${pct(value)} ranked ` +
        `${rank} of ${earlier.length + 1} trials there; the best ${keep} continue`,
    );
    this.o.cancel(t.id);
  }

  /** Iterations the trials have taken or will take: all of an active one's, what an ended one trained. */
  private committed(trials: RunSummary[]): number {
    return trials.reduce((n, r) => n + (isActive(r) ? r.iterations : r.iteration), 0);
  }

  private roomFor(sweep: StoredSweep, trials: RunSummary[]): boolean {
    const { budget } = sweep.spec;
    return budget == null || this.committed(trials) + sweep.baseConfig.iterations <= budget;
  }

  /** New trials, in order, while the sweep's slots and budget allow: every trial, the new ones included. */
  private startTrials(
    sweep: StoredSweep,
    trials: RunSummary[],
    order: Array<{ learner: LearnerName; trial: number }>,
  ): RunSummary[] {
    const { store } = this.o;
    const slots = sweep.spec.parallel ?? this.o.concurrency;
    const current = [...trials];
    let created = false;
    for (const { learner, trial } of order) {
      if (current.filter(isActive).length >= slots || !this.roomFor(sweep, current)) break;
      if (current.some((r) => r.learner === learner && r.sweep!.trial === trial)) continue;
      const values = trialValues(sweep.spec, learner, sweep.baseConfig.space, trial);
      const config = trialConfig(sweep.baseConfig, learner, values);
      const run = store.runs.create({
        experimentId: sweep.trialsExperimentId,
        config,
        appVersion: this.o.appVersion,
        executor: sweep.executor,
        sweep: { id: sweep.id, role: 'trial', trial },
      });
      current.push(store.runs.summary(run.id)!);
      created = true;
    }
    if (created) {
      this.o.pump();
      this.o.changed?.(sweep.id);
    }
    return current;
  }

  /** Each learner's best completed trial on meta-validation, queued again on fresh seeds. */
  private chooseAndFinal(sweep: StoredSweep, trials: RunSummary[]): void {
    const { store } = this.o;
    const chosen = chooseBest(store, sweep, trials);
    const missing = sweep.spec.learners.filter((l) => !chosen[l]);
    const why = missing.length
      ? `no trial of ${missing.join(', ')} completed (failed, stopped or cancelled): nothing to choose`
      : null;
    store.transaction(() => {
      if (!store.sweeps.toFinal(sweep.id, chosen, why)) return;
      for (const learner of sweep.spec.learners) {
        const best = chosen[learner];
        if (!best) continue;
        const config = trialConfig(sweep.baseConfig, learner, best.values);
        for (let k = 0; k < sweep.spec.finalSeeds; k++) {
          store.runs.create({
            experimentId: sweep.finalExperimentId,
            // Seeds no trial trained with: the trials all used the base seed.
            config: { ...config, seed: freshSeed(sweep.baseConfig.seed, k) },
            appVersion: this.o.appVersion,
            executor: sweep.executor,
            sweep: { id: sweep.id, role: 'final', trial: k },
          });
        }
      }
      if (missing.length === sweep.spec.learners.length) store.sweeps.finish(sweep.id, 'failed', why);
    });
    this.o.pump();
    this.o.changed?.(sweep.id);
  }
}

/** The k-th fresh seed: never the base seed the trials trained with. */
export const freshSeed = (base: number, k: number) => base + 1 + k;

/** Per learner, the completed trial (not stopped early) with the best final validation; ties: the earlier trial. */
export function chooseBest(
  store: Store,
  sweep: StoredSweep,
  trials: RunSummary[],
): Partial<Record<LearnerName, ChosenConfiguration>> {
  const chosen: Partial<Record<LearnerName, ChosenConfiguration>> = {};
  for (const learner of sweep.spec.learners) {
    const mine = trials.filter((r) => r.learner === learner);
    let best: ChosenConfiguration | null = null;
    for (const t of mine) {
      if (t.status !== 'completed' || t.stoppedEarly) continue;
      const last = store.evaluations
        .list(t.id)
        .filter((e) => e.split === 'val' && e.origin === 'training')
        .sort((a, b) => b.step - a.step)[0];
      if (!last) continue;
      if (
        !best ||
        last.mean > best.validation ||
        (last.mean === best.validation && t.sweep!.trial < best.trial)
      ) {
        best = {
          runId: t.id,
          trial: t.sweep!.trial,
          values: valuesOf(sweep.spec, store.runs.get(t.id)!.config),
          validation: last.mean,
          ci95: last.ci95,
          trials: mine.filter((r) => !isActive(r)).length,
        };
      }
    }
    if (best) chosen[learner] = best;
  }
  return chosen;
}
