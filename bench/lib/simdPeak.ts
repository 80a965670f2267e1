/**
 * The ceiling of this machine's wasm SIMD arithmetic: how many float32 multiply-adds per second
 * one thread can issue with 128-bit wasm vectors when nothing else (memory, transforms, loop
 * bookkeeping beyond one counter) is in the way. Every native kernel of the workbench runs on
 * these vectors, so no convolution's products can go faster than this, whatever the algorithm;
 * the concept-space profile (bench/profileConcept.ts) sets its convolutions against it.
 *
 * The module is assembled here byte by byte (one function, ~0.4 kB) rather than compiled from C,
 * so the figure does not depend on a compiler's scheduling and needs no toolchain: a loop of
 * ACCUMULATORS independent chains acc = a·b + acc, enough to cover the multiply-add latency on the
 * cores we know (4 cycles × 2 pipes = 8 in flight), with relaxed SIMD's fused f32x4.relaxed_madd
 * where the runtime takes it (the kernels' preferred build) and f32x4.mul + f32x4.add otherwise
 * (the plain build).
 */
import { performance } from 'node:perf_hooks';
import { availableKernelBuilds } from '../../src-main/engine/autodiff/nativeKernels';

/** Independent multiply-add chains in the loop, each on its own 4 lanes. */
export const ACCUMULATORS = 12;
/** The loop's operands: acc = A·B + acc, so that run(n) returns ACCUMULATORS·n·A·B. */
export const [A, B] = [1.0000001, 0.9999999];

/** Unsigned LEB128, as the wasm binary format writes opcodes and sizes. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const simd = (op: number) => [0xfd, ...leb(op)];
const F32X4_ADD = simd(228);
const F32X4_MUL = simd(230);
const F32X4_RELAXED_MADD = simd(0x105);
const f32x4Const = (x: number) => {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let lane = 0; lane < 4; lane++) view.setFloat32(4 * lane, x, true);
  return [...simd(12), ...bytes];
};
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vector = (items: number[][]) => [...leb(items.length), ...items.flat()];

/** run(n: i32) → f32: n rounds of one multiply-add on each accumulator; returns their sum. */
function peakModule(fused: boolean): Uint8Array<ArrayBuffer> {
  const [LOCAL_GET, LOCAL_SET, LOCAL_TEE] = [0x20, 0x21, 0x22];
  const a = ACCUMULATORS + 1;
  const b = ACCUMULATORS + 2;
  const body: number[] = [
    ...vector([[ACCUMULATORS + 2, 0x7b]]), // locals 1..ACCUMULATORS+2: v128
    ...f32x4Const(A),
    LOCAL_SET,
    a,
    ...f32x4Const(B),
    LOCAL_SET,
    b,
    0x03,
    0x40, // loop (no result)
  ];
  for (let acc = 1; acc <= ACCUMULATORS; acc++) {
    body.push(
      ...(fused
        ? [LOCAL_GET, a, LOCAL_GET, b, LOCAL_GET, acc, ...F32X4_RELAXED_MADD]
        : [LOCAL_GET, a, LOCAL_GET, b, ...F32X4_MUL, LOCAL_GET, acc, ...F32X4_ADD]),
      LOCAL_SET,
      acc,
    );
  }
  // n -= 1; continue while n ≠ 0
  body.push(LOCAL_GET, 0, 0x41, 1, 0x6b, LOCAL_TEE, 0, 0x0d, 0, 0x0b);
  // Every accumulator feeds the result, so none of the chains is dead code.
  body.push(LOCAL_GET, 1);
  for (let acc = 2; acc <= ACCUMULATORS; acc++) body.push(LOCAL_GET, acc, ...F32X4_ADD);
  body.push(...simd(31), 0, 0x0b); // f32x4.extract_lane 0; end
  const name = [...Buffer.from('run')];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[0x60, 1, 0x7f, 1, 0x7d]])), // (i32) → f32
    ...section(3, vector([[0]])),
    ...section(7, vector([[...leb(name.length), ...name, 0x00, 0]])),
    ...section(10, vector([[...leb(body.length), ...body]])),
  ]);
}

/** The loop as a function run(n), or null where this runtime cannot compile it. */
export function simdPeakLoop(fused: boolean): ((n: number) => number) | null {
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(peakModule(fused))).exports.run as (
      n: number,
    ) => number;
  } catch {
    return null;
  }
}

export interface SimdPeak {
  /** GFLOP/s of one thread, a multiply-add counted as 2 FLOPs (as conv FLOP counts do). */
  gflops: number;
  /** Whether the multiply-adds were relaxed SIMD's fused ones. */
  fused: boolean;
}

/** The best of `rounds` timings of ~0.2 s each: the machine's other load only ever slows it. */
export function measureSimdPeak(rounds = 7): SimdPeak {
  // availableKernelBuilds turns on V8's relaxed-SIMD flag where this Node keeps it behind one, as
  // for the kernels themselves.
  const relaxed = availableKernelBuilds().includes('relaxed');
  let run = relaxed ? simdPeakLoop(true) : null;
  const fused = run != null;
  run ??= simdPeakLoop(false);
  if (run == null) throw new Error('this runtime has no wasm SIMD');
  const n = 4_000_000;
  run(n / 10); // compiled by the optimising tier before the timings
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const sum = run(n);
    best = Math.min(best, performance.now() - t0);
    if (!Number.isFinite(sum)) throw new Error(`the peak loop returned ${sum}`);
  }
  return { gflops: (n * ACCUMULATORS * 4 * 2) / (best * 1e6), fused };
}
