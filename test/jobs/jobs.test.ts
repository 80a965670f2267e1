/**
 * The job runner with real trainer processes: runs complete and are stored; cancel checkpoints
 * and resume continues to the same result as an uninterrupted run; a SIGKILLed trainer fails its
 * run and loses nothing committed; runs left running by a crash are swept and resumable; a bad
 * config never reaches the queue; a full disk fails a run cleanly.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunStatus, RunSummary } from '../../src-main/contract/records';
import { storeJob } from '../../src-main/jobs/runRecorder';
import { runTrainerJob } from '../../src-main/jobs/trainerJob';
import { checkpointDirectory } from '../../src-main/layout/dataDirectory';
import { WorkbenchService } from '../../src-main/service/service';
import { openStore } from '../../src-main/store/store';
import { TINY } from '../helpers/configs';
import { haveRoot } from '../helpers/root';
import { tempDirs } from '../helpers/temp';
import { expectContinuous, until } from '../helpers/waiting';

const tempDir = tempDirs('deml-jobs');

function open(dataDir = tempDir()) {
  return WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'owner', pollMs: 100, staleMs: 5_000 });
}

const statusOf = (s: WorkbenchService, id: number) => s.store.runs.get(id)!.status;
const settled = (s: WorkbenchService, id: number, status: RunStatus) =>
  until(`run ${id} ${status}`, () => statusOf(s, id) === status);

describe('the job queue', () => {
  it('trains a run in its own process and stores metrics, validations, checkpoints and the meta-test', async () => {
    const dataDir = tempDir();
    const service = open(dataDir);
    const progress: number[] = [];
    const committed: number[] = [];
    service.on('run:progress', (p) => p.phase === 'training' && progress.push(p.iteration));
    service.on('run:metrics', (m) => committed.push(m.points.length));
    // Every checkpoint kept (the default keeps the newest two: the next test).
    const { runs } = await service.createExperiment({ name: 'one', config: { ...TINY, checkpointsKept: 0 } });
    const id = runs[0]!.id;
    await settled(service, id, 'completed');
    const run = service.run(id);
    expect(run.pid).toBeNull();
    expect(run.backend).toMatch(/^wasm/);
    expect(run.iteration).toBe(30);
    expect(run.evaluations.filter((e) => e.split === 'val').map((e) => e.step)).toEqual([10, 20, 30]);
    const test = run.evaluations.find((e) => e.split === 'test')!;
    expect(test.accuracies).toHaveLength(30);
    expect(run.testMean).toBeCloseTo(test.mean, 10);
    expect(run.checkpoints.map((c) => c.step)).toEqual([10, 20, 30]);
    expect(readdirSync(checkpointDirectory(dataDir, id)).filter((f) => f.endsWith('.json'))).toHaveLength(3);
    expectContinuous(service, id, 'train/loss', 30);
    // System metrics: the trainer's CPU share of all cores, from its second point on; no GPU
    // memory on wasm; and what it ran with.
    const [cpu, gpu] = service.store.metrics.series(id, { keys: ['system/cpu_percent', 'system/gpu_mb'] });
    expect(cpu!.steps).toHaveLength(29);
    for (const v of cpu!.values) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThanOrEqual(100 + 1e-9);
    }
    expect(gpu?.steps ?? []).toHaveLength(0);
    expect(run.provenance).toMatchObject({ node: process.version, tfjs: '4.22.0', gpu: null });
    expect(progress.at(-1)).toBe(30);
    expect(committed.reduce((a, b) => a + b, 0)).toBe(service.store.metrics.count(id));
    expect(await service.log(id)).toMatch(/run \d+: completed/);
    await service.close();
  }, 120_000);

  it('cancel checkpoints and stops; resume continues to the result of an uninterrupted run', async () => {
    const dataDir = tempDir();
    const service = open(dataDir);
    // Two runs of the same config and seed: the first uninterrupted, the second cancelled midway.
    const { runs } = await service.createExperiment({
      name: 'pair',
      config: { ...TINY, iterations: 200, valEvery: 50 },
    });
    const twin = await service.createExperiment({
      name: 'pair, again',
      config: { ...TINY, iterations: 200, valEvery: 50 },
    });
    const [a, b] = [runs[0]!.id, twin.runs[0]!.id];
    await settled(service, a, 'completed');
    expect(service.run(a).checkpoints.map((c) => c.step)).toEqual([190, 200]); // the newest two
    await until('run b training', () => (service.store.runs.get(b)!.iteration >= 12 ? true : null));
    // Cancelled from another process's view of the store (as `deml cancel` does): the flag.
    const client = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'client' });
    expect(client.cancelRun(b).status).toBe('running');
    client.close();
    await settled(service, b, 'cancelled');
    const stopped = service.run(b);
    const ckpt = stopped.checkpoints.at(-1)!;
    expect(ckpt.step).toBe(stopped.iteration); // checkpointed exactly where it stopped
    expect(ckpt.step).toBeLessThan(200);
    expectContinuous(service, b, 'train/loss', ckpt.step);

    expect(service.resumeRun(b).status).toBe('queued');
    await settled(service, b, 'completed');
    const lossA = expectContinuous(service, a, 'train/loss', 200);
    const lossB = expectContinuous(service, b, 'train/loss', 200);
    expect(lossB).toEqual(lossA);
    const testOf = (id: number) => service.run(id).evaluations.find((e) => e.split === 'test')!.accuracies;
    expect(testOf(b)).toEqual(testOf(a));
    expect(service.run(b).attempt).toBe(1);
    await service.close();
  }, 180_000);

  it('a trainer killed with SIGKILL fails its run with the reason; what was committed stays; it resumes', async () => {
    const service = open();
    const { runs } = await service.createExperiment({
      name: 'killed',
      config: { ...TINY, iterations: 400, checkpointEvery: 5, valEvery: 0 },
    });
    const id = runs[0]!.id;
    const run = await until('metrics committed', () => {
      const r = service.store.runs.get(id)!;
      return r.pid && service.store.metrics.count(id) >= 30 ? r : null;
    });
    process.kill(run.pid!, 'SIGKILL');
    await settled(service, id, 'failed');
    const failed = service.run(id);
    expect(failed.error).toMatch(/the trainer process was killed \(SIGKILL\)/);
    const kept = service.store.metrics.count(id);
    expect(kept).toBeGreaterThanOrEqual(30);

    service.resumeRun(id);
    await until('resumed run training', () => service.store.runs.get(id)!.iteration > failed.iteration + 5);
    service.cancelRun(id);
    await settled(service, id, 'cancelled');
    const n = service.run(id).iteration;
    expectContinuous(service, id, 'train/loss', n);
    expectContinuous(service, id, 'train/accuracy', n);
    await service.close();
  }, 120_000);

  it('a run whose end the store refuses (a full disk) reads failed with the reason, and is stored so once it can', async () => {
    const service = open();
    const { runs } = await service.createExperiment({
      name: 'unrecorded',
      config: { ...TINY, iterations: 400, checkpointEvery: 0, valEvery: 0 },
    });
    const id = runs[0]!.id;
    const run = await until('training', () => {
      const r = service.store.runs.get(id)!;
      return r.pid && service.store.metrics.count(id) >= 10 ? r : null;
    });
    // The disk fills: the queue cannot write the run's end.
    const finish = service.store.runs.finish.bind(service.store.runs);
    let full = true;
    service.store.runs.finish = (...args) => {
      if (full) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return finish(...args);
    };
    process.kill(run.pid!, 'SIGKILL');
    await until('the end seen', () => service.queue!.endOf(id));
    await new Promise((r) => setTimeout(r, 500)); // sweeps of the queue's timer: it is not swept
    expect(service.store.runs.get(id)!.status).toBe('running');
    expect(service.run(id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/killed \(SIGKILL\).*\(written late: the disk is full/),
    });
    // Space returns: that end is stored, not "interrupted" by a sweep with its cause lost.
    full = false;
    await settled(service, id, 'failed');
    expect(service.store.runs.get(id)!.error).toMatch(/killed \(SIGKILL\)/);
    expect(service.queue!.endOf(id)).toBeNull();
    await service.close();
  }, 120_000);

  it('a restart sweeps runs left running by a crash to interrupted, and they resume', async () => {
    const dataDir = tempDir();
    const first = open(dataDir);
    const { runs } = await first.createExperiment({ name: 'crash', config: TINY });
    const id = runs[0]!.id;
    await settled(first, id, 'completed');
    await first.close();
    // What a crash of the app leaves behind: a run marked running, its trainer gone.
    const store = openStore(dataDir);
    store.db
      .prepare(
        `UPDATE runs SET status = 'running', pid = 2147483646, heartbeat = ?, attempt = 0 WHERE id = ?`,
      )
      .run(Date.now() - 3_600_000, id);
    store.close();
    const second = open(dataDir);
    expect(statusOf(second, id)).toBe('interrupted');
    expect(second.run(id).error).toMatch(/gone|stopped responding/);
    second.resumeRun(id);
    await settled(second, id, 'completed');
    await second.close();
  }, 120_000);

  it('a queued run can be cancelled before it starts; a second workbench on the directory is refused', async () => {
    const dataDir = tempDir();
    const service = open(dataDir);
    const { runs } = await service.createExperiment({ name: 'queue', config: TINY, seeds: [1, 2] });
    const [first, second] = runs.map((r) => r.id) as [number, number];
    expect(service.cancelRun(second).status).toBe('cancelled');
    expect(() => open(dataDir)).toThrow(/another DEML Workbench .* is using this data directory/);
    await settled(service, first, 'completed');
    expect(service.run(second)).toMatchObject({ status: 'cancelled', startedAt: null, iteration: 0 });
    await service.close();
  }, 120_000);
});

describe('faults in training', () => {
  it('a diverging run fails with its iteration; a damaged checkpoint is refused on resume, and an earlier one chosen', async () => {
    const dataDir = tempDir();
    const service = open(dataDir);
    const nan = await service.createExperiment({ name: 'nan', config: { ...TINY, innerLr: 1e30 } });
    const ok = await service.createExperiment({ name: 'ok', config: TINY });
    const [bad, good] = [nan.runs[0]!.id, ok.runs[0]!.id];
    await settled(service, bad, 'failed');
    expect(service.run(bad).error).toMatch(/^training diverged at iteration 1: the meta-loss is NaN/);
    expect(service.run(bad).evaluations.filter((e) => e.split === 'test')).toEqual([]); // no "20% result"

    await settled(service, good, 'completed');
    expect(service.run(good).checkpoints.map((c) => c.step)).toEqual([20, 30]);
    // As after a crash: resumable. Then the newest checkpoint's data is damaged on disk.
    service.store.db.prepare(`UPDATE runs SET status = 'interrupted' WHERE id = ?`).run(good);
    const file = service
      .run(good)
      .checkpoints.at(-1)!
      .file.replace(/\.json$/, '.bin');
    const bytes = readFileSync(file);
    bytes[5] = bytes[5]! ^ 1;
    writeFileSync(file, bytes);
    service.resumeRun(good);
    await settled(service, good, 'failed');
    expect(service.run(good).error).toMatch(
      /checkpoint ckpt-00000030\.json is damaged: .*checksum.*the previous good checkpoint is at iteration 20/,
    );
    expect(() => service.resumeRun(good, { from: 25 })).toThrow(
      /no checkpoint at iteration 25; it has: 20, 30/,
    );
    service.resumeRun(good, { from: 20 });
    await settled(service, good, 'completed');
    const run = service.run(good);
    expect(run.checkpoints.map((c) => c.step)).toEqual([20, 30]);
    expect(run.resumeFrom).toBeNull();
    expectContinuous(service, good, 'train/loss', 30);
    expect(run.evaluations.filter((e) => e.split === 'test')).toHaveLength(1);
    await service.close();
  }, 180_000);

  it('a trainer stuck inside one long task is killed at the stop deadline; the run ends as asked, with the reason', async () => {
    const dataDir = tempDir();
    const service = WorkbenchService.open({
      dataDir,
      appVersion: 'test',
      mode: 'owner',
      pollMs: 100,
      stopGraceMs: 1500,
    });
    // One task of 10⁶ first-order inner steps: minutes of synchronous work that no message interrupts.
    const long = await service.createExperiment({
      name: 'one long task',
      config: { ...TINY, learner: 'fomaml', innerSteps: 1_000_000, metaBatch: 1 },
    });
    const other = await service.createExperiment({ name: 'next in the queue', config: TINY });
    const [id, next] = [long.runs[0]!.id, other.runs[0]!.id];
    await until('training started', () => service.store.runs.get(id)!.backend);
    await new Promise((r) => setTimeout(r, 500)); // inside the first task
    // From another process, as `deml cancel` does: the owner's queue sees the flag and starts the clock.
    const client = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'client' });
    client.cancelRun(id);
    client.close();
    const t0 = Date.now();
    await settled(service, id, 'cancelled');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(service.run(id).error).toMatch(
      /did not stop within 2 s of being asked \(it was inside one long task\) and was killed; it had no checkpoint yet/,
    );
    // The queue goes on with the next run.
    await settled(service, next, 'completed');
    await service.close();
  }, 120_000);
});

describe('evaluations in the queue', () => {
  it('an evaluation asked for runs in a process of its own and is stored with its run', async () => {
    const dataDir = tempDir();
    const service = open(dataDir);
    const { runs } = await service.createExperiment({ name: 'evaluate', config: TINY });
    const id = runs[0]!.id;
    await settled(service, id, 'completed');
    const seen: Array<[string, number]> = [];
    service.on('evaluation:status', (r) => seen.push([r.status, r.done]));

    // Refused at once, naming the field, with nothing queued.
    await expect(service.evaluateRun(id, { step: 7 })).rejects.toThrow(
      /Checkpoint: run \d+ has no checkpoint at iteration 7 \(it keeps 20, 30\)/,
    );
    await expect(service.evaluateRun(id, { ways: 30 })).rejects.toThrow(/Ways: 30-way tasks need 30 classes/);
    expect(service.run(id).pendingEvaluations).toEqual([]);

    // Another workbench process (a CLI, say) leaves the request; this one's queue carries it out.
    const client = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'client' });
    const request = await client.evaluateRun(id, { ways: 3, shots: 2, tasks: 25, step: 20 });
    await client.close();
    expect(request.status).toBe('queued');
    const done = await service.queue!.settled(request.id);
    expect(done).toMatchObject({ status: 'completed', error: null, done: 25, total: 25 });
    const run = service.run(id);
    const evaluation = run.evaluations.find((e) => e.id === done!.evaluationId)!;
    expect(evaluation).toMatchObject({
      origin: 'evaluation',
      step: 20,
      ways: 3,
      shots: 2,
      tasks: 25,
      split: 'test',
    });
    expect(evaluation.durationMs).toBeGreaterThan(0);
    expect(run.pendingEvaluations).toEqual([]);
    expect(run.testMean).toBe(
      run.evaluations.find((e) => e.origin === 'training' && e.split === 'test')!.mean,
    );
    expect(seen.map(([s]) => s)).toEqual(expect.arrayContaining(['running', 'completed']));
    expect(seen.some(([s, n]) => s === 'running' && n > 0)).toBe(true);

    // A long one is cancelled while it runs.
    const long = await service.evaluateRun(id, { tasks: 20_000 });
    await until('the evaluation to run', () => service.store.evaluationRequests.get(long.id)?.done);
    service.cancelEvaluation(long.id);
    expect(await service.queue!.settled(long.id)).toMatchObject({ status: 'cancelled', evaluationId: null });
    expect(service.run(id).pendingEvaluations.map((r) => r.status)).toEqual(['cancelled']);
    await service.close();
  }, 120_000);
});

describe('a full disk under the workbench (deml serve, the app)', () => {
  it('the owning service survives a disk that fills during a run and keeps answering (real tmpfs)', async () => {
    if (!haveRoot('mounts an 8 MiB tmpfs as the data directory')) return;
    const dataDir = tempDir();
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dataDir]);
    expect(mounted.status, mounted.stderr?.toString()).toBe(0);
    try {
      const service = open(dataDir);
      const { bavail, bsize } = statfsSync(dataDir);
      writeFileSync(join(dataDir, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - 200 * 1024)));
      const { runs } = await service.createExperiment({
        name: 'full',
        config: { ...TINY, iterations: 3000, valEvery: 0, checkpointEvery: 0 },
      });
      const id = runs[0]!.id;
      // Its trainer fails on the full disk; the service (what `deml serve` runs) must not throw
      // from a timer or callback while it records that, and must go on answering.
      await service.queue!.idle([id]);
      await new Promise((r) => setTimeout(r, 1500)); // a few sweeps of the queue's timer
      const run = service.store.runs.get(id)!;
      if (run.status === 'failed') expect(run.error).toMatch(/the disk is full/);
      else expect(service.queue!.storeError).toMatch(/the disk is full/);
      expect(run.iteration).toBeGreaterThan(0);
      // Whether or not its end could be written, the workbench says it failed, and why.
      const listed = (await service.call('runs:list', [])) as RunSummary[];
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/the disk is full/) });
      expect(await service.call('runs:get', [id])).toMatchObject({ status: 'failed' });
      // Once space returns, that end is what is stored: not "interrupted" with its cause lost.
      rmSync(join(dataDir, 'filler'));
      await new Promise((r) => setTimeout(r, 1500));
      expect(service.store.runs.get(id)).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/the disk is full/),
      });
      await service.close();
    } finally {
      spawnSync('umount', [dataDir]);
    }
  }, 180_000);
});

describe('a full disk during training', () => {
  it('fails the run cleanly with the reason and keeps the metrics written before', async () => {
    const dataDir = tempDir();
    const service = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'client' });
    const { runs } = await service.createExperiment({
      name: 'full',
      config: { ...TINY, iterations: 2000, valEvery: 0, checkpointEvery: 0 },
    });
    service.close();
    const id = runs[0]!.id;
    const store = openStore(dataDir);
    store.runs.markStarted(id, process.pid);
    const controller = new AbortController();
    const messages: string[] = [];
    let limited = false;
    const status = await runTrainerJob({
      ...storeJob(store, id),
      dataDir,
      signal: controller.signal,
      stopReason: () => 'cancelled',
      requestStop: () => controller.abort(),
      heartbeatMs: 50,
      send: (m) => {
        messages.push(m.type);
        // Once some points are safely stored, the disk "fills up" (SQLite's page limit: SQLITE_FULL).
        if (m.type === 'metrics' && !limited) {
          limited = true;
          store.db.pragma(`max_page_count = ${store.db.pragma('page_count', { simple: true }) as number}`);
        }
      },
    });
    expect(status).toBe('failed');
    const run = store.runs.get(id)!;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/metrics could not be written: the disk is full/);
    const kept = store.metrics.count(id);
    expect(kept).toBeGreaterThan(0);
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(messages.at(-1)).toBe('finished');
    store.close();
  }, 120_000);
});
