/**
 * DEML's concept generator G against PyTorch's CPU build, in the same run, alternating, one thread
 * each: G's forward and backward passes over one concept-space iteration's batches (the
 * "concept space vs pixels" preset's: ResNet-10 width 16 on 28×28×1, 64-d concepts; 4 tasks'
 * support and query sets and DEML's external batch, each normalised on its own). G is 80–90% of a
 * concept iteration (bench/profileConcept.ts), so this says how our convolutions stand against a
 * mature CPU stack (oneDNN, with the CPU's full vector width) on the workload the concept space's
 * speed depends on. Ours: bench/lib/generatorRow.ts; PyTorch's: bench/torch/generator_step.py.
 * Then one thread's wasm SIMD peak (bench/lib/simdPeak.ts), the ceiling of every kernel of ours.
 * Prints figures; never fails on time.
 *
 *   npx tsx bench/generator.ts [--rounds 3] [--iterations 8] [--batches 5,75,5,75,5,75,5,75,64]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median, spread } from './lib/reference';
import { type RowResult, havePytorch, oursRow, pytorchRow } from './lib/rowProcess';
import { measureSimdPeak } from './lib/simdPeak';
import { table } from './lib/table';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    iterations: { type: 'string', default: '8' },
    batches: { type: 'string', default: '5,75,5,75,5,75,5,75,64' },
  },
});
const here = import.meta.dirname;

interface Row {
  msPerIteration: number;
  peakRssMb: number;
  system: string;
  description?: string;
  tensorsFlat?: boolean;
}

const shared = ['--iterations', values.iterations!, '--batches', values.batches!];
const missing = havePytorch();
const ours: Row[] = [];
const theirs: Row[] = [];
const errors: string[] = [];
const keep = (r: RowResult<Row>, into: Row[], who: string) =>
  'error' in r ? errors.push(`${who}: ${r.error}`) : into.push(r);
for (let r = 0; r < Number(values.rounds); r++) {
  keep(oursRow<Row>(join(here, 'lib/generatorRow.ts'), shared), ours, 'ours');
  if (!missing)
    keep(
      pytorchRow<Row>(join(here, 'torch/generator_step.py'), [...shared, '--threads', '1']),
      theirs,
      'PyTorch',
    );
}

console.log(
  `\n## G forward + backward over one iteration's batches (${values.batches}), 1 thread: ` +
    `median (min–max) over ${values.rounds} rounds of [ours, PyTorch], each the median of ${values.iterations} iterations after a warm-up\n`,
);
if (ours[0]?.description) console.log(`${ours[0].description}\n`);
if (missing) console.log(`PyTorch skipped: ${missing}\n`);
for (const e of errors) console.log(e);
const rows: string[][] = [];
for (const [who, rs] of [
  ['ours', ours],
  ['PyTorch', theirs],
] as const) {
  if (rs.length)
    rows.push([
      who,
      spread(
        rs.map((x) => x.msPerIteration),
        0,
      ),
      median(rs.map((x) => x.peakRssMb)).toFixed(0),
      rs[0]!.system,
    ]);
}
table(['', 'ms per iteration', 'peak RSS MB', 'system'], rows);
if (ours.length && ours.length === theirs.length) {
  const ratios = ours.map((x, i) => theirs[i]!.msPerIteration / x.msPerIteration);
  console.log(
    `\nours ÷ PyTorch in speed (the same round's pair): ${spread(
      ratios.map((x) => 100 * x),
      0,
    )}%`,
  );
}
if (ours.some((x) => x.tensorsFlat === false)) console.log('ours: the tensor count grew between iterations');
const peak = measureSimdPeak();
console.log(
  `\none thread's wasm SIMD peak here: ${peak.gflops.toFixed(1)} GFLOP/s (${peak.fused ? 'fused' : 'unfused'} multiply-adds), ` +
    `the ceiling of every kernel of ours; \`npx tsx bench/profileConcept.ts\` sets a concept iteration's convolutions against it`,
);
