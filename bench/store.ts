/**
 * Store benchmark: 500 runs × 10k metric points (5M rows), then the queries the workbench makes.
 * Targets (issue 4): the runs list < 50 ms, one run's full series < 100 ms, inserting 10k points
 * < 100 ms. Prints figures; never fails on time.
 *
 *   npx tsx bench/store.ts [--runs 500] [--points 10000]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseExperimentConfig } from '../src-main/contract/config';
import type { MetricRecord } from '../src-main/contract/records';
import { databasePath } from '../src-main/layout/dataDirectory';
import { openStore } from '../src-main/store/store';

const { values } = parseArgs({ options: { runs: { type: 'string' }, points: { type: 'string' } } });
const RUNS = Number(values.runs ?? 500);
const POINTS = Number(values.points ?? 10_000);
const KEYS = ['train/loss', 'train/accuracy'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time<T>(fn: () => T, repeat = 7): { ms: number; result: T } {
  const ms: number[] = [];
  let result!: T;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    result = fn();
    ms.push(performance.now() - t0);
  }
  return { ms: median(ms), result };
}

function points(steps: number, t0: number): MetricRecord[] {
  const out: MetricRecord[] = [];
  for (let step = 1; step <= steps; step++) {
    for (const key of KEYS)
      out.push({ key, step, value: Math.exp(-step / 1000) + Math.random() * 0.01, time: t0 + step });
  }
  return out;
}

const dataDir = mkdtempSync(join(tmpdir(), 'deml-bench-store-'));
try {
  const store = openStore(dataDir);
  const experiments = Array.from({ length: 25 }, (_, i) =>
    store.experiments.create({
      name: `experiment ${i}`,
      tags: ['bench'],
      config: parseExperimentConfig({ learner: i % 2 ? 'metasgd' : 'maml' }),
    }),
  );
  const perRun = POINTS / KEYS.length;
  const fillStart = performance.now();
  const insertMs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const e = experiments[r % experiments.length]!;
    const run = store.runs.create({ experimentId: e.id, config: e.config, appVersion: 'bench' });
    const batch = points(perRun, Date.now());
    const t0 = performance.now();
    store.metrics.insert(run.id, batch);
    insertMs.push(performance.now() - t0);
    store.evaluations.insert({
      runId: run.id,
      origin: 'training',
      dataset: 'glyphs',
      episodeFile: null,
      episodeFileName: null,
      durationMs: null,
      instances: null,
      byInstance: null,
      split: 'test',
      step: perRun,
      ways: 5,
      shots: 1,
      queries: 15,
      innerSteps: 3,
      episodeSeed: 0,
      tasks: 600,
      mean: 0.9,
      ci95: 0.01,
      std: 0.1,
      accuracies: Array.from({ length: 600 }, () => Math.random()),
    });
  }
  const fillMs = performance.now() - fillStart;
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const size = statSync(databasePath(dataDir)).size;

  const list = time(() => store.runs.list());
  const experimentsList = time(() => store.experiments.list());
  const middle = Math.ceil(RUNS / 2);
  const series = time(() => store.metrics.series(middle));
  const seriesPoints = series.result.reduce((n, s) => n + s.steps.length, 0);
  const tail = time(() => store.metrics.series(middle, { afterStep: perRun - 100 }));

  const rows = [
    ['operation', 'median ms', 'target'],
    [`insert ${POINTS} points (one transaction), median of ${RUNS}`, median(insertMs).toFixed(1), '< 100'],
    [`runs list (${list.result.length} runs, with meta-test accuracy)`, list.ms.toFixed(1), '< 50'],
    [
      `experiments list (${experimentsList.result.length}, with status counts)`,
      experimentsList.ms.toFixed(1),
      '',
    ],
    [`one run's full series (${seriesPoints} points)`, series.ms.toFixed(1), '< 100'],
    ['one run, the last 100 steps (live chart refresh)', tail.ms.toFixed(2), ''],
  ];
  for (const r of rows) console.log(`${r[0]!.padEnd(60)} ${r[1]!.padStart(10)}  ${r[2]}`);
  console.log(
    `\n${RUNS} runs × ${POINTS} points written in ${(fillMs / 1000).toFixed(1)} s; database ${(size / 2 ** 20).toFixed(0)} MiB`,
  );
  store.close();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
