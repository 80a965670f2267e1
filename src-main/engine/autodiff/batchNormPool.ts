/**
 * conv4's block after its convolution, batch norm → ReLU → 2×2 max-pool, as one op on the wasm
 * backend: one kernel forward and one backward (native/batchNormPool.c). Apart, the fused batch
 * norm writes the full-size activation, the pooling reads it, the pooling's gradient writes a
 * full-size gradient that batch norm's backward kernel reads twice; fused, the activation is
 * recomputed from x where it is needed and never stored.
 *
 * Its backward kernel has no gradient, so the op runs the kernels only where its gradient is taken
 * at most once (a query set's forward pass, first-order learners, evaluation); inside an outer
 * gradient (second-order MAML's support set) it is batch norm's own kernels, which have a second
 * derivative, then tf.maxPool: the same function.
 */
import { tf } from '../tf';
import type { Tensor, Tensor4D, TensorInfo } from '../tf';
import {
  BATCH_NORM_EPSILON,
  batchNorm,
  batchNormKernelsCanRun,
  forwardKernelGradient,
  kernelOutputs,
  nativeFor,
  refusedGradient,
  registerWasmKernels,
} from './batchNorm';
import { type KernelArgs, type WasmBackend, heapOffsets, withScratch } from './wasmHeap';

const FORWARD = 'DemlBatchNormPool';
const BACKWARD = 'DemlBatchNormPoolGrad';

/** The op apart: the definition the kernels must match, and their fallback. */
export function batchNormReluPoolComposed(x: Tensor4D, gamma: Tensor, beta: Tensor): Tensor4D {
  return tf.maxPool(batchNorm(x, gamma, beta, true), 2, 2, 'valid');
}

/** maxPool(relu(γ·(x − μ)/√(σ² + ε) + β)), 2×2, stride 2, 'valid', batch statistics as batchNorm. */
export function batchNormReluPool(x: Tensor4D, gamma: Tensor, beta: Tensor): Tensor4D {
  const [, h, w] = x.shape;
  if (h < 2 || w < 2 || !batchNormKernelsCanRun(x, gamma, beta, 1)) {
    return batchNormReluPoolComposed(x, gamma, beta);
  }
  const [y] = tf.engine().runKernel(FORWARD, { x, gamma, beta }) as Tensor[];
  return y as Tensor4D;
}

/** x's shape and the native module: what both kernels start from. */
function setUp({ inputs, backend }: KernelArgs, op: string) {
  const native = nativeFor(backend, op);
  const b = backend as WasmBackend;
  const { x } = inputs as { x: TensorInfo };
  const [n, h, w, c] = x.shape as [number, number, number, number];
  return { native, b, n, h, w, c };
}

/** [y, mean, rstd]: mean and rstd are for the gradient only (batchNormReluPool returns y). */
function batchNormPoolWasm(args: KernelArgs): TensorInfo[] {
  const { x, gamma, beta } = args.inputs as Record<'x' | 'gamma' | 'beta', TensorInfo>;
  const { native, b, n, h, w, c } = setUp(args, FORWARD);
  const outputs = kernelOutputs(b, [n, Math.floor(h / 2), Math.floor(w / 2), c], c);
  const at = heapOffsets(b, x, gamma, beta, ...outputs);
  withScratch(b, c, (scratch) => native.batchNormPoolForward(...at, scratch, n, h, w, c, BATCH_NORM_EPSILON));
  return [...outputs];
}

/** [dx, dgamma, dbeta] from the pooled dy and the forward pass's inputs, mean and rstd. */
function batchNormPoolGradWasm(args: KernelArgs): TensorInfo[] {
  const { x, gamma, beta, mean, rstd, dy } = args.inputs as Record<
    'x' | 'gamma' | 'beta' | 'mean' | 'rstd' | 'dy',
    TensorInfo
  >;
  const { native, b, n, h, w, c } = setUp(args, BACKWARD);
  const outputs = kernelOutputs(b, x.shape, c);
  const at = heapOffsets(b, x, dy, gamma, beta, mean, rstd, ...outputs);
  withScratch(b, 3 * c, (scratch) => native.batchNormPoolBackward(...at, scratch, n, h, w, c));
  return [...outputs];
}

/** Register the wasm kernels (installWasmKernels calls this). */
export function registerBatchNormPoolWasmKernels(): void {
  registerWasmKernels([
    [FORWARD, batchNormPoolWasm],
    [BACKWARD, batchNormPoolGradWasm],
  ]);
}

/** The forward kernel's gradient is the backward kernel, as batch norm's. */
export const batchNormPoolGradient = forwardKernelGradient(FORWARD, BACKWARD);

/**
 * batchNormReluPool never runs the kernels where their gradient would be differentiated (see its
 * depth check), so this gradient is never needed.
 */
export const batchNormPoolGradGradient = refusedGradient(
  BACKWARD,
  "batchNormReluPool must use batch norm's kernels and tf.maxPool where a second derivative is taken",
);
