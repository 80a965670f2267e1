/** The experiment store: schema and migrations, repositories, and the faults a user can meet. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExperimentConfig } from '../../src-main/contract/config';
import { trainingTime } from '../../src-main/contract/records';
import { storeRecorder } from '../../src-main/jobs/runRecorder';
import { MetricWriteError, MetricWriter } from '../../src-main/jobs/metricWriter';
import { databasePath } from '../../src-main/layout/dataDirectory';
import { StoreError, openDatabase } from '../../src-main/store/database';
import { InstanceLockedError, acquireInstanceLock } from '../../src-main/store/instanceLock';
import { MIGRATIONS, SCHEMA_VERSION, schemaVersion } from '../../src-main/store/migrations';
import { openStore } from '../../src-main/store/store';
import { electronBindingPath, nativeBindingFor } from '../../src-main/store/sqlite';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-store');
const config = parseExperimentConfig({ data: 'synthetic', iterations: 50 });

function seeded(dataDir = tempDir()) {
  const store = openStore(dataDir);
  const experiment = store.experiments.create({ name: 'MAML vs Meta-SGD', tags: ['omniglot'], config });
  const run = store.runs.create({ experimentId: experiment.id, config, appVersion: 'test' });
  return { store, experiment, run, dataDir };
}

/** The StoreError opening `dataDir` is refused with (fails the test when it opens). */
function refusalOf(dataDir: string): StoreError {
  try {
    openStore(dataDir).close();
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    return e as StoreError;
  }
  throw new Error(`the store in ${dataDir} opened, but a refusal was expected`);
}

describe('schema', () => {
  it('a fresh database is in WAL mode with foreign keys and the latest schema', () => {
    const { store } = seeded();
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(schemaVersion(store.db)).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    const tables = (
      store.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as Array<{
        name: string;
      }>
    ).map((t) => t.name);
    expect(tables).toEqual([
      'checkpoints',
      'datasets',
      'evaluation_requests',
      'evaluations',
      'experiments',
      'metrics',
      'projections',
      'runs',
      'slurm_jobs',
      'sweep_rungs',
      'sweeps',
    ]);
    store.close();
  });

  // Every released version must migrate to the latest with its data intact.
  for (let from = 1; from < SCHEMA_VERSION; from++) {
    it(`a version ${from} database migrates to version ${SCHEMA_VERSION} with its data`, () => {
      const dataDir = tempDir();
      const old = openDatabase(dataDir, { targetVersion: from });
      expect(schemaVersion(old)).toBe(from);
      old
        .prepare(`INSERT INTO experiments (name, config, created_at, updated_at) VALUES ('old', ?, 1, 1)`)
        .run(JSON.stringify(config));
      old
        .prepare(
          `INSERT INTO runs (experiment_id, learner, seed, status, queued_at, app_version, config, iterations)
           VALUES (1, 'maml', 7, 'completed', 1, '0.0.1', ?, 50)`,
        )
        .run(JSON.stringify(config));
      old
        .prepare(`INSERT INTO metrics VALUES (1, 'train/loss', 1, 1.5, 1), (1, 'train/loss', 2, 1.25, 2)`)
        .run();
      // From version 4 on, an evaluation names its dataset (earlier ones get their run's).
      const dataset = from >= 4 ? ', dataset' : '';
      old
        .prepare(
          `INSERT INTO evaluations (run_id, split, step, ways, shots, queries, inner_steps, tasks, mean, ci95, std, accuracies, created_at${dataset})
           VALUES (1, 'test', 50, 5, 1, 15, 3, 2, 0.5, 0.1, 0.07, ?, 1${from >= 4 ? ', ?' : ''})`,
        )
        .run(Buffer.from(new Float32Array([0.25, 0.75]).buffer), ...(from >= 4 ? [config.data] : []));
      old.close();

      const store = openStore(dataDir);
      expect(schemaVersion(store.db)).toBe(SCHEMA_VERSION);
      const run = store.runs.get(1)!;
      expect(run).toMatchObject({
        learner: 'maml',
        seed: 7,
        status: 'completed',
        attempt: 0,
        cancelRequested: false,
      });
      expect(store.metrics.series(1)).toEqual([
        { key: 'train/loss', steps: [1, 2], values: [1.5, 1.25], times: [1, 2] },
      ]);
      expect(store.evaluations.list(1)[0]).toMatchObject({
        mean: 0.5,
        accuracies: [0.25, 0.75],
        episodeSeed: 0,
        // Rows from before version 4: the run's training made them, on the run's dataset.
        origin: 'training',
        dataset: config.data,
        episodeFile: null,
        durationMs: null,
        instances: null,
        byInstance: null,
      });
      expect(store.runs.list()[0]).toMatchObject({ experimentName: 'old', testMean: 0.5 });
      store.close();
    });
  }

  it('refuses a database from a newer app and leaves it untouched', () => {
    const dataDir = tempDir();
    openStore(dataDir).close();
    const db = openDatabase(dataDir);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const before = readFileSync(databasePath(dataDir));
    expect(() => openStore(dataDir)).toThrow(/newer than this app/);
    expect(readFileSync(databasePath(dataDir)).equals(before)).toBe(true);
  });
});

describe('a damaged database', () => {
  it('gives a clear message, keeps the file as it was and saves a copy', () => {
    const dataDir = tempDir();
    const garbage = Buffer.from('this was a database until the disk failed '.repeat(200));
    writeFileSync(databasePath(dataDir), garbage);
    const error = refusalOf(dataDir);
    expect(error.code).toBe('corrupt');
    expect(error.message).toMatch(/is damaged .* left untouched and a copy saved as .*\.bak/);
    expect(readFileSync(databasePath(dataDir)).equals(garbage)).toBe(true);
    const backups = readdirSync(dataDir).filter((f) => f.endsWith('.bak'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(dataDir, backups[0]!)).equals(garbage)).toBe(true);
    // Every later command refused on the same damage names that copy; it saves no other.
    for (let i = 0; i < 3; i++) expect(refusalOf(dataDir).message).toContain(backups[0]!);
    expect(readdirSync(dataDir).filter((f) => f.endsWith('.bak'))).toEqual(backups);
    // Other damage is another copy.
    writeFileSync(databasePath(dataDir), Buffer.concat([garbage, Buffer.from('more')]));
    refusalOf(dataDir);
    expect(readdirSync(dataDir).filter((f) => f.endsWith('.bak'))).toHaveLength(2);
  });
});

describe('damage inside the database and an empty file', () => {
  it('garbage over pages in the middle is found at open: refused, the file kept, a copy saved', () => {
    const { store, run, dataDir } = seeded();
    const points = Array.from({ length: 100_000 }, (_, i) => ({
      key: 'train/loss',
      step: i + 1,
      value: Math.sin(i),
      time: 1_700_000_000_000 + i,
    }));
    store.metrics.insert(run.id, points);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const t0 = performance.now();
    expect(store.db.pragma('quick_check', { simple: true })).toBe('ok');
    console.log(`quick_check on ${points.length} metric points: ${(performance.now() - t0).toFixed(0)} ms`);
    store.close();
    const file = databasePath(dataDir);
    const bytes = readFileSync(file);
    const page = 4096;
    const middle = Math.floor(bytes.length / page / 2) * page;
    bytes.fill(0x5a, middle + 100, middle + 3 * page);
    writeFileSync(file, bytes);
    const error = refusalOf(dataDir);
    expect(error.code).toBe('corrupt');
    expect(error.message).toMatch(
      /is damaged \(the integrity check found: .*btreeInitPage.*\)\. It was left untouched and a copy saved as .*\.bak/s,
    );
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(readdirSync(dataDir).filter((f) => f.endsWith('.bak'))).toHaveLength(1);
  });

  it('an empty database file is kept and refused, not silently replaced', () => {
    const dataDir = tempDir();
    writeFileSync(databasePath(dataDir), '');
    expect(() => openStore(dataDir)).toThrow(/is damaged \(the file is empty \(0 bytes\)\)/);
    expect(readFileSync(databasePath(dataDir)).length).toBe(0);
    expect(readdirSync(dataDir).filter((f) => f.endsWith('.bak'))).toHaveLength(1);
  });
});

describe('repositories', () => {
  it('keeps a run through its life cycle, one transition at a time', () => {
    const { store, run } = seeded();
    expect(run).toMatchObject({ status: 'queued', learner: config.learner, iterations: 50, attempt: 0 });
    expect(store.runs.nextQueued()?.id).toBe(run.id);
    expect(store.runs.markStarted(run.id, 1234)).toBe(true);
    expect(store.runs.markStarted(run.id, 999)).toBe(false); // a second scheduler cannot take it
    expect(store.runs.nextQueued()).toBeNull();
    expect(store.runs.requestCancel(run.id)).toBe('running');
    expect(store.runs.get(run.id)!.cancelRequested).toBe(true);
    expect(store.runs.finish(run.id, 'cancelled')).toBe(true);
    expect(store.runs.finish(run.id, 'failed', 'late')).toBe(false); // only from running
    expect(store.runs.requeue(run.id)).toBe(true);
    expect(store.runs.get(run.id)).toMatchObject({ status: 'queued', attempt: 1, cancelRequested: false });
    store.runs.markStarted(run.id, 1);
    // A trainer of an earlier attempt cannot end this one.
    expect(store.runs.finish(run.id, 'completed', null, { attempt: 0 })).toBe(false);
    expect(store.runs.finish(run.id, 'completed', null, { attempt: 1 })).toBe(true);
    store.close();
  });

  it('times a run by its attempts’ running time: not the time queued, nor stopped between attempts', () => {
    const { store, run } = seeded();
    const min = 60_000;
    const t0 = run.queuedAt;
    // Queued 5 minutes, trains 1 minute, cancelled; stopped 3 minutes, queued again 1 minute,
    // trains 1 minute more and fails: 2 minutes of training in 11.
    expect(trainingTime(store.runs.get(run.id)!, t0 + 5 * min)).toBe(0);
    store.runs.markStarted(run.id, 1, t0 + 5 * min);
    expect(trainingTime(store.runs.get(run.id)!, t0 + 5.5 * min)).toBe(0.5 * min); // so far
    store.runs.finish(run.id, 'cancelled', null, { now: t0 + 6 * min });
    expect(trainingTime(store.runs.get(run.id)!, t0 + 9 * min)).toBe(min);
    store.runs.requeue(run.id, t0 + 9 * min);
    expect(trainingTime(store.runs.get(run.id)!, t0 + 10 * min)).toBe(min);
    store.runs.markStarted(run.id, 2, t0 + 10 * min);
    store.runs.finish(run.id, 'failed', 'out of memory', { attempt: 1, now: t0 + 11 * min });
    const done = store.runs.summary(run.id)!;
    expect(trainingTime(done, t0 + 60 * min)).toBe(2 * min);
    expect(done.endedAt! - done.startedAt!).toBe(6 * min); // what the page used to show
    // A lost trainer trained until its last heartbeat, not until the sweep found it gone.
    store.runs.requeue(run.id, t0 + 12 * min);
    store.runs.markStarted(run.id, 3, t0 + 12 * min);
    store.runs.heartbeat(run.id, t0 + 13 * min);
    expect(store.runs.markInterrupted(run.id, 'gone', t0 + 20 * min)).toBe(true);
    expect(trainingTime(store.runs.get(run.id)!, t0 + 30 * min)).toBe(3 * min);
    // A Slurm job trains from when it leaves the cluster's queue (4 minutes pending here).
    store.runs.requeue(run.id, t0 + 30 * min);
    store.runs.markStarted(run.id, null, t0 + 30 * min);
    store.runs.attemptRunning(run.id, 2, t0 + 34 * min); // an earlier attempt's job: ignored
    store.runs.attemptRunning(run.id, 3, t0 + 34 * min);
    store.runs.finish(run.id, 'completed', null, { attempt: 3, now: t0 + 35 * min });
    expect(trainingTime(store.runs.get(run.id)!)).toBe(4 * min);
    store.close();
  });

  it('cancels a queued run at once', () => {
    const { store, run } = seeded();
    expect(store.runs.requestCancel(run.id)).toBe('cancelled');
    expect(store.runs.get(run.id)!.status).toBe('cancelled');
    store.close();
  });

  it('filters experiments by text, tag, learner and status', () => {
    const { store } = seeded();
    const other = store.experiments.create({ name: 'pixels baseline', tags: ['mini'], config });
    store.runs.create({
      experimentId: other.id,
      config: parseExperimentConfig({ ...config, learner: 'metasgd' }),
      appVersion: 'test',
    });
    expect(store.experiments.list().map((e) => e.name)).toEqual(['pixels baseline', 'MAML vs Meta-SGD']);
    expect(store.experiments.list({ search: 'META-sgd' }).map((e) => e.name)).toEqual(['MAML vs Meta-SGD']);
    expect(store.experiments.list({ tag: 'mini' }).map((e) => e.name)).toEqual(['pixels baseline']);
    expect(store.experiments.list({ learner: 'metasgd' }).map((e) => e.name)).toEqual(['pixels baseline']);
    expect(store.experiments.list({ status: 'queued' })).toHaveLength(2);
    expect(store.experiments.list({ status: 'running' })).toHaveLength(0);
    expect(store.experiments.list()[0]).toMatchObject({
      runs: 1,
      statuses: { queued: 1 },
      learners: ['metasgd'],
    });
    store.close();
  });

  it('deleting an experiment removes its runs and their rows, and nothing of another', () => {
    const { store, experiment, run } = seeded();
    const other = store.experiments.create({ name: 'keep', config });
    const kept = store.runs.create({ experimentId: other.id, config, appVersion: 'test' });
    for (const r of [run, kept]) {
      store.metrics.insert(r.id, [{ key: 'train/loss', step: 1, value: 1, time: 1 }]);
      store.checkpoints.record(r.id, 1, `/x/${r.id}`, [`/x/${r.id}`]);
    }
    expect(store.experiments.delete(experiment.id)).toBe(true);
    expect(store.runs.get(run.id)).toBeNull();
    expect(store.metrics.count(run.id)).toBe(0);
    expect(store.checkpoints.list(run.id)).toEqual([]);
    expect(store.metrics.count(kept.id)).toBe(1);
    expect(store.checkpoints.list(kept.id)).toHaveLength(1);
    store.close();
  });

  it('reads a series in step order and truncates it after a checkpoint', () => {
    const { store, run } = seeded();
    const points = [5, 3, 1, 4, 2].flatMap((step) => [
      { key: 'train/loss', step, value: 10 - step, time: step },
      { key: 'train/accuracy', step, value: step / 10, time: step },
    ]);
    store.metrics.insert(run.id, [...points, { key: 'pretrain/loss', step: 1, value: 3, time: 0 }]);
    const [loss] = store.metrics.series(run.id, { keys: ['train/loss'] });
    expect(loss!.steps).toEqual([1, 2, 3, 4, 5]);
    expect(loss!.values).toEqual([9, 8, 7, 6, 5]);
    expect(store.metrics.series(run.id, { keys: ['train/loss'], afterStep: 3 })[0]!.steps).toEqual([4, 5]);
    // A duplicate point is refused, not silently doubled.
    expect(() => store.metrics.insert(run.id, [{ key: 'train/loss', step: 2, value: 0, time: 0 }])).toThrow(
      /UNIQUE|PRIMARY KEY/,
    );
    expect(store.metrics.truncateAfter(run.id, 3)).toBe(4);
    expect(store.metrics.keys(run.id)).toEqual(['pretrain/loss', 'train/accuracy', 'train/loss']);
    expect(store.metrics.truncateAfter(run.id, 0, { pretrain: true })).toBe(7);
    expect(store.metrics.count(run.id)).toBe(0);
    store.close();
  });

  it('stores every task accuracy of an evaluation', () => {
    const { store, run } = seeded();
    const accuracies = [0.2, 0.4, 1, 0.6];
    const evaluation = {
      runId: run.id,
      origin: 'training' as const,
      split: 'test' as const,
      step: 50,
      dataset: 'glyphs',
      ways: 5,
      shots: 1,
      queries: 15,
      innerSteps: 3,
      episodeSeed: 11,
      episodeFile: null,
      episodeFileName: null,
      tasks: 4,
      mean: 0.55,
      ci95: 0.3,
      std: 0.34,
      accuracies,
      durationMs: 1234,
      instances: null,
      byInstance: null,
    };
    store.evaluations.insert(evaluation);
    // An evaluation asked for later (another N, an episode file) is kept beside it, not as its meta-test.
    store.evaluations.insert({
      ...evaluation,
      origin: 'evaluation',
      split: null,
      ways: 20,
      episodeFile: 'ab'.repeat(32),
      episodeFileName: 'fixed.json',
      mean: 0.4,
    });
    // A MANN's: its sequences' presentations, and the accuracy at each.
    store.evaluations.insert({
      ...evaluation,
      origin: 'evaluation',
      shots: 0,
      queries: 0,
      instances: 3,
      byInstance: [
        { mean: 0.25, ci95: 0.1 },
        { mean: 0.5, ci95: 0.1 },
        { mean: 0.75, ci95: 0.05 },
      ],
    });
    expect(store.evaluations.list(run.id)[2]).toMatchObject({
      instances: 3,
      byInstance: [
        { mean: 0.25, ci95: 0.1 },
        { mean: 0.5, ci95: 0.1 },
        { mean: 0.75, ci95: 0.05 },
      ],
    });
    const [e, later] = store.evaluations.list(run.id);
    expect(e!.accuracies.map((a) => Math.round(a * 1e6) / 1e6)).toEqual(accuracies);
    expect(e).toMatchObject({ episodeSeed: 11, innerSteps: 3, split: 'test', durationMs: 1234 });
    expect(later).toMatchObject({
      origin: 'evaluation',
      split: null,
      ways: 20,
      episodeFileName: 'fixed.json',
    });
    expect(store.runs.summary(run.id)).toMatchObject({ testMean: 0.55, testCi95: 0.3 });
    // The experiments list shows its best meta-test accuracy (of the runs' own meta-tests).
    expect(store.experiments.summary(run.experimentId)!.best).toEqual({
      learner: 'maml',
      runId: run.id,
      mean: 0.55,
      ci95: 0.3,
    });
    store.close();
  });

  it('keeps a run’s notes and tags, and filters runs by learner, space, dataset, tag and accuracy', () => {
    const { store, experiment, run } = seeded();
    const concept = store.runs.create({
      experimentId: experiment.id,
      config: parseExperimentConfig({ data: 'glyphs', space: 'concept', learner: 'metasgd' }),
      appVersion: 'test',
    });
    expect(store.runs.annotate(run.id, { notes: 'the baseline', tags: ['baseline', 'paper'] })).toBe(true);
    expect(store.runs.annotate(concept.id, { tags: ['paper'] })).toBe(true);
    expect(store.runs.annotate(9999, { notes: 'x' })).toBe(false);
    expect(store.runs.summary(run.id)).toMatchObject({ notes: 'the baseline', tags: ['baseline', 'paper'] });
    expect(store.runs.summary(concept.id)).toMatchObject({ notes: '', tags: ['paper'] });
    const ids = (filter: Parameters<typeof store.runs.list>[0]) => store.runs.list(filter).map((r) => r.id);
    expect(ids({ tag: 'paper' })).toEqual([concept.id, run.id]);
    expect(ids({ tag: 'baseline' })).toEqual([run.id]);
    expect(ids({ space: 'concept' })).toEqual([concept.id]);
    expect(ids({ data: 'synthetic' })).toEqual([run.id]);
    expect(ids({ learner: 'metasgd', tag: 'paper' })).toEqual([concept.id]);
    store.evaluations.insert({
      runId: run.id,
      origin: 'training',
      split: 'test',
      step: 50,
      dataset: 'synthetic',
      ways: 5,
      shots: 1,
      queries: 15,
      innerSteps: 3,
      episodeSeed: 0,
      episodeFile: null,
      episodeFileName: null,
      tasks: 2,
      mean: 0.6,
      ci95: 0.1,
      std: 0.1,
      accuracies: [0.5, 0.7],
      durationMs: 1,
      instances: null,
      byInstance: null,
    });
    // An accuracy range leaves out runs without a meta-test.
    expect(ids({ minAccuracy: 0.5 })).toEqual([run.id]);
    expect(ids({ minAccuracy: 0.5, maxAccuracy: 0.55 })).toEqual([]);
    expect(ids({ maxAccuracy: 0.9 })).toEqual([run.id]);
    store.close();
  });
});

describe('a full disk while writing metrics', () => {
  it('fails the write with a clear message and keeps every point committed before', () => {
    const { store, run } = seeded();
    const writer = new MetricWriter(storeRecorder(store, run.id, run.attempt), () => undefined);
    for (let step = 1; step <= 100; step++) writer.add('train/loss', step, 1 / step);
    writer.flush();
    // SQLite's page limit behaves exactly like a full disk (SQLITE_FULL) for the writer.
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages + 2}`);
    let error: unknown;
    let step = 101;
    try {
      for (let batch = 0; batch < 200; batch++) {
        for (let i = 0; i < 256; i++, step++) writer.add('train/loss', step, 1 / step);
        writer.flush();
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MetricWriteError);
    expect((error as Error).message).toMatch(/disk is full/);
    const committed = store.metrics.count(run.id);
    expect(committed).toBeGreaterThanOrEqual(100);
    expect(committed).toBeLessThan(step - 1); // the failed batch was rolled back, not half written
    const [loss] = store.metrics.series(run.id, { keys: ['train/loss'] });
    expect(loss!.steps).toEqual(Array.from({ length: committed }, (_, i) => i + 1));
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    store.close();
  });
});

describe('one workbench per data directory', () => {
  it('refuses a second instance with a message, and takes over the lock of a dead one', async () => {
    const dataDir = tempDir();
    const tsx = import.meta.resolve('tsx');
    const lockModule = resolve(__dirname, '../../src-main/store/instanceLock.ts');
    const holder = spawn(
      process.execPath,
      [
        `--import=${tsx}`,
        '-e',
        `const { acquireInstanceLock } = await import(${JSON.stringify(lockModule)});
         acquireInstanceLock(${JSON.stringify(dataDir)}, 'deml serve'); console.log('locked'); setInterval(() => {}, 1000);`,
        '--input-type=module',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((ok, fail) => {
      holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && ok());
      holder.on('exit', (code) => fail(new Error(`the lock holder exited (${code})`)));
    });
    try {
      expect(() => acquireInstanceLock(dataDir, 'DEML Workbench app')).toThrow(InstanceLockedError);
      expect(() => acquireInstanceLock(dataDir, 'DEML Workbench app')).toThrow(
        new RegExp(`another deml serve \\(pid ${holder.pid}.*is using this data directory`),
      );
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.on('exit', r));
    }
    // Its process is gone: the lock is stale and taken over.
    const lock = acquireInstanceLock(dataDir, 'DEML Workbench app');
    // A second service in this same process is refused too.
    expect(() => acquireInstanceLock(dataDir, 'deml serve')).toThrow(InstanceLockedError);
    lock.release();
    expect(existsSync(join(dataDir, 'deml.lock'))).toBe(false);
  });
});

describe('the native module for Node and for Electron', () => {
  it('plain Node uses the module’s own build; Electron a build for its ABI, or says how to make it', () => {
    expect(nativeBindingFor({ ...process.versions })).toBeUndefined();
    const electron = { ...process.versions, electron: '45.4.1', modules: '140' } as NodeJS.ProcessVersions;
    expect(electronBindingPath(electron, '/app')).toBe(
      join('/app', 'native', 'electron-140', 'better_sqlite3.node'),
    );
    const missing = { ...electron, modules: '1' } as NodeJS.ProcessVersions;
    expect(() => nativeBindingFor(missing)).toThrow(
      /Electron build of better-sqlite3 is missing .*npm run build:native/,
    );
  });
});
