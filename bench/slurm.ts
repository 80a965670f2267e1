/**
 * The slurm executor's overhead against the local queue, on the same machine (a one-node cluster
 * from .ci/slurm-up, as root): submission time for 100 runs (and a 100-task job array for
 * comparison), submit to first stored metric, ingestion lag while a run trains, and the wall
 * time of a small run, alternating local and slurm rounds. Prints figures; never fails on time.
 *
 *   npx tsx bench/slurm.ts [--rounds 3] [--submissions 100]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ExperimentConfigInput } from '../src-main/contract/config';
import type { ExecutorChoice } from '../src-main/contract/executor';
import { WorkbenchService } from '../src-main/service/service';
import { median, spread } from './lib/reference';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, submissions: { type: 'string' } } });
const ROUNDS = Number(values.rounds ?? 3);
const SUBMISSIONS = Number(values.submissions ?? 100);

const CONFIG: ExperimentConfigInput = {
  data: 'synthetic:classes=40,size=12',
  model: { filters: 8, blocks: 2 },
  ways: 5,
  shots: 1,
  queries: 3,
  metaBatch: 2,
  iterations: 300,
  evalTasks: 30,
  valEvery: 100,
  valTasks: 20,
  checkpointEvery: 100,
  backend: 'wasm',
};

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function ping(): boolean {
  try {
    return /UP/.test(execFileSync('scontrol', ['ping'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

async function waitFor<T>(probe: () => T | null | undefined | false, timeoutMs = 600_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One run of CONFIG on `executor`: submit → first metric, ingestion lag, wall time. */
async function oneRun(executor: ExecutorChoice) {
  const dataDir = mkdtempSync(join(tmpdir(), 'deml-bench-slurm-'));
  const service = WorkbenchService.open({
    dataDir,
    appVersion: 'bench',
    mode: 'owner',
    pollMs: 250,
    executor,
  });
  const lags: number[] = [];
  let firstMetric: number | null = null;
  service.on('run:metrics', ({ points }) => {
    const now = Date.now();
    firstMetric ??= now;
    for (const p of points) if (p.key === 'train/loss') lags.push(now - p.time);
  });
  const t0 = Date.now();
  const { runs } = await service.createExperiment({ name: 'bench', config: CONFIG });
  const id = runs[0]!.id;
  const run = await waitFor(() => {
    const r = service.store.runs.get(id)!;
    return r.status !== 'running' && r.status !== 'queued' ? r : null;
  });
  const wall = Date.now() - t0;
  await service.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (run.status !== 'completed') throw new Error(`run ended ${run.status}: ${run.error}`);
  return { toFirstMetric: firstMetric! - t0, lagMedian: median(lags), lagP95: quantile(lags, 0.95), wall };
}

/** SUBMISSIONS runs submitted held (they never run), then cancelled: the executor's own cost. */
async function submissions(): Promise<{ ours: number; array: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'deml-bench-slurm-'));
  const held: ExecutorChoice = { kind: 'slurm', slurm: { extra: ['--hold'] } };
  const service = WorkbenchService.open({
    dataDir,
    appVersion: 'bench',
    mode: 'owner',
    pollMs: 250,
    executor: held,
    // No probe: a held probe never runs, and it is a once-per-partition cost, measured above.
    slurm: { probe: false },
  });
  const warm = await service.createExperiment({ name: 'warm-up', config: CONFIG });
  await waitFor(() => service.store.slurmJobs.latest(warm.runs[0]!.id));
  const seeds = Array.from({ length: SUBMISSIONS }, (_, i) => i + 1);
  const t0 = Date.now();
  const { runs } = await service.createExperiment({ name: 'many', config: CONFIG, seeds });
  await waitFor(() => runs.every((r) => service.store.slurmJobs.latest(r.id)));
  const ours = Date.now() - t0;
  const ids = [warm.runs[0]!, ...runs].map((r) => service.store.slurmJobs.latest(r.id)!.jobId);
  execFileSync('scancel', ids);
  await service.close();

  // The alternative: one array job of as many tasks, submitted by one sbatch call.
  const script = join(dataDir, 'array.sh');
  writeFileSync(script, '#!/bin/sh\ntrue\n', { mode: 0o755 });
  const t1 = Date.now();
  const out = execFileSync(
    'sbatch',
    ['--parsable', '--hold', `--array=0-${SUBMISSIONS - 1}`, '-o', '/dev/null', script],
    {
      encoding: 'utf8',
    },
  );
  const array = Date.now() - t1;
  execFileSync('scancel', [out.trim().split(';')[0]!]);
  rmSync(dataDir, { recursive: true, force: true });
  return { ours, array };
}

async function main(): Promise<void> {
  if (!ping()) {
    console.log('skipped: no Slurm controller answers here (start one as root with .ci/slurm-up)');
    return;
  }
  console.log(`slurm executor against the local queue, ${ROUNDS} alternating rounds of a 300-iteration run`);
  const rows: Record<'local' | 'slurm', Array<Awaited<ReturnType<typeof oneRun>>>> = { local: [], slurm: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // The first slurm run of each workbench includes the probe job (the nodes see the data?).
    rows.local.push(await oneRun({ kind: 'local' }));
    rows.slurm.push(await oneRun({ kind: 'slurm', slurm: {} }));
  }
  if (ROUNDS > 0)
    console.log('| executor | submit → first metric | ingestion lag (median / p95) | wall time of the run |');
  if (ROUNDS > 0) console.log('|---|---|---|---|');
  for (const k of ROUNDS > 0 ? (['local', 'slurm'] as const) : []) {
    const xs = rows[k];
    const range = (f: (x: (typeof xs)[number]) => number) => spread(xs.map(f), s);
    console.log(
      `| ${k} | ${range((x) => x.toFirstMetric)} | ${s(median(xs.map((x) => x.lagMedian)))} / ${s(median(xs.map((x) => x.lagP95)))} | ${range((x) => x.wall)} |`,
    );
  }
  const sub = await submissions();
  console.log(
    `submitting ${SUBMISSIONS} runs (held, then cancelled): ${s(sub.ours)} as ${SUBMISSIONS} jobs ` +
      `(${(sub.ours / SUBMISSIONS).toFixed(1)} ms each: files + sbatch + the store); one ${SUBMISSIONS}-task job array: ${s(sub.array)}`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
