/**
 * Batch norm with the batch's own statistics (MAML's transductive setting: docs/SCIENCE.md),
 * optionally followed by a ReLU, as one op.
 *
 * On the wasm backend it is one kernel forward and one backward (native/batchNorm.c). Composed
 * from tfjs ops, batch norm, its ReLU and their gradients took about a third of a conv4 task
 * there: some twenty memory-bound kernel calls over each 75×28×28×64 activation, every one
 * allocating its own output, where the kernels make three passes forward and two backward.
 * Elsewhere (cpu, tfjs-node-gpu), and for channel counts that are not multiples of 4, it is
 * the composition of ops, the same function.
 *
 * Where a second derivative is taken through it (the support set's forward pass inside
 * second-order MAML's and Meta-SGD's inner gradient) it is always the composition of ops, whose
 * gradients are twice differentiable (gradients.ts): the kernels' own gradient is first order
 * only. That pass sees a few images; the query set's, where the large batches are, and every
 * pass of the first-order learners, of evaluation and of the concept generator run the kernels.
 */
import { tf } from '../tf';
import type { Tensor, Tensor4D, TensorInfo } from '../tf';
import { nativeKernelsFor } from './nativeKernels';
import { type KernelArgs, type WasmBackend, heapOffsets, withScratch } from './wasmHeap';

export const BATCH_NORM_EPSILON = 1e-5;

const FORWARD = 'DemlBatchNorm';
const BACKWARD = 'DemlBatchNormGrad';

interface BatchNormAttrs {
  relu: boolean;
}

/** The op as tfjs ops: the definition the kernels must match, and their fallback. */
export function batchNormComposed(x: Tensor4D, gamma: Tensor, beta: Tensor, relu: boolean): Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2], true);
  // γ(x − μ)/σ + β as x·s + (β − μ·s), s = γ/σ: the per-channel work moves to [C]-sized tensors,
  // leaving two full-size ops forward (four before) and fewer backward, first and second order.
  const scale = tf.mul(tf.rsqrt(tf.add(variance, BATCH_NORM_EPSILON)), gamma);
  const y = tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(mean, scale))) as Tensor4D;
  return relu ? tf.relu(y) : y;
}

/**
 * Whether the gradient of an op recorded now may itself be differentiated. Each tf.grads (or
 * valueAndGrads) around this call adds one to the engine's gradient depth; an op's gradient is
 * computed one level out, so at depth 2 or more (the support set's forward pass inside
 * second-order MAML's inner gradient) its gradient is recorded on an outer tape. At depth 1 (a
 * query set's forward pass, first-order learners, evaluation, the concept generator) it is
 * computed with the tape off.
 */
function secondDerivativeNeeded(): boolean {
  const depth = (tf.engine() as unknown as { state?: { gradientDepth?: unknown } }).state?.gradientDepth;
  // An engine that no longer exposes its depth gets the composed ops: slower, never wrong.
  return typeof depth !== 'number' || depth > 1;
}

/**
 * Whether this call can run the kernels: wasm with our native module, float32, channels in
 * fours, and no second derivative to be taken through it.
 */
function fusable(x: Tensor4D, gamma: Tensor, beta: Tensor): boolean {
  const c = x.shape[3];
  return (
    tf.getBackend() === 'wasm' &&
    c % 4 === 0 &&
    x.size > 0 &&
    [x, gamma, beta].every((t) => t.dtype === 'float32') &&
    gamma.size === c &&
    beta.size === c &&
    !secondDerivativeNeeded() &&
    tf.getKernel(FORWARD, 'wasm') != null &&
    nativeKernelsFor(tf.backend()) != null
  );
}

/**
 * relu?(γ·(x − μ)/√(σ² + ε) + β) with μ, σ² the per-channel mean and (biased) variance of x
 * [n,h,w,c] over n, h and w; γ and β are [c].
 */
export function batchNorm(x: Tensor4D, gamma: Tensor, beta: Tensor, relu = false): Tensor4D {
  if (!fusable(x, gamma, beta)) return batchNormComposed(x, gamma, beta, relu);
  const attrs: BatchNormAttrs = { relu };
  const [y] = tf
    .engine()
    .runKernel(FORWARD, { x, gamma, beta }, attrs as unknown as tf.NamedAttrMap) as Tensor[];
  return y as Tensor4D;
}

function nativeFor(backend: tf.KernelBackend, op: string) {
  const native = nativeKernelsFor(backend);
  // batchNorm() checks before it runs the kernel; this is reached only if the native kernels
  // were switched off between a forward pass and its gradient.
  if (native == null) throw new Error(`${op}: the native kernels are unavailable`);
  return native;
}

/**
 * What both kernels share: the native module, x as [rows, c], the ReLU flag, and their three
 * outputs, one shaped like x and two per channel.
 */
function setUp({ inputs, backend, attrs }: KernelArgs, op: string) {
  const native = nativeFor(backend, op);
  const b = backend as WasmBackend;
  const { x } = inputs as { x: TensorInfo };
  const c = x.shape[x.shape.length - 1]!;
  const rows = tf.util.sizeFromShape(x.shape) / c;
  const outputs = [
    b.makeOutput(x.shape, 'float32'),
    b.makeOutput([c], 'float32'),
    b.makeOutput([c], 'float32'),
  ] as const;
  const relu: 0 | 1 = (attrs as unknown as BatchNormAttrs).relu ? 1 : 0;
  return { native, b, c, rows, relu, outputs };
}

/** [y, mean, rstd]: mean and rstd are for the gradient only (batchNorm returns y). */
function batchNormWasm(args: KernelArgs): TensorInfo[] {
  const { x, gamma, beta } = args.inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const { native, b, c, rows, relu, outputs } = setUp(args, FORWARD);
  const at = heapOffsets(b, x, gamma, beta, ...outputs);
  withScratch(b, c, (scratch) => native.batchNormForward(...at, scratch, rows, c, relu, BATCH_NORM_EPSILON));
  return [...outputs];
}

/** [dx, dgamma, dbeta] from dy and the forward pass's inputs, mean and rstd. */
function batchNormGradWasm(args: KernelArgs): TensorInfo[] {
  const { x, gamma, beta, mean, rstd, dy } = args.inputs as Record<
    'x' | 'gamma' | 'beta' | 'mean' | 'rstd' | 'dy',
    TensorInfo
  >;
  const { native, b, c, rows, relu, outputs } = setUp(args, BACKWARD);
  const at = heapOffsets(b, x, dy, gamma, beta, mean, rstd, ...outputs);
  withScratch(b, 3 * c, (scratch) => native.batchNormBackward(...at, scratch, rows, c, relu));
  return [...outputs];
}

/** Register the wasm kernels (installWasmKernels calls this). */
export function registerBatchNormWasmKernels(): void {
  for (const [kernelName, kernelFunc] of [
    [FORWARD, batchNormWasm],
    [BACKWARD, batchNormGradWasm],
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
 * The forward kernel's gradient is the backward kernel. Its mean and rstd outputs are the
 * forward pass's own (saved as constants, as tfjs saves outputs), read by the backward kernel
 * to save two passes over x; batchNorm never hands them out, so no gradient arrives there.
 */
export const batchNormGradient: GradConfig = {
  kernelName: FORWARD,
  inputsToSave: ['x', 'gamma', 'beta'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, beta, mean, rstd] = saved as Tensor[];
    const dy = (dys as Tensor[])[0]!;
    // Run once here, not in each input's thunk: each thunk runs in a tidy of its own, which
    // would free the other two outputs.
    const [dx, dgamma, dbeta] = tf
      .engine()
      .runKernel(
        BACKWARD,
        { x: x!, gamma: gamma!, beta: beta!, mean: mean!, rstd: rstd!, dy },
        attrs,
      ) as Tensor[];
    return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
  },
};

/**
 * batchNorm never runs the kernels where their gradient would be differentiated again (see
 * secondDerivativeNeeded), so this gradient is never needed; it refuses loudly rather than
 * let a later change get a second derivative silently wrong.
 */
export const batchNormGradGradient: GradConfig = {
  kernelName: BACKWARD,
  gradFunc: () => {
    throw new Error(
      `${BACKWARD} has no gradient: batchNorm must use its composed ops where a second derivative is taken`,
    );
  },
};
