/**
 * Compare view render data: 50 runs × 10k points (10 configurations × 5 seeds), smoothed in full,
 * mean ± CI bands across seeds, LTTB-downsampled; plus the store query that feeds it. Prints
 * figures; never fails on time.
 *
 *   npx tsx bench/compare.ts [--runs 50] [--points 10000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseExperimentConfig } from '../src-main/contract/config';
import { groupRuns, resultsTable } from '../src-main/contract/results';
import { WorkbenchService } from '../src-main/service/service';
import { groupBands } from '../src-renderer/src/charts/bands';

const { values } = parseArgs({ options: { runs: { type: 'string' }, points: { type: 'string' } } });
const RUNS = Number(values.runs ?? 50);
const POINTS = Number(values.points ?? 10_000);
const SEEDS = 5;

function median(f: () => void, repeat = 5): number {
  const ms: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    f();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[Math.floor(repeat / 2)]!;
}

const dataDir = mkdtempSync(join(tmpdir(), 'deml-bench-compare-'));
const service = WorkbenchService.open({ dataDir, appVersion: 'bench', mode: 'client' });
try {
  const ids: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const cell = Math.floor(i / SEEDS);
    const config = parseExperimentConfig({
      data: 'synthetic',
      learner: cell % 2 ? 'metasgd' : 'maml',
      innerLr: 0.1 * (1 + cell),
      seed: i % SEEDS,
      iterations: POINTS,
    });
    const e = service.store.experiments.create({ name: `cell ${cell}`, config });
    const run = service.store.runs.create({ experimentId: e.id, config, appVersion: 'bench' });
    const points = [];
    for (let step = 1; step <= POINTS; step++) {
      points.push({
        key: 'train/loss',
        step,
        value: Math.exp(-step / 2000) + 0.3 * Math.random(),
        time: step,
      });
    }
    service.store.metrics.insert(run.id, points);
    service.store.evaluations.insert({
      runId: run.id,
      origin: 'training',
      dataset: 'glyphs',
      episodeFile: null,
      episodeFileName: null,
      durationMs: null,
      instances: null,
      byInstance: null,
      split: 'test',
      step: POINTS,
      ways: 5,
      shots: 1,
      queries: 15,
      innerSteps: 3,
      episodeSeed: 0,
      tasks: 600,
      mean: 0.8,
      ci95: 0.01,
      std: 0.1,
      accuracies: Array.from({ length: 600 }, () => Math.random()),
    });
    ids.push(run.id);
  }
  let data = service.compareRuns(ids, ['train/loss']);
  const fetchMs = median(() => (data = service.compareRuns(ids, ['train/loss'])));
  const compared = data.map((d) => ({ id: d.run.id, config: d.config, test: d.test }));
  const groups = groupRuns(compared);
  const inputs = groups.map((g) => ({
    label: g.label,
    runs: g.runs.map((r) => data.find((d) => d.run.id === r.id)!.series[0]!),
  }));
  let drawn = 0;
  const bandsMs = median(() => {
    drawn = groupBands(inputs, 0.6).reduce((n, b) => n + b.steps.length, 0);
  });
  const tableMs = median(() => resultsTable(compared));
  const rawPoints = data.reduce((n, d) => n + d.series[0]!.steps.length, 0);
  console.log(
    `${RUNS} runs × ${POINTS} points (${groups.length} groups of ${SEEDS} seeds), ${rawPoints} points in all`,
  );
  console.log(`store → compare data (runs:compare)            ${fetchMs.toFixed(1).padStart(8)} ms`);
  console.log(
    `render data: smooth, mean ± CI bands, LTTB     ${bandsMs.toFixed(1).padStart(8)} ms  (${drawn} points drawn)`,
  );
  console.log(`results table with paired-ready groups          ${tableMs.toFixed(1).padStart(8)} ms`);
} finally {
  await service.close();
  rmSync(dataDir, { recursive: true, force: true });
}
