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
import { BATCH_NORM_EPSILON, batchNorm, batchNormKernelsCanRun, nativeFor } from './batchNorm';
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
  const outputs = [
    b.makeOutput([n, Math.floor(h / 2), Math.floor(w / 2), c], 'float32'),
    b.makeOutput([c], 'float32'),
    b.makeOutput([c], 'float32'),
  ] as const;
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
  const outputs = [
    b.makeOutput(x.shape, 'float32'),
    b.makeOutput([c], 'float32'),
    b.makeOutput([c], 'float32'),
  ] as const;
  const at = heapOffsets(b, x, dy, gamma, beta, mean, rstd, ...outputs);
  withScratch(b, 3 * c, (scratch) => native.batchNormPoolBackward(...at, scratch, n, h, w, c));
  return [...outputs];
}

/** Register the wasm kernels (installWasmKernels calls this). */
export function registerBatchNormPoolWasmKernels(): void {
  for (const [kernelName, kernelFunc] of [
    [FORWARD, batchNormPoolWasm],
    [BACKWARD, batchNormPoolGradWasm],
  ] as const) {
    if (tf.getKernel(kernelName, 'wasm') == null)
      tf.registerKernel({
        kernelName,
        backendName: 'wasm',
        kernelFunc: kernelFunc as unknown as tf.KernelFunc,
      });
  }
}

type GradConfig = Parameters<typeof tf.registerGradient>[0];

/**
 * The forward kernel's gradient is the backward kernel, reading the forward pass's mean and rstd
 * (saved outputs; batchNormReluPool never hands them out, so no gradient arrives there).
 */
export const batchNormPoolGradient: GradConfig = {
  kernelName: FORWARD,
  inputsToSave: ['x', 'gamma', 'beta'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved) => {
    const [x, gamma, beta, mean, rstd] = saved as Tensor[];
    const dy = (dys as Tensor[])[0]!;
    // Once here, not in each input's thunk: each thunk runs in a tidy of its own.
    const [dx, dgamma, dbeta] = tf
      .engine()
      .runKernel(BACKWARD, { x: x!, gamma: gamma!, beta: beta!, mean: mean!, rstd: rstd!, dy }) as Tensor[];
    return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
  },
};

/**
 * batchNormReluPool never runs the kernels where their gradient would be differentiated (see
 * its depth check), so this gradient is never needed; it refuses loudly rather than let a later
 * change get a second derivative silently wrong.
 */
export const batchNormPoolGradGradient: GradConfig = {
  kernelName: BACKWARD,
  gradFunc: () => {
    throw new Error(
      `${BACKWARD} has no gradient: batchNormReluPool must use batch norm's kernels and tf.maxPool where a second derivative is taken`,
    );
  },
};
