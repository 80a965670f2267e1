/**
 * Speed against PyTorch's CPU build, measured in the same run, alternating, on the same machine
 * and thread count; then how cost grows with the task. Prints figures; never fails on time.
 *
 * 1. Same-run comparison: for each workload (the reference one, conv4-64 on 28×28×1 with one inner
 *    step; and the MAML paper's miniImageNet setting, conv4-32 on 84×84×3 with 5 inner steps) and
 *    learner, rounds of [ours, PyTorch] in separate processes (bench/lib/speedRow.ts and
 *    bench/torch/maml_step.py, the same step written in PyTorch). PyTorch is Debian's
 *    python3-torch (`/usr/bin/python3`, or $PYTHON); without it the comparison says so and skips.
 * 2. Scaling (ours, MAML): tasks/s and peak RSS as each factor grows alone from the reference
 *    workload, next to its FLOPs per task: time should grow with the FLOPs (a cliff is a bug).
 * 3. Evaluation (meta-test) throughput, pixels and concept (the "concept space vs pixels" preset's
 *    MAML cells on glyphs), on 1 and 2 threads.
 *
 *   npx tsx bench/speed.ts [--rounds 3] [--iterations 6] [--threads 2] [--learners maml,fomaml,metasgd]
 *                          [--workloads reference,miniimagenet] [--no-scaling] [--no-compare] [--no-eval]
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median, spread } from './lib/reference';
import { type RowResult, havePytorch, oursRow, pytorchRow } from './lib/rowProcess';
import { table } from './lib/table';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    iterations: { type: 'string', default: '6' },
    threads: { type: 'string', default: String(availableParallelism()) },
    learners: { type: 'string', default: 'maml,fomaml,metasgd' },
    workloads: { type: 'string', default: 'reference,miniimagenet' },
    'no-scaling': { type: 'boolean', default: false },
    'no-compare': { type: 'boolean', default: false },
    'no-eval': { type: 'boolean', default: false },
  },
});
const here = import.meta.dirname;
const THREADS = values.threads!;

/** A workload as flags understood by both speedRow.ts and maml_step.py. */
type Workload = Record<
  'size' | 'channels' | 'filters' | 'ways' | 'shots' | 'queries' | 'innerSteps' | 'metaBatch',
  number
>;
const REFERENCE: Workload = {
  size: 28,
  channels: 1,
  filters: 64,
  ways: 5,
  shots: 1,
  queries: 15,
  innerSteps: 1,
  metaBatch: 4,
};
const WORKLOADS: Record<string, { title: string; w: Workload }> = {
  reference: {
    title: 'conv4-64, 28×28×1, 5-way 1-shot, 15 queries, 1 inner step, meta-batch 4',
    w: REFERENCE,
  },
  miniimagenet: {
    title: 'miniImageNet-shaped: conv4-32, 84×84×3, 5-way 1-shot, 15 queries, 5 inner steps, meta-batch 4',
    w: { ...REFERENCE, size: 84, channels: 3, filters: 32, innerSteps: 5 },
  },
};

interface Row {
  tasksPerSecond: number;
  peakRssMb: number;
  gflopPerTask?: number;
  system?: string;
  description?: string;
}

function ours(learner: string, w: Workload): RowResult<Row> {
  return oursRow<Row>(join(here, 'lib/speedRow.ts'), [
    ...['--learner', learner, '--threads', THREADS, '--iterations', values.iterations!],
    ...['--size', String(w.size), '--channels', String(w.channels), '--filters', String(w.filters)],
    ...['--ways', String(w.ways), '--shots', String(w.shots), '--queries', String(w.queries)],
    ...['--inner-steps', String(w.innerSteps), '--meta-batch', String(w.metaBatch)],
  ]);
}

function pytorch(learner: string, w: Workload): RowResult<Row> {
  return pytorchRow<Row>(join(here, 'torch/maml_step.py'), [
    ...['--learner', learner, '--threads', THREADS, '--iterations', values.iterations!],
    ...['--size', String(w.size), '--channels', String(w.channels), '--filters', String(w.filters)],
    ...['--ways', String(w.ways), '--shots', String(w.shots), '--queries', String(w.queries)],
    ...['--inner', String(w.innerSteps), '--meta-batch', String(w.metaBatch)],
  ]);
}

if (!values['no-compare']) {
  const missing = havePytorch();
  const rounds = Number(values.rounds);
  for (const name of values.workloads!.split(',')) {
    const workload = WORKLOADS[name];
    if (!workload) throw new Error(`unknown workload ${name} (${Object.keys(WORKLOADS).join(', ')})`);
    console.log(`\n## ${workload.title}; ${THREADS} threads`);
    console.log(
      `median (min–max) over ${rounds} rounds of [ours, PyTorch], each the median of ${values.iterations} iterations after a warm-up\n`,
    );
    if (missing) console.log(`PyTorch skipped: ${missing}`);
    const rows: string[][] = [];
    let system = '';
    for (const learner of values.learners!.split(',')) {
      const a: Row[] = [];
      const b: Row[] = [];
      const errors: string[] = [];
      for (let r = 0; r < rounds; r++) {
        const x = ours(learner, workload.w);
        if ('error' in x) errors.push(`ours: ${x.error}`);
        else a.push(x);
        if (missing) continue;
        const y = pytorch(learner, workload.w);
        if ('error' in y) errors.push(`PyTorch: ${y.error}`);
        else {
          b.push(y);
          system = y.system ?? system;
        }
      }
      if (errors.length) console.log(`${learner}: ${errors[0]}`);
      if (!a.length) continue;
      const ratios = b.length === a.length ? a.map((x, i) => x.tasksPerSecond / b[i]!.tasksPerSecond) : [];
      rows.push([
        learner,
        spread(a.map((x) => x.tasksPerSecond)),
        b.length ? spread(b.map((x) => x.tasksPerSecond)) : '',
        ratios.length ? `${spread(ratios)}×` : '',
        `${median(a.map((x) => x.peakRssMb)).toFixed(0)} / ${b.length ? median(b.map((x) => x.peakRssMb)).toFixed(0) : '–'}`,
      ]);
    }
    table(
      ['learner', 'ours tasks/s', 'PyTorch tasks/s', 'ours ÷ PyTorch', 'peak RSS MB (ours / PyTorch)'],
      rows,
    );
    if (system) console.log(`\nPyTorch: ${system}`);
  }
}

if (!values['no-scaling']) {
  console.log(
    `\n## Scaling (ours, MAML, ${THREADS} threads): one factor at a time from the reference workload\n`,
  );
  const steps: Array<[string, Partial<Workload>]> = [
    ['reference', {}],
    ['ways 5 → 20', { ways: 20 }],
    ['shots 1 → 5', { shots: 5 }],
    ['queries 15 → 5', { queries: 5 }],
    ['image 28 → 84', { size: 84 }],
    ['filters 64 → 32', { filters: 32 }],
    ['inner steps 1 → 5', { innerSteps: 5 }],
  ];
  const rows: string[][] = [];
  let base: Row | null = null;
  for (const [label, change] of steps) {
    const r = ours('maml', { ...REFERENCE, ...change });
    if ('error' in r) {
      rows.push([label, r.error, '', '', '', '']);
      continue;
    }
    base ??= r;
    const time = base.tasksPerSecond / r.tasksPerSecond;
    const flops = (r.gflopPerTask ?? 0) / (base.gflopPerTask ?? 1);
    rows.push([
      label,
      r.tasksPerSecond.toFixed(2),
      r.peakRssMb.toFixed(0),
      (r.gflopPerTask ?? 0).toFixed(2),
      `${time.toFixed(2)}×`,
      `${flops.toFixed(2)}×`,
    ]);
  }
  table(['change', 'tasks/s', 'peak RSS MB', 'GFLOP/task', 'time per task', 'FLOPs per task'], rows);
}

if (!values['no-eval']) {
  console.log(
    '\n## Evaluation (meta-test) throughput: the "concept space vs pixels" preset\'s MAML cells on glyphs\n',
  );
  const { findPreset } = await import('../src-main/contract/presets');
  const runs = findPreset('concept-vs-pixels').runs;
  const rows: string[][] = [];
  for (const space of ['pixels', 'concept']) {
    const cell = runs.findIndex((r) => r.config.space === space && (r.config.learner ?? 'maml') === 'maml');
    for (const threads of ['1', '2']) {
      const row = oursRow<{ label?: string; secondsPerEvalTask?: number }>(join(here, 'lib/presetCell.ts'), [
        ...['--cell', String(cell), '--iterations', '2', '--eval-tasks', '60', '--threads', threads],
      ]);
      rows.push(
        'error' in row || !row.secondsPerEvalTask
          ? [space, threads, 'error' in row ? row.error : 'no result']
          : [row.label ?? space, threads, (1 / row.secondsPerEvalTask).toFixed(1)],
      );
    }
  }
  table(['cell', 'threads', 'meta-test tasks/s'], rows);
}
