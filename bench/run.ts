/**
 * `npm run bench` (last part): speed and accuracy of meta-training. Prints figures; never passes
 * or fails.
 *
 * 1. Speed on the reference workload (conv4-64, 28×28×1, 5-way 1-shot, 15 queries, batch norm,
 *    one inner step, meta-batch 4): one table of workload × backend × threads × tasks/s ×
 *    GFLOP/s × peak RSS, each row in its own process. The comparison with PyTorch is measured in
 *    the same run by bench/speed.ts, never against a figure copied from elsewhere.
 * 2. Accuracy at a fixed budget on Omniglot's small sets, when present (lib/omniglotSource.ts):
 *    MAML, ProtoNet, the Siamese network and the MANN (--accuracy-learners) on the same episodes.
 * 3. --soak N: tensor count and RSS over N iterations of the reference workload.
 * 4. --preset-time: the "concept space vs pixels" preset's time on the embedded dataset,
 *    extrapolated per run from a short measured stretch.
 *
 * Options: --backends wasm,tensorflow  --learners maml,fomaml,metasgd  --threads 1,auto
 *          --iterations 10  --no-speed  --no-accuracy  --omniglot DIR  --accuracy-learners maml,protonet
 *          --soak 1000  --preset-time
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OMNIGLOT_DIR } from './lib/omniglotSource';
import { oursRow } from './lib/rowProcess';
import { table } from './lib/table';

const { values } = parseArgs({
  options: {
    // tensorflow: rows when tfjs-node-gpu is installed, else one line saying why not.
    backends: { type: 'string', default: 'wasm,tensorflow' },
    learners: { type: 'string', default: 'maml,fomaml,metasgd' },
    threads: { type: 'string', default: '1,auto' },
    iterations: { type: 'string', default: '10' },
    'no-speed': { type: 'boolean', default: false },
    'no-accuracy': { type: 'boolean', default: false },
    omniglot: { type: 'string', default: OMNIGLOT_DIR },
    'accuracy-learners': { type: 'string', default: 'maml,protonet,siamese,mann' },
    'data-dir': { type: 'string' },
    soak: { type: 'string', default: '0' },
    'preset-time': { type: 'boolean', default: false },
  },
});

const here = import.meta.dirname;

/** Run a bench script in its own process and parse the JSON line it prints last. */
const child = <T>(script: string, args: string[]) => oursRow<T>(join(here, script), args);

interface SpeedRow {
  learner: string;
  backend: string;
  description: string;
  threads: number;
  tasksPerSecond: number;
  gflops: number;
  gflopPerTask: number;
  peakRssMb: number;
  tensorsFlat: boolean;
}

if (!values['no-speed']) {
  console.log('\n## Speed: conv4-64, 28×28×1, 5-way 1-shot, 15 queries, meta-batch 4, one inner step');
  console.log(
    `median of ${values.iterations} iterations after a warm-up; GFLOP/s counts convolutions (as direct ones: Winograd does fewer) and matrix products\n`,
  );
  const rows: string[][] = [];
  const descriptions = new Set<string>();
  const unavailable: string[] = [];
  backends: for (const backend of values.backends!.split(',')) {
    for (const learner of values.learners!.split(',')) {
      for (const threads of values.threads!.split(',')) {
        const args = ['--learner', learner, '--backend', backend, '--iterations', values.iterations!];
        if (threads !== 'auto') args.push('--threads', threads);
        const r = child<SpeedRow | { unavailable: string }>('lib/speedRow.ts', args);
        if ('unavailable' in r) {
          unavailable.push(`${backend}: no rows, ${r.unavailable}`);
          continue backends;
        }
        if ('error' in r) {
          rows.push([learner, backend, threads, r.error, '', '', '']);
          continue;
        }
        descriptions.add(r.description);
        rows.push([
          learner,
          r.backend,
          String(r.threads),
          r.tasksPerSecond.toFixed(2),
          `${r.gflops.toFixed(1)} (${r.gflopPerTask.toFixed(2)}/task)`,
          r.peakRssMb.toFixed(0),
          r.tensorsFlat ? 'flat' : 'GROWING',
        ]);
      }
    }
  }
  table(['learner', 'backend', 'threads', 'tasks/s', 'GFLOP/s', 'peak RSS MB', 'tensors'], rows);
  for (const d of descriptions) console.log(`\nbackend: ${d}`);
  for (const u of unavailable) console.log(u);
  console.log('against PyTorch, measured in the same run: npx tsx bench/speed.ts');
}

if (!values['no-accuracy']) {
  console.log('\n## Accuracy at a fixed budget: Omniglot small sets (292 characters), seeded 80/20 split');
  if (!existsSync(values.omniglot!)) {
    console.log(`skipped: ${values.omniglot} not found (pass --omniglot DIR)`);
  } else {
    const dataDir = values['data-dir'] ?? mkdtempSync(join(tmpdir(), 'deml-bench-'));
    console.log(
      '500 iterations of 4 episodes (5-way; 1-shot and 15 queries, conv4-64; a MANN: 4 sequences, ' +
        'as 2 tasks of 2, of 5 classes × 10 presentations on the pixels), the same split and seeds',
    );
    for (const learner of values['accuracy-learners']!.split(',')) {
      const r = child<{
        learner: string;
        backend: string;
        accuracy: number;
        ci95: number;
        tasks: number;
        episodesPerSecond: number;
        byInstance: number[] | null;
        totalSeconds: number;
      }>('lib/omniglotAccuracy.ts', [
        '--omniglot',
        values.omniglot!,
        '--data-dir',
        dataDir,
        '--learner',
        learner,
      ]);
      if ('error' in r) {
        console.log(`${learner}: ${r.error}`);
        continue;
      }
      const presentations = r.byInstance
        ? `; by presentation ${r.byInstance.map((x) => (100 * x).toFixed(1)).join(' / ')}%; ` +
          `100k episodes (the paper's budget) would take ${(100_000 / r.episodesPerSecond / 3600).toFixed(1)} h here`
        : '';
      console.log(
        `${r.learner}: ${(100 * r.accuracy).toFixed(2)}% ± ${(100 * r.ci95).toFixed(2)} over ${r.tasks} tasks` +
          `${r.byInstance ? ' (2nd presentation)' : ''}, ${r.episodesPerSecond.toFixed(2)} episodes/s, ` +
          `${(r.totalSeconds / 60).toFixed(1)} min in all${presentations}`,
      );
      if (learner === values['accuracy-learners']!.split(',').at(-1)) console.log(`(${r.backend})`);
    }
  }
}

const soak = Number(values.soak);
if (soak > 0) {
  console.log(`\n## Memory over ${soak} iterations (MAML, reference workload)`);
  const r = child<{
    samples: Array<{ iteration: number; rssMb: number; tensors: number }>;
    peakRssMb: number;
  }>('lib/soak.ts', ['--iterations', String(soak)]);
  if ('error' in r) console.log(r.error);
  else {
    table(
      ['iteration', 'RSS MB', 'tensors'],
      r.samples.map((s) => [String(s.iteration), s.rssMb.toFixed(0), String(s.tensors)]),
    );
    console.log(`peak RSS: ${r.peakRssMb.toFixed(0)} MB`);
  }
}

if (values['preset-time']) {
  console.log(
    '\n## Time of the "concept space vs pixels" preset on glyphs (500 iterations, 600 test tasks per run)',
  );
  console.log('each run measured over 8 iterations and 40 test tasks, then extrapolated\n');
  const { findPreset } = await import('../src-main/contract/presets');
  const runs = findPreset('concept-vs-pixels').runs;
  const cells: string[][] = [];
  let total = 0;
  for (let i = 0; i < runs.length; i++) {
    const r = child<{
      label: string;
      tasksPerSecond: number;
      secondsPerEvalTask: number;
      estimatedSeconds: number;
    }>('lib/presetCell.ts', ['--cell', String(i)]);
    if ('error' in r) {
      cells.push([runs[i]!.label, r.error, '', '']);
      continue;
    }
    total += r.estimatedSeconds;
    cells.push([
      r.label,
      r.tasksPerSecond.toFixed(2),
      (1000 * r.secondsPerEvalTask).toFixed(0),
      (r.estimatedSeconds / 60).toFixed(1),
    ]);
  }
  table(['run', 'train tasks/s', 'ms per test task', 'estimated min'], cells);
  console.log(`estimated total: ${(total / 60).toFixed(0)} min`);
}
