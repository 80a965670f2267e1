/**
 * Sweeps with real trainer processes on the embedded glyphs: a learning rate whose upper end
 * collapses training is tuned to its stable region, successive halving stops the trials its rule
 * says (and they keep their points and checkpoint), nothing of the meta-test shows before the
 * end, and a workbench restarted mid-rung carries the sweep on with no trial lost or run twice.
 */
import { describe, expect, it } from 'vitest';
import { type SweepDetail, type SweepInput, ashaContinues } from '../../src-main/contract/sweep';
import { WorkbenchService } from '../../src-main/service/service';
import { openStore } from '../../src-main/store/store';
import { tempDirs } from '../helpers/temp';
import { expectContinuous, until } from '../helpers/waiting';

const tempDir = tempDirs('deml-sweep');

function open(dataDir = tempDir()) {
  return WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'owner', pollMs: 100, staleMs: 5_000 });
}

/** A few seconds a trial: conv4 with 8 filters, 30 iterations, validated every 10. */
const GLYPHS = {
  data: 'glyphs',
  model: { filters: 8, blocks: 2 },
  ways: 5,
  shots: 1,
  queries: 3,
  metaBatch: 2,
  iterations: 30,
  evalTasks: 40,
  valEvery: 10,
  valTasks: 20,
  checkpointEvery: 10,
  backend: 'wasm',
};

const ended = (s: WorkbenchService, id: number) =>
  until(
    `sweep ${id} to end`,
    () => {
      const d = s.sweep(id);
      return d.status !== 'running' ? d : null;
    },
    240_000,
    200,
  );

/** Successive halving replayed from the stored validations, in the order the trials reached each rung. */
function replayStops(s: WorkbenchService, sweep: SweepDetail): number[] {
  const stops: number[] = [];
  for (const rung of sweep.rungs) {
    const arrivals = sweep.trials
      .map((t) => {
        const v = s.store.evaluations
          .list(t.runId)
          .find((e) => e.split === 'val' && e.step === rung.iteration);
        return v ? { runId: t.runId, id: v.id, value: v.mean } : null;
      })
      .filter((a) => a != null)
      .sort((a, b) => a.id - b.id);
    arrivals.forEach((a, i) => {
      const continued = sweep.trials
        .find((t) => t.runId === a.runId)!
        .rungs.find((r) => r.rung === rung.rung);
      if (!continued) return; // reached the rung only after it was stopped at an earlier one
      if (
        !ashaContinues(
          a.value,
          arrivals.slice(0, i).map((x) => x.value),
          rung.eta,
        )
      )
        stops.push(a.runId);
    });
  }
  return stops;
}

describe('a sweep', () => {
  it('finds the stable region of an inner learning rate whose upper end collapses training, stopping the collapsed trials early', async () => {
    const service = open();
    const input: SweepInput = {
      name: 'alpha',
      learners: ['maml'],
      method: 'grid',
      trials: 4,
      // 0.01, 1, 100, 10 000: from about 10 up, MAML's inner step throws it to chance.
      space: [{ setting: 'inner-lr', kind: 'range', scale: 'log', min: 0.01, max: 10_000, steps: 4 }],
      rungs: [1 / 3],
      finalSeeds: 1,
      config: GLYPHS,
    };
    const created = await service.createSweep(input);
    expect(created.rungs).toEqual([{ rung: 0, iteration: 10, eta: 3 }]);
    expect(created.trialsPerLearner).toEqual({ maml: 4 });

    // While the trials run: no meta-test of a trial, through the API, and none asked for is taken.
    const running = await until(
      'a trial to validate',
      () => {
        const d = service.sweep(created.id);
        return d.trials.some((t) => t.validation) ? d : null;
      },
      120_000,
    );
    expect(running.finals).toEqual([]);
    await expect(service.deleteExperiment(running.trialsExperimentId)).rejects.toThrow(
      /belongs to sweep \d+ \(alpha\), which is still running/,
    );
    const trialId = running.trials[0]!.runId;
    expect(service.store.runs.summary(trialId)!.testMean).toBeNull();
    await expect(service.evaluateRun(trialId, {})).rejects.toThrow(
      /trial of sweep .* meta-test waits for the sweep to end/,
    );

    const done = await ended(service, created.id);
    expect(done.status).toBe('completed');
    const byAlpha = new Map(done.trials.map((t) => [t.values.innerLr as number, t]));
    expect([...byAlpha.keys()].sort((a, b) => a - b)).toEqual([0.01, 1, 100, 10000]);
    // The collapsed ones (chance is 20%) were stopped at the rung (or failed): none trained to the end.
    for (const alpha of [100, 10000]) {
      const t = byAlpha.get(alpha)!;
      expect(t.validation!.mean).toBeLessThan(0.3);
      expect(t.status === 'failed' || t.stoppedEarly != null).toBe(true);
    }
    // The choice lies in the stable region, and is the best validation among the completed trials.
    const chosen = done.chosen.maml!;
    expect(chosen.values.innerLr).toBeLessThanOrEqual(1);
    const completed = done.trials.filter((t) => t.status === 'completed' && !t.stoppedEarly);
    expect(chosen.validation).toBe(Math.max(...completed.map((t) => t.validation!.mean)));

    // Successive halving stopped exactly the trials its rule names, each once, with its reason.
    const stopped = done.trials.filter((t) => t.stoppedEarly);
    expect(stopped.map((t) => t.runId).sort()).toEqual(replayStops(service, done).sort());
    expect(stopped.length).toBeGreaterThanOrEqual(2);
    for (const t of stopped) {
      expect(t.status).toBe('cancelled');
      expect(t.stoppedEarly).toMatch(
        /^stopped early at rung 1 \(iteration 10\): validation .* ranked \d+ of \d+/,
      );
      expect(t.rungs).toEqual([expect.objectContaining({ rung: 0, iteration: 10, decision: 'stop' })]);
      // Its points up to where it stopped, and a checkpoint there: resumable like any cancelled run.
      const run = service.run(t.runId);
      expect(run.iteration).toBeGreaterThanOrEqual(10);
      expect(run.iteration).toBeLessThan(30);
      expectContinuous(service, t.runId, 'train/loss', run.iteration);
      expect(run.checkpoints.at(-1)!.step).toBe(run.iteration);
      expect(run.evaluations.some((e) => e.split === 'test')).toBe(false);
    }
    // No trial was ever meta-tested; the final runs (fresh seeds) were, at the chosen values.
    for (const t of done.trials)
      expect(service.run(t.runId).evaluations.some((e) => e.split === 'test')).toBe(false);
    expect(done.finals).toHaveLength(1);
    for (const f of done.finals) {
      expect(f.status).toBe('completed');
      expect(f.testMean).toBeGreaterThan(0.2);
      expect(f.experimentId).toBe(done.finalExperimentId);
      const config = service.run(f.id).config;
      expect(config.innerLr).toBe(chosen.values.innerLr);
      expect(config.seed).not.toBe(0); // the trials' seed
    }
    // The comparison marks them as tuned on validation.
    const [cmp] = service.compareRuns([done.finals[0]!.id]);
    expect(cmp!.tuning).toMatchObject({
      sweepId: done.id,
      trials: 4,
      chosen: `Inner learning rate α = ${chosen.values.innerLr}`,
    });
    await service.close();
  }, 300_000);

  it('survives a workbench restart mid-rung: the interrupted trial resumes, no trial is lost or run twice', async () => {
    const dataDir = tempDir();
    let service = open(dataDir);
    const created = await service.createSweep({
      name: 'restart',
      learners: ['protonet'],
      space: [{ setting: 'metaLr', kind: 'range', scale: 'log', min: 1e-3, max: 1e-2 }],
      trials: 2,
      rungs: [1 / 2],
      finalSeeds: 1,
      config: { ...GLYPHS, iterations: 40 },
    });
    // A trial other than the first mid-way to the rung (iteration 20).
    const victim = await until(
      'a trial before its rung',
      () => {
        const d = service.sweep(created.id);
        const first = d.trials[0]?.runId;
        return d.trials.find(
          (x) => x.runId !== first && x.status === 'running' && x.iteration >= 3 && x.iteration < 20,
        );
      },
      120_000,
      20,
    );
    await service.close(); // its trainer checkpoints and ends as interrupted
    // …and stays so while the workbench is closed: nothing resumes it on the way out.
    const closed = openStore(dataDir);
    expect(closed.runs.get(victim.runId)).toMatchObject({ status: 'interrupted', attempt: 0 });
    closed.close();
    service = open(dataDir);
    const done = await ended(service, created.id);
    expect(done.status).toBe('completed');
    // Each trial once: two, numbered 0 and 1, none lost or duplicated by the restart.
    expect(done.trials.map((t) => t.trial).sort()).toEqual([0, 1]);
    expect(new Set(done.trials.map((t) => t.runId)).size).toBe(2);
    const resumed = service.run(victim.runId);
    expect(resumed.attempt).toBe(1);
    expect(['completed', 'cancelled']).toContain(resumed.status);
    // Its series goes on from the checkpoint with no step lost or doubled.
    expectContinuous(service, victim.runId, 'train/loss', resumed.iteration);
    // One decision per trial and rung reached, whatever the restart.
    for (const t of done.trials) expect(t.rungs.length).toBeLessThanOrEqual(1);
    expect(done.finals.map((f) => f.learner)).toEqual(['protonet']);
    await service.close();
  }, 300_000);

  it('is refused up front when it cannot be run fairly, naming the problem', async () => {
    const service = open();
    const base = { name: 'bad', learners: ['maml' as const], trials: 2 };
    await expect(
      service.createSweep({
        ...base,
        space: [{ setting: 'innerLr', kind: 'values', values: [0.1] }],
        config: { ...GLYPHS, iterations: 55 },
      }),
    ).rejects.toThrow(/Validate every.*multiple/);
    await expect(
      service.createSweep({
        ...base,
        space: [{ setting: 'innerLr', kind: 'values', values: [-1, 0.1] }],
        config: GLYPHS,
      }),
    ).rejects.toThrow(/Inner learning rate/);
    await expect(
      service.createSweep({
        ...base,
        learners: ['protonet'],
        space: [{ setting: 'innerLr', kind: 'values', values: [0.1] }],
        config: GLYPHS,
      }),
    ).rejects.toThrow(/changes what protonet computes/);
    expect(service.store.sweeps.list()).toEqual([]);
    await service.close();
  });
});
