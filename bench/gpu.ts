/**
 * The GPU table: tasks/s, kernel calls per task, peak GPU memory and peak RSS for each backend on
 * the workloads issue 32 names, each row in its own process (bench/lib/speedRow.ts,
 * bench/lib/presetCell.ts) with the backend forced by DEML_BACKEND. Prints figures; never fails.
 *
 * - reference: conv4-64, 28×28×1, 5-way 1-shot, 15 queries, 1 inner step, meta-batch 4;
 * - miniimagenet: conv4-32, 84×84×3, 5 inner steps;
 *   each for MAML (second order), first-order MAML and Meta-SGD;
 * - concept: the "concept space vs pixels" preset's MAML · concept · 1-shot cell on glyphs;
 * - preset: that preset's wall time, every cell measured over a short stretch and extrapolated.
 *
 *   npx tsx bench/gpu.ts [--backends wasm,webgpu] [--rows reference,miniimagenet,concept,preset]
 *                        [--learners maml,fomaml,metasgd] [--iterations 10]
 *
 * On a machine without Node (the lent GPU machine), bench/device/ builds a kit that runs this same
 * script bundled, with a Node binary and Dawn's addon beside it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findPreset } from '../src-main/contract/presets';
import { oursRow } from './lib/rowProcess';
import { table } from './lib/table';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,webgpu' },
    rows: { type: 'string', default: 'reference,miniimagenet,concept,preset' },
    learners: { type: 'string', default: 'maml,fomaml,metasgd' },
    iterations: { type: 'string', default: '10' },
  },
});
const here = import.meta.dirname;
/** The bundled row script beside this one (the device kit), else the TypeScript source. */
const script = (name: string) =>
  existsSync(join(here, `${name}.mjs`)) ? join(here, `${name}.mjs`) : join(here, 'lib', `${name}.ts`);

interface SpeedRow {
  description: string;
  tasksPerSecond: number;
  kernelsPerTask: number;
  gpuPeakMb?: number;
  peakRssMb: number;
  tensorsFlat: boolean;
}
interface CellRow {
  label: string;
  tasksPerSecond: number;
  secondsPerEvalTask: number;
  estimatedSeconds: number;
}

/** A row process with the backend forced (DEML_BACKEND overrides every config it builds). */
function withBackend<T>(backend: string, f: () => T): T {
  const before = process.env.DEML_BACKEND;
  process.env.DEML_BACKEND = backend;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.DEML_BACKEND;
    else process.env.DEML_BACKEND = before;
  }
}

const WORKLOADS: Record<string, { title: string; args: string[] }> = {
  reference: { title: 'reference (conv4-64, 28×28×1, 1 step)', args: [] },
  miniimagenet: {
    title: 'miniImageNet shape (conv4-32, 84×84×3, 5 steps)',
    args: ['--size', '84', '--channels', '3', '--filters', '32', '--inner-steps', '5'],
  },
};

const backends = values.backends!.split(',');
const rows = values.rows!.split(',');
const out: string[][] = [];
const descriptions = new Set<string>();
const mb = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(0));

for (const [key, w] of Object.entries(WORKLOADS)) {
  if (!rows.includes(key)) continue;
  for (const learner of values.learners!.split(',')) {
    for (const backend of backends) {
      const r = withBackend(backend, () =>
        oursRow<SpeedRow | { unavailable: string }>(script('speedRow'), [
          ...['--learner', learner, '--backend', backend, '--iterations', values.iterations!],
          ...w.args,
        ]),
      );
      const label = `${w.title} · ${learner}`;
      if ('unavailable' in r || 'error' in r) {
        out.push([label, backend, 'unavailable' in r ? r.unavailable : r.error, '', '', '', '']);
        continue;
      }
      descriptions.add(r.description);
      out.push([
        label,
        backend,
        r.tasksPerSecond.toFixed(2),
        String(r.kernelsPerTask),
        mb(r.gpuPeakMb),
        mb(r.peakRssMb),
        r.tensorsFlat ? 'flat' : 'GROWING',
      ]);
    }
  }
}

const preset = findPreset('concept-vs-pixels');
const conceptCell = preset.runs.findIndex((r) => /MAML · concept · 1-shot/.test(r.label));
const cell = (backend: string, i: number) =>
  withBackend(backend, () =>
    oursRow<CellRow>(script('presetCell'), ['--cell', String(i), '--iterations', values.iterations!]),
  );
if (rows.includes('concept')) {
  for (const backend of backends) {
    const r = cell(backend, conceptCell);
    const label = `preset cell ${preset.runs[conceptCell]!.label}`;
    out.push(
      'error' in r
        ? [label, backend, r.error, '', '', '', '']
        : [label, backend, r.tasksPerSecond.toFixed(2), '', '', '', ''],
    );
  }
}

console.log(`\n## Backends side by side (median of ${values.iterations} iterations after a warm-up)\n`);
table(
  ['workload · learner', 'backend', 'tasks/s', 'kernels/task', 'peak GPU MB', 'peak RSS MB', 'tensors'],
  out,
);
for (const d of descriptions) console.log(`\nbackend: ${d}`);

if (rows.includes('preset')) {
  console.log(`\n## "${preset.title}" preset wall time, each run measured briefly and extrapolated\n`);
  const totals: string[][] = [];
  for (const backend of backends) {
    let total = 0;
    const failed: string[] = [];
    for (let i = 0; i < preset.runs.length; i++) {
      const r = cell(backend, i);
      if ('error' in r) failed.push(`${preset.runs[i]!.label}: ${r.error}`);
      else total += r.estimatedSeconds;
    }
    totals.push([backend, failed.length > 0 ? `failed: ${failed.join('; ')}` : (total / 60).toFixed(1)]);
  }
  table(['backend', 'estimated minutes, one run at a time'], totals);
}
