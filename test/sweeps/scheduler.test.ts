/**
 * The sweep scheduler's bookkeeping on a real store, with the trainers' part played by writing
 * what they would write (started, validated, ended): the sweep's slots, its budget, the order
 * trials start in, resuming what a shutdown interrupted, successive halving in arrival order, and
 * the choice and the final runs on fresh seeds. Real trainers run the same paths in
 * test/service/sweep.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseExperimentConfig } from '../../src-main/contract/config';
import type { SweepInput } from '../../src-main/contract/sweep';
import { resolveSweep } from '../../src-main/contract/sweep';
import { SweepScheduler } from '../../src-main/sweeps/scheduler';
import { openStore } from '../../src-main/store/store';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-scheduler');

function setUp(input: Partial<SweepInput> = {}) {
  const store = openStore(tempDir());
  const spec = resolveSweep({
    name: 's',
    learners: ['maml', 'metasgd'],
    space: [{ setting: 'metaLr', kind: 'values', values: [0.001, 0.002, 0.003] }],
    method: 'grid',
    trials: 3,
    rungs: [1 / 3],
    finalSeeds: 2,
    ...input,
  });
  const base = parseExperimentConfig({ learner: 'maml', iterations: 30, valEvery: 10, seed: 5 });
  const experiment = (name: string) => store.experiments.create({ name, config: base }).id;
  const sweep = store.sweeps.create({
    spec,
    baseConfig: base,
    trialsExperimentId: experiment('trials'),
    finalExperimentId: experiment('final'),
    executor: null,
  });
  const calls = { cancel: [] as number[], resume: [] as number[], pumps: 0 };
  const scheduler = new SweepScheduler({
    store,
    appVersion: 'test',
    concurrency: 2,
    cancel: (id) => {
      calls.cancel.push(id);
      store.runs.requestCancel(id);
    },
    resume: (id) => {
      calls.resume.push(id);
      store.runs.requeue(id);
    },
    pump: () => calls.pumps++,
  });
  const runs = () => store.runs.list({ sweepId: sweep.id }).sort((a, b) => a.id - b.id);
  const trials = () => runs().filter((r) => r.sweep?.role === 'trial');
  /** What a trainer writes: started, at an iteration, a validation there. */
  const validate = (runId: number, step: number, mean: number) => {
    if (store.runs.get(runId)!.status === 'queued') store.runs.markStarted(runId, null);
    store.runs.setIteration(runId, step);
    store.evaluations.insert({
      runId,
      origin: 'training',
      split: 'val',
      step,
      dataset: 'glyphs',
      ways: 5,
      shots: 1,
      queries: 15,
      innerSteps: 1,
      episodeSeed: 1,
      episodeFile: null,
      episodeFileName: null,
      tasks: 2,
      mean,
      ci95: 0.01,
      std: 0.01,
      accuracies: [mean, mean],
      durationMs: 1,
      instances: null,
      byInstance: null,
    });
  };
  const finish = (runId: number, status: 'completed' | 'cancelled' | 'failed' | 'interrupted') => {
    if (store.runs.get(runId)!.status === 'queued') store.runs.markStarted(runId, null);
    store.runs.finish(runId, status, status === 'completed' ? null : status);
  };
  return { store, sweep, scheduler, calls, runs, trials, validate, finish };
}

describe('the sweep scheduler', () => {
  it('fills the sweep’s slots in trial order, interleaving learners, and never creates a trial twice', () => {
    const { scheduler, trials, calls } = setUp();
    scheduler.tick();
    expect(trials().map((r) => [r.learner, r.sweep!.trial])).toEqual([
      ['maml', 0],
      ['metasgd', 0],
    ]);
    expect(calls.pumps).toBe(1);
    scheduler.tick(); // nothing freed: nothing new
    expect(trials()).toHaveLength(2);
  });

  it('counts a trial it resumes in the sweep’s slots: no new trial starts beside it', () => {
    const { scheduler, trials, calls, validate, finish } = setUp({ learners: ['maml'] });
    scheduler.tick();
    const [a] = trials().map((r) => r.id);
    validate(a!, 10, 0.4);
    finish(a!, 'interrupted');
    scheduler.tick();
    expect(calls.resume).toEqual([a]);
    expect(trials()).toHaveLength(2); // both slots held: the resumed trial and the other
  });

  it('stops a trial below the best 1/η at a rung, in the order trials reached it, through the cancel path', () => {
    const { scheduler, trials, calls, validate, store } = setUp({ learners: ['maml'], parallel: 3 });
    scheduler.tick();
    const [a, b, c] = trials().map((r) => r.id);
    validate(b!, 10, 0.5); // b reaches the rung first: it continues
    validate(a!, 10, 0.4); // a is below the best 1 of 2: stopped
    validate(c!, 10, 0.6); // c is the best of 3 (keep 1): continues
    scheduler.tick();
    expect(calls.cancel).toEqual([a]);
    const stopped = store.runs.summary(a!)!;
    expect(stopped.stoppedEarly).toMatch(
      /^stopped early at rung 1 \(iteration 10\): validation 40\.00% ranked 2 of 2/,
    );
    const decisions = store.sweeps.decisions(1);
    expect(decisions.get(a!)!.map((d) => d.decision)).toEqual(['stop']);
    expect(decisions.get(b!)!.map((d) => d.decision)).toEqual(['continue']);
    expect(decisions.get(c!)!.map((d) => d.decision)).toEqual(['continue']);
    scheduler.tick(); // decided once: no second cancel
    expect(calls.cancel).toEqual([a]);
  });

  it('keeps within the budget: a trial starts only when the iterations committed leave room for it', () => {
    // 30 iterations a trial, 75 in all, two slots.
    const { scheduler, trials, validate, finish, store, sweep } = setUp({
      learners: ['maml'],
      method: 'random',
      trials: 4,
      budget: 75,
    });
    scheduler.tick();
    expect(trials()).toHaveLength(2); // 0 + 30 + 30 ≤ 75
    const [a, b] = trials().map((r) => r.id);
    validate(a!, 10, 0.3);
    finish(a!, 'cancelled'); // stopped at 10: 10 + 30 (b) + 30 ≤ 75
    scheduler.tick();
    expect(trials()).toHaveLength(3);
    validate(b!, 30, 0.5);
    finish(b!, 'completed');
    scheduler.tick(); // 10 + 30 + 30 (the third, running) + 30 > 75: no fourth
    expect(trials()).toHaveLength(3);
    const c = trials()[2]!.id;
    validate(c, 30, 0.4);
    finish(c, 'completed');
    scheduler.tick(); // no room for the fourth and nothing running: the trials phase is over
    expect(trials()).toHaveLength(3);
    expect(store.sweeps.get(sweep.id)!.chosen.maml).toMatchObject({ runId: b, trials: 3 });
  });

  it('resumes trials a shutdown interrupted, then chooses each learner’s best on validation and queues it on fresh seeds', () => {
    const { scheduler, trials, runs, calls, validate, finish, store, sweep } = setUp({ parallel: 6 });
    scheduler.tick();
    expect(trials()).toHaveLength(6);
    const byKey = new Map(trials().map((r) => [`${r.learner}${r.sweep!.trial}`, r.id]));
    const id = (k: string) => byKey.get(k)!;
    validate(id('maml0'), 10, 0.4);
    finish(id('maml0'), 'interrupted');
    scheduler.tick();
    expect(calls.resume).toEqual([id('maml0')]);
    expect(store.runs.get(id('maml0'))!.status).toBe('queued');
    // Every trial to its end; maml's trial 2 is best on validation, metasgd's trial 1.
    const finals: Record<string, number> = {
      maml0: 0.4,
      maml1: 0.45,
      maml2: 0.6,
      metasgd0: 0.3,
      metasgd1: 0.7,
      metasgd2: 0.5,
    };
    for (const [k, v] of Object.entries(finals)) {
      validate(id(k), 30, v);
      finish(id(k), 'completed');
    }
    scheduler.tick();
    const detail = store.sweeps.get(sweep.id)!;
    expect(detail.phase).toBe('final');
    expect(detail.chosen.maml).toMatchObject({
      runId: id('maml2'),
      values: { metaLr: 0.003 },
      validation: 0.6,
      trials: 3,
    });
    expect(detail.chosen.metasgd).toMatchObject({ runId: id('metasgd1'), values: { metaLr: 0.002 } });
    const finalRuns = runs().filter((r) => r.sweep?.role === 'final');
    expect(finalRuns.map((r) => [r.learner, r.seed])).toEqual([
      ['maml', 6],
      ['maml', 7],
      ['metasgd', 6],
      ['metasgd', 7],
    ]);
    expect(finalRuns.every((r) => r.experimentId === sweep.finalExperimentId)).toBe(true);
    expect(store.runs.get(finalRuns[0]!.id)!.config.metaLr).toBe(0.003);
    // The final runs end: the sweep is done.
    for (const r of finalRuns) finish(r.id, 'completed');
    scheduler.tick();
    expect(store.sweeps.get(sweep.id)).toMatchObject({ status: 'completed', phase: 'done', error: null });
  });

  it('ends failed, saying why, when no trial of any learner completed', () => {
    const { scheduler, trials, finish, store, sweep } = setUp({ learners: ['maml'], parallel: 3 });
    scheduler.tick();
    for (const r of trials()) finish(r.id, 'failed');
    scheduler.tick();
    expect(store.sweeps.get(sweep.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/no trial of maml completed/),
    });
  });
});
