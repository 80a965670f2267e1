/**
 * How long a process of the workbench run from its sources takes to start: a trainer up to its
 * first line of work (a run that does not exist, refused) and `deml runs` on an empty data
 * directory, each from the bundle of the sources (bin/sourceBundle.mjs) and through tsx's loader
 * (DEML_BUNDLE=0), alternating, after one unmeasured start of each (the bundle built, tsx's
 * transform cache filled). Prints figures; never fails.
 *
 *   npx tsx bench/startup.ts [--rounds 7]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { trainerCommand } from '../src-main/jobs/launcher';
import { table } from './lib/table';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const rounds = Number(values.rounds);
const dataDir = mkdtempSync(join(tmpdir(), 'deml-startup-'));
const DEML = resolve(import.meta.dirname, '../bin/deml.mjs');

type Way = 'bundle' | 'tsx';

/** The command line of each process, the same way the workbench builds it. */
function commandLine(what: 'trainer' | 'deml runs', way: Way): string[] {
  if (what === 'deml runs') return [DEML, 'runs', '--data-dir', dataDir];
  const previous = process.env.DEML_BUNDLE;
  if (way === 'tsx') process.env.DEML_BUNDLE = '0';
  try {
    const c = trainerCommand();
    return [...c.execArgv, c.entry, '--run', '1', '--data-dir', dataDir];
  } finally {
    if (previous === undefined) delete process.env.DEML_BUNDLE;
    else process.env.DEML_BUNDLE = previous;
  }
}

/** Wall-clock seconds of one start. */
function start(what: 'trainer' | 'deml runs', way: Way): number {
  const t0 = performance.now();
  spawnSync(process.execPath, commandLine(what, way), {
    encoding: 'utf8',
    env: { ...process.env, ...(way === 'tsx' ? { DEML_BUNDLE: '0' } : {}) },
  });
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: string[][] = [];
for (const what of ['trainer', 'deml runs'] as const) {
  const times: Record<Way, number[]> = { bundle: [], tsx: [] };
  start(what, 'bundle');
  start(what, 'tsx');
  for (let r = 0; r < rounds; r++)
    for (const way of ['bundle', 'tsx'] as const) times[way].push(start(what, way));
  const b = median(times.bundle);
  const t = median(times.tsx);
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  rows.push([
    what,
    `${b.toFixed(2)} s (${range(times.bundle)})`,
    `${t.toFixed(2)} s (${range(times.tsx)})`,
    `${(t / b).toFixed(1)}×`,
  ]);
}
console.log(`${rounds} alternating rounds, medians (range); Node ${process.version}\n`);
table(['process', 'from the bundle', 'through tsx (DEML_BUNDLE=0)', 'tsx / bundle'], rows);
