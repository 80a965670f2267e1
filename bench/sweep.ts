/**
 * `npx tsx bench/sweep.ts`: a 2-learner sweep on the embedded glyphs, run twice in the same
 * process, alternating, with and without successive halving, on the local queue; then each
 * learner at its default settings on the sweep's final seeds, for the accuracy the tuning buys.
 * Prints wall times, trials stopped, iterations trained, the settings chosen and the final runs'
 * meta-test against the defaults'. Never passes or fails.
 *
 * Options: --learners maml,metasgd  --trials 16  --asha 1/9,1/3  --iterations 90  --final-seeds 3
 *          --parallel 2  --filters 16
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LearnerName } from '../src-main/contract/config';
import { describeValues, parseDimension, parseRungs, type SweepDetail } from '../src-main/contract/sweep';
import { WorkbenchService } from '../src-main/service/service';
import { table } from './lib/table';

const { values } = parseArgs({
  options: {
    learners: { type: 'string', default: 'maml,metasgd' },
    trials: { type: 'string', default: '16' },
    asha: { type: 'string', default: '1/9,1/3' },
    iterations: { type: 'string', default: '90' },
    'final-seeds': { type: 'string', default: '3' },
    parallel: { type: 'string', default: '2' },
    filters: { type: 'string', default: '16' },
  },
});

const learners = values.learners.split(',') as LearnerName[];
const iterations = Number(values.iterations);
const config = {
  data: 'glyphs',
  model: { filters: Number(values.filters) },
  ways: 5,
  shots: 1,
  queries: 5,
  metaBatch: 4,
  iterations,
  valEvery: Math.max(1, Math.round(iterations / 9)),
  valTasks: 50,
  evalTasks: 300,
  checkpointEvery: Math.max(1, Math.round(iterations / 9)),
};
const space = ['inner-lr=log(0.01,10)', 'meta-lr=log(1e-4,3e-2)'].map(parseDimension);
const parallel = Number(values.parallel);
const pct = (x: number | null | undefined) => (x == null ? '–' : `${(100 * x).toFixed(2)}%`);

function open(): { service: WorkbenchService; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'deml-bench-sweep-'));
  return {
    dir,
    service: WorkbenchService.open({
      dataDir: dir,
      appVersion: 'bench',
      mode: 'owner',
      concurrency: parallel,
      pollMs: 250,
    }),
  };
}

async function sweep(
  rungs: number[],
): Promise<{ detail: SweepDetail; seconds: number; trialSeconds: number }> {
  const { service, dir } = open();
  const t0 = performance.now();
  const created = await service.createSweep({
    name: rungs.length ? 'with ASHA' : 'without',
    learners,
    space,
    trials: Number(values.trials),
    rungs,
    finalSeeds: Number(values['final-seeds']),
    parallel,
    config,
  });
  let trialsDone = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const d = service.sweep(created.id);
    if (!trialsDone && d.phase !== 'trials') trialsDone = performance.now();
    if (d.status !== 'running') break;
  }
  const detail = service.sweep(created.id);
  await service.close();
  rmSync(dir, { recursive: true, force: true });
  return { detail, seconds: (performance.now() - t0) / 1000, trialSeconds: (trialsDone - t0) / 1000 };
}

/** Each learner at its defaults on the sweep's final seeds. */
async function defaults(seeds: number[]): Promise<Map<LearnerName, number[]>> {
  const { service, dir } = open();
  const { runs } = await service.createExperiment({ name: 'defaults', config, learners, seeds });
  await service.queue!.idle(runs.map((r) => r.id));
  const out = new Map<LearnerName, number[]>();
  for (const r of runs) {
    const s = service.store.runs.summary(r.id)!;
    out.set(s.learner, [...(out.get(s.learner) ?? []), s.testMean ?? Number.NaN]);
  }
  await service.close();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

console.log(
  `glyphs, ${learners.join(' and ')}, ${values.trials} random trials each over ${space.map((d) => d.setting).join(', ')}; ` +
    `${iterations} iterations per trial, ${parallel} at a time; ${values['final-seeds']} final seeds\n`,
);
// Alternating: ASHA first, then without (one pair: each is minutes).
const withAsha = await sweep(parseRungs(values.asha));
const without = await sweep([]);
const rows = [
  ['ASHA ' + values.asha, withAsha],
  ['none', without],
] as const;
table(
  ['successive halving', 'wall time', 'trials phase', 'trials stopped', 'iterations trained by trials'],
  rows.map(([name, r]) => [
    name,
    `${r.seconds.toFixed(0)} s`,
    `${r.trialSeconds.toFixed(0)} s`,
    String(r.detail.trials.filter((t) => t.stoppedEarly).length),
    String(r.detail.iterationsTrained),
  ]),
);
const seeds = [...new Set(withAsha.detail.finals.map((f) => f.seed))];
const byDefault = await defaults(seeds);
console.log('');
table(
  [
    'learner',
    'sweep',
    'chosen on validation',
    'validation',
    `meta-test, ${seeds.length} fresh seeds`,
    'defaults, same seeds',
  ],
  rows.flatMap(([name, r]) =>
    learners.map((l) => {
      const chosen = r.detail.chosen[l];
      const finals = r.detail.finals.filter((f) => f.learner === l).map((f) => f.testMean ?? Number.NaN);
      return [
        l,
        name,
        chosen ? describeValues(chosen.values) : '–',
        pct(chosen?.validation),
        finals.length ? pct(mean(finals)) : '–',
        pct(mean(byDefault.get(l) ?? [])),
      ];
    }),
  ),
);
