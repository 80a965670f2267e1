/**
 * The whole DEML meta-training iteration against PyTorch's, measured in the same run,
 * alternating, on the same machine and thread counts: the "concept space vs pixels" preset's
 * concept cell (G a ResNet on 28×28×1, the head on its concepts, D on a 64-image external batch,
 * λ = 1, Adam) for MAML (second order), first-order MAML and Meta-SGD. Ours is the engine's
 * median iteration after a warm-up (bench/lib/presetCell.ts), PyTorch's the same step written in
 * PyTorch (bench/torch/deml_step.py); each round checks that the two train models of the same
 * learned values, part by part (G, M, D, Meta-SGD's rates). Prints figures; never fails on time.
 *
 *   npx tsx bench/demlStep.ts [--rounds 3] [--threads 1,2] [--learners maml,fomaml,metasgd] [--iterations 8]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findPreset } from '../src-main/contract/presets';
import { spread } from './lib/reference';
import { havePytorch, oursRow, pytorchRow } from './lib/rowProcess';
import { table } from './lib/table';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1,2' },
    learners: { type: 'string', default: 'maml,fomaml,metasgd' },
    iterations: { type: 'string', default: '8' },
  },
});
const here = import.meta.dirname;
const sorted = (o: Record<string, number>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
const cell = findPreset('concept-vs-pixels').runs.findIndex((r) => r.label === 'MAML · concept · 1-shot');
const noTorch = havePytorch();
const rows: string[][] = [];
for (const learner of values.learners.split(',')) {
  for (const threads of values.threads.split(',')) {
    const ours: number[] = [];
    const torch: number[] = [];
    for (let round = 0; round < Number(values.rounds); round++) {
      const o = oursRow<{ secondsPerIteration: number; parameters: Record<string, number> }>(
        join(here, 'lib/presetCell.ts'),
        [
          ...['--cell', String(cell), '--learner', learner, '--threads', threads],
          ...['--iterations', values.iterations, '--eval-tasks', '1'],
        ],
      );
      if ('error' in o) throw new Error(`ours, ${learner}: ${o.error}`);
      ours.push(1000 * o.secondsPerIteration);
      if (noTorch) continue;
      const t = pytorchRow<{ msPerIteration: number; parameters: Record<string, number> }>(
        join(here, 'torch/deml_step.py'),
        ['--learner', learner, '--threads', threads, '--iterations', values.iterations],
      );
      if ('error' in t) throw new Error(`PyTorch, ${learner}: ${t.error}`);
      // A time compares only if both steps train the same networks.
      if (JSON.stringify(sorted(o.parameters)) !== JSON.stringify(sorted(t.parameters))) {
        throw new Error(
          `${learner}: the two steps train different models (learned values, ours ${JSON.stringify(o.parameters)}, ` +
            `PyTorch's ${JSON.stringify(t.parameters)})`,
        );
      }
      torch.push(t.msPerIteration);
    }
    // Each round's ratio (PyTorch's time over ours): the pair ran back to back.
    const ratios = torch.map((t, i) => t / ours[i]!);
    rows.push([
      learner,
      threads,
      `${spread(ours, 0)} ms`,
      noTorch ?? `${spread(torch, 0)} ms`,
      noTorch ? '–' : `${spread(ratios)}×`,
    ]);
  }
}
console.log(
  `\n## The DEML iteration against PyTorch (concept · 1-shot, meta-batch 4, ${values.rounds} rounds alternating)\n`,
);
table(['learner', 'threads', 'ours, median (min–max)', 'PyTorch', 'PyTorch’s time ÷ ours'], rows);
