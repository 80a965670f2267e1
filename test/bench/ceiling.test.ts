/**
 * The two halves of the concept space's speed ceiling (bench/profileConcept.ts, bench/generator.ts):
 * the SIMD peak loop computes the multiply-adds it is credited with, and the fewest-FLOPs bound
 * takes the best Winograd tiling of stride-1 3×3 convolutions and the direct count elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { fewestConvFlops, kernelFlops } from '../../bench/lib/flops';
import { A, ACCUMULATORS, B, measureSimdPeak, simdPeakLoop } from '../../bench/lib/simdPeak';
import { availableKernelBuilds } from '../../src-main/engine/autodiff/nativeKernels';

describe('the wasm SIMD peak loop', () => {
  // Turns on V8's relaxed-SIMD flag where this Node keeps it behind one, as the kernels do.
  const builds = availableKernelBuilds();

  it.each([
    ['fused', true],
    ['unfused', false],
  ] as const)('%s: every accumulator takes one multiply-add per round', (_, fused) => {
    if (fused && !builds.includes('relaxed')) return;
    const run = simdPeakLoop(fused)!;
    expect(run).not.toBeNull();
    for (const n of [1, 7, 1000]) {
      // Lane 0 of the accumulators' sum: ACCUMULATORS·n·A·B up to float32 rounding.
      expect(run(n)).toBeCloseTo(ACCUMULATORS * n * A * B, n === 1000 ? 1 : 4);
    }
  });

  it('measures a finite, positive rate', () => {
    const peak = measureSimdPeak(1);
    expect(peak.gflops).toBeGreaterThan(0);
    expect(Number.isFinite(peak.gflops)).toBe(true);
    expect(peak.fused).toBe(builds.includes('relaxed'));
  });
});

describe('fewestConvFlops', () => {
  const direct = (name: string, inputs: number[][], outputs: number[][]) =>
    kernelFlops(name, inputs, outputs);

  it('takes the best of F(2×2), F(4×4), F(6×6) for stride-1 3×3 convs, in each of the three kernels', () => {
    // 28×28: F(6×6) needs 5·5 tiles of 64 products, against 784·9 direct.
    const x = [75, 28, 28, 16];
    const w = [3, 3, 16, 32];
    const y = [75, 28, 28, 32];
    for (const [name, inputs, outputs] of [
      ['Conv2D', [x, w], [y]],
      ['Conv2DBackpropInput', [y, w], [x]],
      ['Conv2DBackpropFilter', [x, y], [w]],
    ] as const) {
      const ins = inputs.map((s) => [...s]);
      const outs = outputs.map((s) => [...s]);
      expect(fewestConvFlops(name, ins, outs)).toBeCloseTo((direct(name, ins, outs) * 1600) / (784 * 9), 3);
    }
    // 4×4: one F(4×4) tile (36 products) beats four F(2×2) (64) and a mostly empty F(6×6) (64).
    const x4 = [75, 4, 4, 128];
    const w4 = [3, 3, 128, 128];
    expect(fewestConvFlops('Conv2D', [x4, w4], [x4])).toBe(direct('Conv2D', [x4, w4], [x4]) / 4);
    // 1×1 and 2×2 maps: no tiling beats the direct count (16 products against 9; 16 against 36).
    for (const size of [1, 2]) {
      const m = [5, size, size, 64];
      const w64 = [3, 3, 64, 64];
      const ratio = size === 1 ? 1 : 16 / 36;
      expect(fewestConvFlops('Conv2D', [m, w64], [m])).toBeCloseTo(
        direct('Conv2D', [m, w64], [m]) * ratio,
        3,
      );
    }
  });

  it('counts strided and 1×1 convs directly, and nothing else at all', () => {
    const strided: [number[][], number[][]] = [
      [
        [75, 28, 28, 16],
        [3, 3, 16, 32],
      ],
      [[75, 14, 14, 32]],
    ];
    expect(fewestConvFlops('Conv2D', ...strided)).toBe(direct('Conv2D', ...strided));
    const pointwise: [number[][], number[][]] = [
      [
        [75, 14, 14, 32],
        [1, 1, 32, 64],
      ],
      [[75, 14, 14, 64]],
    ];
    expect(fewestConvFlops('Conv2D', ...pointwise)).toBe(direct('Conv2D', ...pointwise));
    expect(
      fewestConvFlops(
        'BatchMatMul',
        [
          [1, 5, 64],
          [1, 64, 5],
        ],
        [[1, 5, 5]],
      ),
    ).toBeNull();
  });
});
