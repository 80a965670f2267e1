/**
 * The slurm executor on a real one-node cluster (.ci/slurm-up): runs complete with the same
 * accuracies as on the local queue; a cancel checkpoints and the run resumes; a job killed with
 * scancel fails with the reason and keeps its committed points; a job past its time limit is
 * TIMEOUT and resumes; a workbench restarted while jobs run picks them up with no point lost or
 * doubled; a sweep runs its trials and final runs as jobs; a partition that does not exist is refused with Slurm's words; a data directory the
 * nodes cannot see is found by the probe job before any run is submitted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExecutorChoice } from '../../src-main/contract/executor';
import type { RunStatus } from '../../src-main/contract/records';
import { WorkbenchService } from '../../src-main/service/service';
import { TINY } from '../helpers/configs';
import { haveRoot } from '../helpers/root';
import { haveSlurm } from '../helpers/slurm';
import { tempDirs } from '../helpers/temp';
import { expectContinuous, until } from '../helpers/waiting';

const tempDir = tempDirs('deml-slurm');
const SLURM: ExecutorChoice = { kind: 'slurm', slurm: {} };

function open(dataDir: string, executor: ExecutorChoice = SLURM) {
  return WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'owner', pollMs: 250, executor });
}

/** Jobs wait for the scheduler and a time limit: longer than a local run. */
const untilJob = <T>(what: string, probe: () => T | null | undefined | false) =>
  until(what, probe, 150_000, 100);

const settled = (s: WorkbenchService, id: number, status: RunStatus) =>
  untilJob(`run ${id} ${status}`, () => {
    const run = s.store.runs.get(id)!;
    if (run.status === status) return run;
    if (run.status !== 'running' && run.status !== 'queued')
      throw new Error(`run ${id} ended ${run.status}, not ${status}: ${run.error}`);
    return null;
  });

const expectLoss = (s: WorkbenchService, id: number, n: number) => expectContinuous(s, id, 'train/loss', n);

describe('the slurm executor on a real cluster', () => {
  it('4 runs complete with the accuracies the local queue gives for the same seeds', async () => {
    if (!haveSlurm('submits real jobs')) return;
    const input = { name: 'four', config: TINY, learners: ['maml', 'fomaml'] as const, seeds: [0, 1] };
    const results = async (executor: ExecutorChoice) => {
      const service = open(tempDir(), executor);
      const { runs } = await service.createExperiment({ ...input, learners: [...input.learners] });
      for (const r of runs) await settled(service, r.id, 'completed');
      const out = runs.map((r) => {
        const run = service.store.runs.summary(r.id)!;
        return {
          learner: run.learner,
          seed: run.seed,
          mean: run.testMean,
          ci95: run.testCi95,
          slurm: run.slurm,
        };
      });
      await service.close();
      return out;
    };
    const [cluster, local] = await Promise.all([results(SLURM), results({ kind: 'local' })]);
    const scores = (rows: typeof cluster) => rows.map((r) => [r.learner, r.seed, r.mean, r.ci95]);
    expect(scores(cluster)).toEqual(scores(local));
    for (const r of cluster)
      expect(r.slurm).toMatchObject({ jobId: expect.stringMatching(/^\d+$/), state: 'COMPLETED' });
    expect(local.every((r) => r.slurm === null)).toBe(true);
  }, 300_000);

  it('cancel, scancel --signal=KILL, a time limit and a workbench restart, each with the status and reason it deserves', async () => {
    if (!haveSlurm('submits real jobs')) return;
    const dataDir = tempDir();
    let service = open(dataDir);
    const long = { ...TINY, iterations: 100_000, checkpointEvery: 20, valEvery: 0 };

    // Past its time limit (1 minute): TIMEOUT. It runs alongside the others (one CPU each).
    const timed = (
      await service.createExperiment({
        name: 'time limit',
        config: long,
        executor: { kind: 'slurm', slurm: { time: '1' } },
      })
    ).runs[0]!.id;

    // Cancel: the trainer checkpoints where it stops; resume finishes from there.
    const cancelled = (
      await service.createExperiment({
        name: 'cancel',
        config: { ...TINY, iterations: 300, checkpointEvery: 5, valEvery: 0 },
      })
    ).runs[0]!.id;
    await untilJob('the cancelled run training', () => service.store.runs.get(cancelled)!.iteration >= 20);
    service.cancelRun(cancelled);
    const stopped = await settled(service, cancelled, 'cancelled');
    expect(stopped.error).toBeNull();
    expect(service.run(cancelled).checkpoints.at(-1)!.step).toBe(stopped.iteration);
    // The cancel file is written, then scancel sent: a trainer that sees the file first ends its
    // job itself (COMPLETED) before scancel lands (CANCELLED); on a loaded machine either wins.
    expect(['CANCELLED', 'COMPLETED']).toContain(service.run(cancelled).slurm!.state);
    expectLoss(service, cancelled, stopped.iteration);
    service.resumeRun(cancelled);
    await settled(service, cancelled, 'completed');
    expectLoss(service, cancelled, 300);
    const jobs = service.store.slurmJobs.list(cancelled);
    expect(jobs.map((j) => j.attempt)).toEqual([0, 1]);
    expect(jobs[1]!.jobId).not.toBe(jobs[0]!.jobId);
    expect(await service.log(cancelled)).toMatch(/resumed at iteration \d+ from/);

    // Killed outside the workbench: failed with the reason; the points committed before stay.
    const killed = (await service.createExperiment({ name: 'kill', config: long })).runs[0]!.id;
    const running = await untilJob('the killed run training', () => {
      const r = service.store.runs.get(killed)!;
      return service.store.metrics.count(killed) >= 30 && r.slurm?.state === 'RUNNING' ? r : null;
    });
    execFileSync('scancel', ['--signal=KILL', running.slurm!.jobId]);
    const failed = await settled(service, killed, 'failed');
    expect(failed.error).toMatch(
      new RegExp(`Slurm job ${running.slurm!.jobId} was cancelled outside the workbench .*at iteration \\d+`),
    );
    expect(service.store.metrics.count(killed)).toBeGreaterThanOrEqual(30);
    expectLoss(service, killed, failed.iteration);

    // A workbench restart while a job runs: picked up again, no point lost or doubled.
    const restarted = (
      await service.createExperiment({
        name: 'restart',
        config: { ...TINY, iterations: 600, checkpointEvery: 50, valEvery: 200 },
      })
    ).runs[0]!.id;
    await untilJob('the run training', () => service.store.runs.get(restarted)!.iteration >= 40);
    await service.close();
    await new Promise((r) => setTimeout(r, 2000)); // the job trains on while no workbench watches
    service = open(dataDir);
    await settled(service, restarted, 'completed');
    expectLoss(service, restarted, 600);
    expect(
      service
        .run(restarted)
        .evaluations.filter((e) => e.split === 'val')
        .map((e) => e.step),
    ).toEqual([200, 400, 600]);

    // The time limit, meanwhile: TIMEOUT, interrupted with the reason; resume continues.
    const timedOut = await settled(service, timed, 'interrupted');
    expect(timedOut.error).toMatch(
      /reached its time limit \(1\) at iteration \d+; resume continues from its checkpoint at iteration \d+/,
    );
    expect(service.run(timed).slurm!.state).toBe('TIMEOUT');
    const from = service.run(timed).checkpoints.at(-1)!.step;
    service.resumeRun(timed);
    await untilJob(
      'the resumed run past its checkpoint',
      () => service.store.runs.get(timed)!.iteration >= from + 20,
    );
    service.cancelRun(timed);
    const last = await settled(service, timed, 'cancelled');
    expectLoss(service, timed, last.iteration);
    expect(await service.log(timed)).toMatch(new RegExp(`resumed at iteration ${from} from`));
    await service.close();
  }, 400_000);

  it('a damaged events file fails the run where the damage is, keeps what came before and stops the job', async () => {
    if (!haveSlurm('submits real jobs')) return;
    const service = open(tempDir());
    const { runs } = await service.createExperiment({
      name: 'damaged',
      config: { ...TINY, iterations: 100_000, checkpointEvery: 20, valEvery: 0 },
    });
    const id = runs[0]!.id;
    const job = await untilJob('metrics ingested', () =>
      service.store.metrics.count(id) >= 20 ? service.store.slurmJobs.latest(id) : null,
    );
    appendFileSync(job!.eventsFile, '{"e":"metrics","points":[{"key":\n');
    const failed = await settled(service, id, 'failed');
    expect(failed.error).toMatch(
      /^the run's events file .*events\.jsonl is damaged at byte \d+ \(.*\); what came before is kept$/,
    );
    expect(service.store.metrics.count(id)).toBeGreaterThanOrEqual(20);
    await untilJob('the job stopped', () => {
      const s = service.store.slurmJobs.latest(id)!;
      return s.endedAt != null;
    });
    await untilJob('Slurm ended the job', () => {
      const out = execFileSync('squeue', ['-h', '-t', 'all', '-j', job!.jobId, '-o', '%T'], {
        encoding: 'utf8',
      });
      return /CANCELLED|COMPLETED|FAILED/.test(out) || out.trim() === '';
    });
    await service.close();
  }, 120_000);

  it('a partition that does not exist is refused with Slurm’s words, and nothing is submitted', async () => {
    if (!haveSlurm('submits real jobs')) return;
    const service = open(tempDir());
    const { runs } = await service.createExperiment({
      name: 'nowhere',
      config: TINY,
      executor: { kind: 'slurm', slurm: { partition: 'nosuchpartition' } },
    });
    const run = await settled(service, runs[0]!.id, 'failed');
    expect(run.error).toMatch(
      /^could not submit the run to Slurm: sbatch failed: invalid partition specified: nosuchpartition/,
    );
    expect(service.store.slurmJobs.list(run.id)).toEqual([]);
    await service.close();
  }, 60_000);

  it('a run refused at submission resumes on another executor: the cluster’s default partition, or this machine', async () => {
    if (!haveSlurm('submits real jobs')) return;
    // The workbench's own executor is the local queue; the experiment asked for a bad partition.
    const service = open(tempDir(), { kind: 'local' });
    const { runs } = await service.createExperiment({
      name: 'nowhere, then somewhere',
      config: TINY,
      seeds: [0, 1],
      executor: { kind: 'slurm', slurm: { partition: 'nosuchpartition' } },
    });
    const [toCluster, toLocal] = [runs[0]!.id, runs[1]!.id];
    await settled(service, toCluster, 'failed');
    await settled(service, toLocal, 'failed');
    // No checkpoint: it runs again from scratch, on the cluster's default partition…
    await service.call('runs:resume', [toCluster, { from: 0, executor: { kind: 'slurm', slurm: {} } }]);
    // …or with the workbench's default executor, here the local queue.
    await service.call('runs:resume', [toLocal, { from: 0, executor: 'default' }]);
    const onCluster = await settled(service, toCluster, 'completed');
    const onLocal = await settled(service, toLocal, 'completed');
    expect(onCluster.executor).toEqual({ kind: 'slurm', slurm: {} });
    expect(service.store.slurmJobs.list(toCluster)).toHaveLength(1);
    expect(onLocal.executor).toBeNull();
    expect(service.store.slurmJobs.list(toLocal)).toEqual([]);
    for (const id of [toCluster, toLocal]) expectLoss(service, id, 30);
    await service.close();
  }, 240_000);

  it('a sweep runs on the cluster: its trials as jobs, never meta-tested; the chosen configuration meta-tested on a fresh seed', async () => {
    if (!haveSlurm('submits real jobs')) return;
    const service = open(tempDir());
    const created = await service.createSweep({
      name: 'on the cluster',
      learners: ['maml'],
      space: [{ setting: 'innerLr', kind: 'values', values: [0.01, 0.4] }],
      method: 'grid',
      trials: 2,
      rungs: [1 / 3],
      finalSeeds: 1,
      parallel: 2,
      config: TINY,
    });
    const done = await untilJob('the sweep to end', () => {
      const d = service.sweep(created.id);
      return d.status !== 'running' ? d : null;
    });
    expect(done.status).toBe('completed');
    expect(done.trials).toHaveLength(2);
    for (const t of done.trials) {
      const run = service.run(t.runId);
      expect(run.executor).toEqual(SLURM);
      expect(service.store.slurmJobs.list(t.runId).length).toBeGreaterThanOrEqual(1);
      expect(run.evaluations.some((e) => e.split === 'test')).toBe(false);
      expect(t.validation).not.toBeNull();
    }
    expect(done.chosen.maml).toBeDefined();
    const [final] = done.finals;
    expect(final!.status).toBe('completed');
    expect(final!.testMean).not.toBeNull();
    expect(final!.slurm).toMatchObject({ state: 'COMPLETED' });
    await service.close();
  }, 300_000);

  it('a data directory the nodes cannot see is found by the probe job, and the run is refused with the reason', () => {
    if (!haveSlurm('submits a probe job') || !haveRoot('mounts a tmpfs that only the workbench sees')) return;
    // The workbench runs in a mount namespace of its own, with the data directory on a tmpfs
    // there: the node (slurmd, outside) sees an empty folder at that path, as a node sees a
    // laptop's local disk.
    const dataDir = join(tempDir(), 'private');
    mkdirSync(dataDir);
    const bin = resolve(__dirname, '../../bin/deml.mjs');
    const launch = [
      process.execPath,
      bin,
      'launch',
      '--data',
      'synthetic:classes=40,size=12',
      '--blocks',
      '2',
      '--iterations',
      '5',
    ]
      .concat(['--executor', 'slurm', '--time', '5', '--data-dir', dataDir])
      .map((a) => `'${a}'`)
      .join(' ');
    const r = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs tmpfs '${dataDir}' && ${launch}`],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /failed +0\/5 +could not submit the run to Slurm: the compute nodes cannot see the data directory .*private: the probe job \d+ \((COMPLETED|FAILED)( on \S+)?\) could not read it and write to it/,
    );
  }, 150_000);
});
