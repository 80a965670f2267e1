/**
 * Floating-point operations of the dense kernels (convolutions, their gradients, matrix
 * products) in one profiled step, from the shapes tf.profile records. Element-wise kernels are
 * left out: they are memory-bound and small in FLOPs, so GFLOP/s here is the rate of the
 * arithmetic that dominates, comparable to a matrix-product peak.
 *
 * Convolutions are counted as direct convolutions (2·outputs·taps·channels), the usual
 * "effective" rate: where the 3×3 ones run by Winograd's algorithm (autodiff/native/), the
 * multiplications actually done are 36/144 of that count forward and for the input gradient
 * (F(4×4, 3×3)) and 16/36 for the filter gradient (F(3×3, 2×2)).
 */
import { tf } from '../../src-main/engine';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function kernelFlops(name: string, inputs: number[][], outputs: number[][]): number {
  const out = outputs[0] ?? [];
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      const [kh, kw, cin] = inputs[1]!;
      return 2 * size(out) * kh! * kw! * cin!;
    }
    case 'Conv2DBackpropInput': {
      const [kh, kw, cin] = inputs[1]!;
      return 2 * size(inputs[0]!) * kh! * kw! * cin!;
    }
    case 'Conv2DBackpropFilter': {
      const [kh, kw, cin] = out;
      return 2 * size(inputs[1]!) * kh! * kw! * cin!;
    }
    case 'DepthwiseConv2dNative': {
      const [kh, kw] = inputs[1]!;
      return 2 * size(out) * kh! * kw!;
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      // out = [..., M, N]; a holds M·K per batch entry.
      const n = out[out.length - 1]!;
      const batchTimesM = size(out) / n;
      const k = size(inputs[0]!) / batchTimesM;
      return 2 * size(out) * k;
    }
    default:
      return 0;
  }
}

/**
 * FLOPs of the dense kernels f runs, and how many kernels it calls in all (on a GPU each is a
 * dispatch, whose fixed cost dominates small tasks). f's tensors are disposed.
 */
export async function countFlops(
  f: () => tf.Tensor | tf.Tensor[],
): Promise<{ flops: number; kernels: number }> {
  const info = await tf.profile(() => f());
  let flops = 0;
  for (const k of info.kernels) {
    flops += kernelFlops(k.name, k.inputShapes as number[][], k.outputShapes as number[][]);
  }
  return { flops, kernels: info.kernels.length };
}

/** Winograd output tiles m×m in use for 3×3 filters; F(6×6, 3×3) is the largest that float32 bears. */
const WINOGRAD_TILES = [2, 4, 6] as const;

/**
 * The fewest FLOPs (2 per multiply-add) any of our algorithms could spend on a convolution kernel:
 * for stride-1 3×3 ones (forward, input and filter gradients alike), the best Winograd tiling of
 * the map the products are summed over, F(m×m, 3×3) with m ∈ {2, 4, 6}, whole tiles counted (an
 * m×m tile costs (m+2)² products whether or not the map fills it) and the transforms free, or
 * the direct count where that is fewer; any other convolution at its direct count. A lower bound on arithmetic, not a cost model: the
 * element-wise transforms, which at 16 channels cost about what the products do, are left out.
 * Null for anything that is not a convolution.
 */
export function fewestConvFlops(name: string, inputs: number[][], outputs: number[][]): number | null {
  const direct = kernelFlops(name, inputs, outputs);
  if (!name.startsWith('Conv2D') && name !== 'FusedConv2D') return null;
  // The filter, and the two maps whose sizes say the stride: the larger one ('same' padding).
  const [filter, big, small] =
    name === 'Conv2DBackpropFilter'
      ? [outputs[0]!, inputs[0]!, inputs[1]!]
      : name === 'Conv2DBackpropInput'
        ? [inputs[1]!, outputs[0]!, inputs[0]!]
        : [inputs[1]!, inputs[0]!, outputs[0]!];
  const [kh, kw] = filter;
  const [, h = 0, w = 0] = big;
  if (kh !== 3 || kw !== 3 || small[1] !== h || small[2] !== w) return direct;
  const cost = (m: number) => Math.ceil(h / m) * Math.ceil(w / m) * (m + 2) ** 2;
  // On small maps whole tiles can cost more than the direct form (a 1×1 map: 16 products against 9).
  const fewest = Math.min(h * w * 9, ...WINOGRAD_TILES.map(cost));
  return (direct * fewest) / (h * w * 9);
}
