/**
 * The F(4×4, 3×3) Winograd kernels alone (src-main/engine/autodiff/native/winograd4.c), forward
 * pass and filter gradient, on the concept generator's four 3×3 stride-1 layers at a query set's
 * 75 images, one thread, on a memory of their own: the median of 15 calls after 3 warm-up calls,
 * and the rate of the products alone (36 per tile and channel pair, 2 FLOPs each), to set against
 * one thread's wasm SIMD peak (bench/lib/simdPeak.ts). For A/B work on the kernels: build each
 * variant (`npm run build:kernels`) in its own worktree and alternate runs. Prints figures; never
 * fails on time.
 *
 *   npx tsx bench/winograd.ts [--calls 15]
 */
import { parseArgs } from 'node:util';
import { instantiateNativeKernels, preferredKernelsBuild } from '../src-main/engine/autodiff/nativeKernels';
import { median } from './lib/reference';
import { table } from './lib/table';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '15' } } });
const calls = Number(values.calls);
const build = preferredKernelsBuild();
const memory = new WebAssembly.Memory({ initial: 4096, maximum: 16384 });
const kernels = instantiateNativeKernels(memory, build);
if (!kernels) throw new Error('the native kernels do not run on this runtime');
const heap = new Float32Array(memory.buffer);
// Any finite values: the time does not depend on them.
for (let i = 0; i < heap.length; i++) heap[i] = Math.sin(i);

/** Median milliseconds of `fn` over `calls` calls after 3 warm-up calls. */
function time(fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const rows: string[][] = [];
let total = 0;
for (const [n, h, w, ci, co] of [
  [75, 28, 28, 16, 16],
  [75, 14, 14, 32, 32],
  [75, 7, 7, 64, 64],
  [75, 4, 4, 128, 128],
] as const) {
  // Byte offsets on the heap: x, the filter (or its gradient), y (or dy), then the scratch.
  const x = 1024;
  const f = x + n * h * w * ci * 4 + 64;
  const y = f + 9 * ci * co * 4 + 64;
  const scratch = y + n * h * w * co * 4 + 64;
  const forward = time(() => kernels.conv3x3Winograd4(x, f, y, scratch, n, h, w, ci, co));
  const filterGrad = time(() => kernels.conv3x3Winograd4FilterGrad(x, y, f, scratch, n, h, w, ci, co));
  const productGflop = (2 * n * Math.ceil(h / 4) * Math.ceil(w / 4) * 36 * ci * co) / 1e9;
  const rate = (ms: number) => `${(productGflop / (ms / 1000)).toFixed(1)} GFLOP/s`;
  total += forward + filterGrad;
  rows.push([
    `${n}×${h}×${w}×${ci} → ${co}`,
    `${forward.toFixed(2)} ms (${rate(forward)})`,
    `${filterGrad.toFixed(2)} ms (${rate(filterGrad)})`,
  ]);
}
console.log(`\n## F(4×4, 3×3) kernels alone (${build} build, one thread, median of ${calls} calls)\n`);
table(['layer', 'forward (rate of the products)', 'filter gradient'], rows);
console.log(`\nall eight: ${total.toFixed(1)} ms`);
