/**
 * Our wasm SIMD kernels work in place on tfjs's heap, so besides computing the right values
 * they must write nothing outside their output, and the shipped binary must be the one its C
 * source compiles to.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src-main/engine';
import {
  KERNELS_RELAXED_WASM_BASE64,
  KERNELS_WASM_BASE64,
} from '../../src-main/engine/autodiff/native/kernelsWasm';
import {
  type KernelsBuild,
  type NativeKernels,
  availableKernelBuilds,
  instantiateNativeKernels,
  preferredKernelsBuild,
  relaxedSimdBehindFlag,
} from '../../src-main/engine/autodiff/nativeKernels';
// @ts-expect-error: a plain ES module script without type declarations
import { DATA_SECTION, stackPointerStart, wasmSections } from '../../scripts/build-kernels.mjs';

interface FilterCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  fh: number;
  fw: number;
  s: number;
  pt: number;
  pl: number;
  ho: number;
  wo: number;
}

/**
 * The conv's geometry as the native conv kernels take it after their tensors: n, h, w, ci, ho, wo,
 * co, fh, fw, the strides and the top and left padding.
 */
function geometry(c: FilterCase) {
  return [c.n, c.h, c.w, c.ci, c.ho, c.wo, c.co, c.fh, c.fw, c.s, c.s, c.pt, c.pl] as const;
}

/**
 * Every product of a conv's definition, y[n,oy,ox,o] = Σ x[n, oy·s+a−pt, ox·s+b−pl, i] · w[a,b,i,o]
 * (taps outside x skipped), as flat indices into x [n,h,w,ci], y [n,ho,wo,co] and w [fh,fw,ci,co]:
 * the forward pass, its input gradient and its filter gradient are sums over the same products.
 */
function forEachProduct(c: FilterCase, visit: (xAt: number, yAt: number, wAt: number) => void): void {
  for (let n = 0; n < c.n; n++)
    for (let y = 0; y < c.ho; y++)
      for (let xx = 0; xx < c.wo; xx++)
        for (let a = 0; a < c.fh; a++)
          for (let b = 0; b < c.fw; b++) {
            const iy = y * c.s + a - c.pt;
            const ix = xx * c.s + b - c.pl;
            if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
            for (let i = 0; i < c.ci; i++)
              for (let o = 0; o < c.co; o++)
                visit(
                  ((n * c.h + iy) * c.w + ix) * c.ci + i,
                  ((n * c.ho + y) * c.wo + xx) * c.co + o,
                  ((a * c.fw + b) * c.ci + i) * c.co + o,
                );
          }
}

/** The filter gradient's definition, summed in float64. */
function filterGradReference(c: FilterCase, x: Float32Array, dy: Float32Array): Float64Array {
  const dw = new Float64Array(c.fh * c.fw * c.ci * c.co);
  forEachProduct(c, (xAt, yAt, wAt) => (dw[wAt]! += x[xAt]! * dy[yAt]!));
  return dw;
}

/** The input gradient's definition, summed in float64: each dy value through each tap. */
function inputGradReference(c: FilterCase, dy: Float32Array, w: Float32Array): Float64Array {
  const dx = new Float64Array(c.n * c.h * c.w * c.ci);
  forEachProduct(c, (xAt, yAt, wAt) => (dx[xAt]! += dy[yAt]! * w[wAt]!));
  return dx;
}

/** The conv's definition, summed in float64. */
function forwardReference(c: FilterCase, x: Float32Array, w: Float32Array): Float64Array {
  const y = new Float64Array(c.n * c.ho * c.wo * c.co);
  forEachProduct(c, (xAt, yAt, wAt) => (y[yAt]! += x[xAt]! * w[wAt]!));
  return y;
}

/**
 * Runs one of stridedConv.c's kernels (same arguments: input, filter, output, scratch, then the
 * conv's geometry) on case c in a sentinel-filled memory, its input and filter random at
 * unaligned offsets with gaps between, and checks its output against `reference` (float64) and
 * that nothing changed outside it (the scratch may hold anything afterwards).
 */
function checkStridedConvKernel(
  memory: WebAssembly.Memory,
  rng: Rng,
  c: FilterCase,
  sizes: { input: number; output: number; scratch: number },
  kernel: NativeKernels['conv2dForward'],
  reference: (input: Float32Array, filter: Float32Array) => Float64Array,
  output: string,
): void {
  const heap = new Float32Array(memory.buffer);
  heap.fill(-12345.5);
  const wLen = c.fh * c.fw * c.ci * c.co;
  const inAt = 29;
  const wAt = inAt + sizes.input + 3;
  const outAt = wAt + wLen + 9;
  const scratchAt = outAt + sizes.output + 5;
  for (let k = 0; k < sizes.input; k++) heap[inAt + k] = rng.normal();
  for (let k = 0; k < wLen; k++) heap[wAt + k] = rng.normal();
  const before = heap.slice();
  kernel(inAt * 4, wAt * 4, outAt * 4, scratchAt * 4, ...geometry(c));
  heap.set(before.subarray(scratchAt, scratchAt + sizes.scratch), scratchAt);
  const want = reference(heap.subarray(inAt, inAt + sizes.input), heap.subarray(wAt, wAt + wLen));
  let err = 0;
  for (let k = 0; k < sizes.output; k++) err = Math.max(err, Math.abs(heap[outAt + k]! - want[k]!));
  expect(err, `${output} for ${JSON.stringify(c)}`).toBeLessThan(1e-4);
  expect(
    changedOutside(heap, before, outAt, sizes.output),
    `floats changed outside ${output} for ${JSON.stringify(c)}`,
  ).toBe(0);
}

/**
 * Strided convs' input gradients (input channels in fours): tfjs's 'same' at stride 2 on even
 * sizes (no pad before) and odd ones (one before), 'valid' short of the edge, 1×1 projections
 * (phases with no tap, all zero), stride 3 with a filter taller than wide, a 4-channel tail,
 * output channels not in fours, and phases whose position count is not a multiple of 4 (the
 * last group repeats a position). Stride 1 too: nothing in the kernel is stride-specific.
 */
const inputCases: FilterCase[] = [
  { n: 3, h: 8, w: 8, ci: 16, co: 8, fh: 3, fw: 3, s: 2, pt: 0, pl: 0, ho: 4, wo: 4 },
  { n: 2, h: 7, w: 7, ci: 12, co: 5, fh: 3, fw: 3, s: 2, pt: 1, pl: 1, ho: 4, wo: 4 },
  { n: 2, h: 9, w: 8, ci: 4, co: 9, fh: 3, fw: 3, s: 2, pt: 0, pl: 0, ho: 4, wo: 3 },
  { n: 3, h: 7, w: 7, ci: 8, co: 16, fh: 1, fw: 1, s: 2, pt: 0, pl: 0, ho: 4, wo: 4 },
  { n: 1, h: 11, w: 10, ci: 8, co: 3, fh: 4, fw: 2, s: 3, pt: 1, pl: 0, ho: 4, wo: 3 },
  { n: 2, h: 5, w: 6, ci: 4, co: 4, fh: 3, fw: 3, s: 1, pt: 1, pl: 1, ho: 5, wo: 6 },
];

/** The four positions of a 2×2 pooling window, in row-major order. */
const WINDOW: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];

const cases: FilterCase[] = [
  // 4×8 tiles only; with 1×4 and 1×1 remainders in both channel axes; one input channel.
  { n: 2, h: 6, w: 6, ci: 8, co: 16, fh: 3, fw: 3, s: 1, pt: 1, pl: 1, ho: 6, wo: 6 },
  { n: 3, h: 7, w: 5, ci: 6, co: 15, fh: 3, fw: 3, s: 1, pt: 1, pl: 1, ho: 7, wo: 5 },
  { n: 2, h: 9, w: 9, ci: 1, co: 6, fh: 3, fw: 3, s: 1, pt: 1, pl: 1, ho: 9, wo: 9 },
  // Strided, asymmetric padding, a filter taller than wide; 'valid' windows short of the edge.
  { n: 2, h: 9, w: 8, ci: 5, co: 9, fh: 4, fw: 2, s: 2, pt: 2, pl: 0, ho: 5, wo: 4 },
  { n: 1, h: 10, w: 10, ci: 4, co: 8, fh: 3, fw: 3, s: 3, pt: 0, pl: 0, ho: 3, wo: 3 },
  // Output rows wider than a row block (one row per block) and 1×1 taps.
  { n: 2, h: 4, w: 60, ci: 4, co: 8, fh: 1, fw: 1, s: 1, pt: 0, pl: 0, ho: 4, wo: 60 },
];

/** How many floats of heap differ from before outside [at, at + length). */
function changedOutside(heap: Float32Array, before: Float32Array, at: number, length: number): number {
  let changed = 0;
  for (let k = 0; k < heap.length; k++) {
    if ((k < at || k >= at + length) && !Object.is(heap[k], before[k])) changed++;
  }
  return changed;
}

/**
 * Checks a native 3×3 stride-1 'same' conv and its filter gradient against their definitions,
 * summed in float64, on a sentinel-filled memory: nothing may change outside the output and the
 * scratch. Arguments of the kernels are byte offsets.
 */
function checkSameConv3x3(
  memory: WebAssembly.Memory,
  rng: Rng,
  [n, h, w, ci, co]: readonly [number, number, number, number, number],
  kernel: {
    scratch: number;
    forward(x: number, f: number, y: number, scratch: number): void;
    filterGrad(x: number, dy: number, dw: number, scratch: number): void;
  },
): void {
  const heap = new Float32Array(memory.buffer);
  const shape = `${[n, h, w, ci, co]}`;
  const xLen = n * h * w * ci;
  const yLen = n * h * w * co;
  const fLen = 9 * ci * co;
  heap.fill(-12345.5);
  const xAt = 21;
  const fAt = xAt + xLen + 5;
  const dyAt = fAt + fLen + 3;
  const yAt = dyAt + yLen + 11;
  const dwAt = yAt + yLen + 7;
  const scratchAt = dwAt + fLen + 4; // 16-byte aligned or not: both must work
  for (let k = 0; k < xLen; k++) heap[xAt + k] = rng.normal();
  for (let k = 0; k < fLen; k++) heap[fAt + k] = rng.normal();
  for (let k = 0; k < yLen; k++) heap[dyAt + k] = rng.normal();
  const x = (b: number, i: number, j: number, c: number) =>
    i < 0 || i >= h || j < 0 || j >= w ? 0 : heap[xAt + ((b * h + i) * w + j) * ci + c]!;
  const before = heap.slice();
  const scratch = heap.subarray(scratchAt, scratchAt + kernel.scratch);
  // The scratch may hold anything afterwards: put the sentinel back before looking for writes.
  kernel.forward(xAt * 4, fAt * 4, yAt * 4, scratchAt * 4);
  scratch.set(before.subarray(scratchAt, scratchAt + kernel.scratch));
  expect(changedOutside(heap, before, yAt, yLen), `floats changed outside y for ${shape}`).toBe(0);
  const out = heap.slice(yAt, yAt + yLen);
  heap.set(before.subarray(yAt, yAt + yLen), yAt);
  kernel.filterGrad(xAt * 4, dyAt * 4, dwAt * 4, scratchAt * 4);
  scratch.set(before.subarray(scratchAt, scratchAt + kernel.scratch));
  expect(changedOutside(heap, before, dwAt, fLen), `floats changed outside dw for ${shape}`).toBe(0);
  // y = x ⋆ f with one pad; dw = Σ x-patch · dy.
  const y = new Float64Array(yLen);
  const dw = new Float64Array(fLen);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let r = 0; r < 3; r++)
          for (let q = 0; q < 3; q++)
            for (let c = 0; c < ci; c++) {
              const v = x(b, i + r - 1, j + q - 1, c);
              const at = ((b * h + i) * w + j) * co;
              const tap = ((r * 3 + q) * ci + c) * co;
              for (let o = 0; o < co; o++) {
                y[at + o]! += v * heap[fAt + tap + o]!;
                dw[tap + o]! += v * heap[dyAt + at + o]!;
              }
            }
  // Float32 rounding grows with the sums' size (dw sums n·h·w products): errors relative to
  // the largest value. A wrong tap, tile or edge is off by whole values.
  const worst = (want: Float64Array, got: (k: number) => number) => {
    let err = 0;
    let scale = 1;
    for (let k = 0; k < want.length; k++) {
      err = Math.max(err, Math.abs(want[k]! - got(k)));
      scale = Math.max(scale, Math.abs(want[k]!));
    }
    return err / scale;
  };
  expect(
    worst(y, (k) => out[k]!),
    `y for ${shape}`,
  ).toBeLessThan(1e-5);
  expect(
    worst(dw, (k) => heap[dwAt + k]!),
    `dw for ${shape}`,
  ).toBeLessThan(1e-5);
}

/** The module as shipped, in each build. */
function shippedBytes(build: KernelsBuild): Buffer {
  return Buffer.from(build === 'relaxed' ? KERNELS_RELAXED_WASM_BASE64 : KERNELS_WASM_BASE64, 'base64');
}

const BUILDS: KernelsBuild[] = ['plain', 'relaxed'];

it('this runtime compiles both builds of the kernels (Node 20 once its flag is turned on)', () => {
  // The plain build wherever wasm SIMD is; the relaxed one on every Node ≥ 20.19 (Node 20 has it
  // behind a V8 flag that nativeKernels turns on), so that neither build goes untested.
  expect(availableKernelBuilds().sort()).toEqual(['plain', 'relaxed']);
});

it('the relaxed build is preferred unless DEML_RELAXED_SIMD=0; the flag is for V8 before 11.4 only', () => {
  expect(preferredKernelsBuild({})).toBe('relaxed');
  expect(preferredKernelsBuild({ DEML_RELAXED_SIMD: '0' })).toBe('plain');
  expect(relaxedSimdBehindFlag('11.3.244.8-node.38')).toBe(true); // Node 20
  expect(relaxedSimdBehindFlag('10.2.154.26-node.36')).toBe(true);
  expect(relaxedSimdBehindFlag('11.4.183.1')).toBe(false);
  expect(relaxedSimdBehindFlag('12.4.254.21-node.33')).toBe(false); // Node 22
  expect(relaxedSimdBehindFlag('14.0.365.4-electron.0')).toBe(false);
});

describe.each(BUILDS)('native wasm kernels, %s build', (build) => {
  it('the filter gradient matches its definition and writes nothing outside dw', () => {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const kernels = instantiateNativeKernels(memory, build);
    expect(kernels, 'this Node has wasm SIMD, so the module must compile').not.toBeNull();
    const rng = new Rng(11);
    const heap = new Float32Array(memory.buffer);
    for (const c of cases) {
      // Sentinel everywhere; x, dy and dw at unaligned float offsets with guard gaps between.
      heap.fill(-12345.5);
      const xLen = c.n * c.h * c.w * c.ci;
      const dyLen = c.n * c.ho * c.wo * c.co;
      const dwLen = c.fh * c.fw * c.ci * c.co;
      const xAt = 37;
      const dyAt = xAt + xLen + 13;
      const dwAt = dyAt + dyLen + 7;
      for (let k = 0; k < xLen; k++) heap[xAt + k] = rng.normal();
      for (let k = 0; k < dyLen; k++) heap[dyAt + k] = rng.normal();
      const before = heap.slice();
      kernels!.conv2dFilterGrad(xAt * 4, dyAt * 4, dwAt * 4, ...geometry(c));
      const want = filterGradReference(c, heap.subarray(xAt, xAt + xLen), heap.subarray(dyAt, dyAt + dyLen));
      let err = 0;
      for (let k = 0; k < dwLen; k++) err = Math.max(err, Math.abs(heap[dwAt + k]! - want[k]!));
      expect(err, JSON.stringify(c)).toBeLessThan(1e-4);
      expect(
        changedOutside(heap, before, dwAt, dwLen),
        `floats changed outside dw for ${JSON.stringify(c)}`,
      ).toBe(0);
    }
  });

  it('the strided input gradient matches its definition and writes nothing outside dx', () => {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const kernels = instantiateNativeKernels(memory, build)!;
    const rng = new Rng(12);
    for (const c of inputCases) {
      const sizes = {
        input: c.n * c.ho * c.wo * c.co,
        output: c.n * c.h * c.w * c.ci,
        scratch: kernels.conv2dInputGradScratchFloats(c.ci, c.co, c.fh, c.fw),
      };
      checkStridedConvKernel(
        memory,
        rng,
        c,
        sizes,
        kernels.conv2dInputGrad,
        (dy, w) => inputGradReference(c, dy, w),
        'dx',
      );
    }
  });

  it('the direct conv matches its definition and writes nothing outside y', () => {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const kernels = instantiateNativeKernels(memory, build)!;
    const rng = new Rng(13);
    // Strided convs as tfjs pads them ('same' at stride 2 on even and odd sizes, 'valid' short
    // of the edge), 1×1 shortcuts, stride 3 with a filter taller than wide, first layers with 1
    // and 3 input channels at stride 1, a 4-channel output tail, positions not in fours.
    const forwardCases: FilterCase[] = [
      { n: 3, h: 8, w: 8, ci: 16, co: 8, fh: 3, fw: 3, s: 2, pt: 0, pl: 0, ho: 4, wo: 4 },
      { n: 2, h: 7, w: 7, ci: 5, co: 12, fh: 3, fw: 3, s: 2, pt: 1, pl: 1, ho: 4, wo: 4 },
      { n: 2, h: 9, w: 8, ci: 4, co: 4, fh: 3, fw: 3, s: 2, pt: 0, pl: 0, ho: 4, wo: 3 },
      { n: 3, h: 7, w: 7, ci: 8, co: 16, fh: 1, fw: 1, s: 2, pt: 0, pl: 0, ho: 4, wo: 4 },
      { n: 1, h: 11, w: 10, ci: 2, co: 8, fh: 4, fw: 2, s: 3, pt: 1, pl: 0, ho: 4, wo: 3 },
      { n: 2, h: 6, w: 5, ci: 3, co: 12, fh: 3, fw: 3, s: 1, pt: 1, pl: 1, ho: 6, wo: 5 },
      { n: 1, h: 5, w: 5, ci: 1, co: 4, fh: 3, fw: 3, s: 1, pt: 0, pl: 0, ho: 3, wo: 3 },
    ];
    for (const c of forwardCases) {
      const sizes = {
        input: c.n * c.h * c.w * c.ci,
        output: c.n * c.ho * c.wo * c.co,
        scratch: kernels.conv2dForwardScratchFloats(c.ci),
      };
      checkStridedConvKernel(
        memory,
        rng,
        c,
        sizes,
        kernels.conv2dForward,
        (x, w) => forwardReference(c, x, w),
        'y',
      );
    }
  });

  it('the Winograd 3×3 conv and its filter gradient match their definitions and write nothing else', () => {
    const memory = new WebAssembly.Memory({ initial: 64 });
    const kernels = instantiateNativeKernels(memory, build)!;
    // F(4×4, 3×3) with its dual F(3×3, 4×4) for the filter gradient; F(2×2, 3×3) with F(3×3, 2×2).
    // Sizes that leave 1, 2 and 3 rows or columns in the last tile of either, a single pixel, 4-
    // and 8-wide channel tails, more tiles than one block (16 and 32 forward, 64 filter gradient)
    // and a last block whose tile count is not a multiple of 4; the generator's 28×28 (whole
    // tiles), 7×7 and 4×4×128.
    for (const shape of [
      [2, 5, 7, 4, 12],
      [3, 7, 7, 8, 4],
      [3, 6, 9, 8, 4],
      [1, 1, 1, 4, 4],
      [2, 2, 9, 12, 8],
      [2, 2, 11, 12, 8],
      [5, 10, 6, 16, 20],
      [2, 14, 14, 8, 8],
      [2, 28, 28, 8, 8],
      [3, 7, 7, 16, 16],
      [2, 7, 7, 64, 64],
      [2, 4, 4, 128, 128],
    ] as const) {
      const [n, h, w, ci, co] = shape;
      const scratch = Math.max(
        kernels.winograd4ScratchFloats(ci, co),
        kernels.winograd4FilterGradScratchFloats(ci, co),
        kernels.winogradScratchFloats(ci, co, 1),
        kernels.winogradScratchFloats(ci, co, 0),
      );
      const pairs = [
        [kernels.conv3x3Winograd4, kernels.conv3x3Winograd4FilterGrad],
        [kernels.conv3x3Winograd, kernels.conv3x3WinogradFilterGrad],
      ] as const;
      for (const [forward, filterGrad] of pairs) {
        checkSameConv3x3(memory, new Rng(13), shape, {
          scratch,
          forward: (x, f, y, s) => forward(x, f, y, s, n, h, w, ci, co),
          filterGrad: (x, dy, dw, s) => filterGrad(x, dy, dw, s, n, h, w, ci, co),
        });
      }
    }
  });

  it('the single-channel 3×3 conv and its filter gradient match their definitions and write nothing else', () => {
    const memory = new WebAssembly.Memory({ initial: 64 });
    const kernels = instantiateNativeKernels(memory, build)!;
    // Odd and even sizes, one row, one column, a single pixel; 4 to 64 output channels.
    for (const shape of [
      [2, 7, 5, 1, 8],
      [1, 1, 1, 1, 4],
      [3, 1, 9, 1, 12],
      [2, 6, 1, 1, 4],
      [4, 28, 28, 1, 64],
    ] as const) {
      const [n, h, w, , co] = shape;
      checkSameConv3x3(memory, new Rng(14), shape, {
        scratch: 0,
        forward: (x, f, y) => kernels.conv3x3SingleChannel(x, f, y, n, h, w, co),
        filterGrad: (x, dy, dw) => kernels.conv3x3SingleChannelFilterGrad(x, dy, dw, n, h, w, co),
      });
    }
  });

  it('the 2×2 max-pool gradient writes all of dx (first maximum, NaNs never win) and nothing else', () => {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const kernels = instantiateNativeKernels(memory, build)!;
    const heap = new Float32Array(memory.buffer);
    const rng = new Rng(12);
    // Even sizes (every dx element is some window's), odd sizes (an uncovered row and column);
    // channels four at a time and one by one.
    for (const [n, h, w, c] of [
      [2, 6, 4, 5],
      [1, 7, 9, 8],
      [2, 4, 4, 3],
    ] as const) {
      const oh = Math.floor(h / 2);
      const ow = Math.floor(w / 2);
      const xLen = n * h * w * c;
      const gLen = n * oh * ow * c;
      heap.fill(-12345.5);
      const xAt = 5;
      const gAt = xAt + xLen + 3;
      const dxAt = gAt + gLen + 9;
      // Ties and NaNs; channel 1's first window is all NaN, so it passes no gradient.
      for (let k = 0; k < xLen; k++) heap[xAt + k] = k % 13 === 4 ? NaN : Math.floor(rng.next() * 3);
      for (const [dy, dx] of WINDOW) heap[xAt + (dy * w + dx) * c + 1] = NaN;
      for (let k = 0; k < gLen; k++) heap[gAt + k] = k + 1;
      const before = heap.slice();
      kernels.maxPool2x2Grad(xAt * 4, gAt * 4, dxAt * 4, n, h, w, c, oh, ow);
      const want = new Float32Array(xLen);
      const x = (b: number, y: number, xx: number, ch: number) =>
        heap[xAt + ((b * h + y) * w + xx) * c + ch]!;
      for (let b = 0; b < n; b++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let ch = 0; ch < c; ch++) {
              let best = -Infinity;
              let at = -1;
              for (const [dy, dx] of WINDOW) {
                const v = x(b, 2 * oy + dy, 2 * ox + dx, ch);
                if (v > best || (at === -1 && v === v)) {
                  best = v;
                  at = ((b * h + 2 * oy + dy) * w + 2 * ox + dx) * c + ch;
                }
              }
              if (at >= 0) want[at] = heap[gAt + ((b * oh + oy) * ow + ox) * c + ch]!;
            }
      expect(Array.from(heap.subarray(dxAt, dxAt + xLen)), JSON.stringify([n, h, w, c])).toEqual(
        Array.from(want),
      );
      expect(changedOutside(heap, before, dxAt, xLen)).toBe(0);
    }
  });

  it('imports only the memory and carries no data segment and no stack', () => {
    const bytes = shippedBytes(build);
    const module = new WebAssembly.Module(new Uint8Array(bytes));
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    // A data segment would be written into tfjs's heap when the module is instantiated.
    expect(wasmSections(bytes).map((s: { id: number }) => s.id)).not.toContain(DATA_SECTION);
    // Nor room for a C shadow stack (where clang puts arrays it cannot keep in registers): it
    // starts at 0, so a kernel that used one would trap in the tests below rather than
    // overwrite the bottom of tfjs's heap.
    expect(stackPointerStart(bytes)).toBe(0);
  });

  let clang = '';
  try {
    clang = execFileSync('clang-19', ['--version'], { encoding: 'utf8' });
  } catch {
    // Not installed: the shipped binary cannot be rebuilt here (CI installs clang-19).
  }
  it.runIf(clang !== '' || process.env.CI === 'true')(
    'the shipped module is what its C source compiles to (npm run build:kernels)',
    async () => {
      // @ts-expect-error: a plain ES module script without type declarations
      const script = (await import('../../scripts/build-kernels.mjs')) as {
        compileKernels(options: { relaxed: boolean }): Buffer;
      };
      // The bytes, not the header comment: it names the exact clang build, which may differ.
      expect(
        shippedBytes(build).equals(script.compileKernels({ relaxed: build === 'relaxed' })),
        'kernelsWasm.ts is not what the .c files compile to: run npm run build:kernels',
      ).toBe(true);
    },
  );
});
