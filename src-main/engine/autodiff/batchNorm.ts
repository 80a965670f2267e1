/**
 * Batch norm with the batch's own statistics (MAML's transductive setting: docs/SCIENCE.md),
 * optionally followed by a ReLU, as one op.
 *
 * On the wasm backend it is one kernel forward and one backward (native/batchNorm.c), and the
 * backward kernel's own gradient is a third kernel. Composed from tfjs ops, batch norm, its ReLU
 * and their gradients took about a third of a conv4 task there: some twenty memory-bound kernel
 * calls over each 75×28×28×64 activation, every one allocating its own output, where the kernels
 * make three passes forward and two backward. Elsewhere (cpu, tfjs-node-gpu), and for channel
 * counts that are not multiples of 4, it is the composition of ops, the same function.
 *
 * A second derivative through it (the support set's forward pass inside second-order MAML's and
 * Meta-SGD's inner gradient) runs the three kernels. Composed there, that pass and its two
 * derivatives took some 1,200 small kernel calls of a conv4 MAML task's 2,000 and a third of its
 * time (177 → 114 ms under the profiler), and kept about 12 activation maps per support image
 * and inner step where the kernels keep 3 or 4 (memoryEstimate.ts). A third derivative would need
 * the third kernel's gradient, which does not exist: where one could be taken, batchNorm is the
 * composition of ops, whose gradients are differentiable to any order (gradients.ts).
 */
import { tf } from '../tf';
import type { Tensor, Tensor4D, TensorInfo } from '../tf';
import { nativeKernelsFor } from './nativeKernels';
import { type KernelArgs, type WasmBackend, heapOffsets, withScratch } from './wasmHeap';

export const BATCH_NORM_EPSILON = 1e-5;

const FORWARD = 'DemlBatchNorm';
const BACKWARD = 'DemlBatchNormGrad';
const BACKWARD_BACKWARD = 'DemlBatchNormGradGrad';

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
 * The deepest gradient depth at which batchNorm runs the kernels. Each tf.grads (or
 * valueAndGrads) around a call adds one to the engine's gradient depth, and an op's gradient is
 * computed one level out: at depth 1 (a query set's forward pass, first-order learners,
 * evaluation, the concept generator) the backward kernel runs with the tape off; at depth 2 (the
 * support set's forward pass inside second-order MAML's inner gradient) it is recorded, and the
 * outer gradient runs its gradient, the third kernel, with the tape off. At depth 3 the third
 * kernel would be recorded too, and it has no gradient.
 */
const KERNEL_DEPTH = 2;

function gradientDepth(): number | null {
  const depth = (tf.engine() as unknown as { state?: { gradientDepth?: unknown } }).state?.gradientDepth;
  return typeof depth === 'number' ? depth : null;
}

/**
 * Whether this call can run batch norm's native kernels: wasm with our native module, float32,
 * channels in fours, and no gradient deeper than `maxDepth` (KERNEL_DEPTH here; 1 for
 * batchNormPool.ts, whose backward kernel has no gradient) to be taken through it. An engine
 * that no longer exposes its gradient depth gets the composed ops: slower, never wrong.
 */
export function batchNormKernelsCanRun(x: Tensor4D, gamma: Tensor, beta: Tensor, maxDepth: number): boolean {
  const c = x.shape[3];
  const depth = gradientDepth();
  return (
    tf.getBackend() === 'wasm' &&
    c % 4 === 0 &&
    x.size > 0 &&
    [x, gamma, beta].every((t) => t.dtype === 'float32') &&
    gamma.size === c &&
    beta.size === c &&
    depth != null &&
    depth <= maxDepth &&
    tf.getKernel(FORWARD, 'wasm') != null &&
    nativeKernelsFor(tf.backend()) != null
  );
}

/**
 * relu?(γ·(x − μ)/√(σ² + ε) + β) with μ, σ² the per-channel mean and (biased) variance of x
 * [n,h,w,c] over n, h and w; γ and β are [c].
 */
export function batchNorm(x: Tensor4D, gamma: Tensor, beta: Tensor, relu = false): Tensor4D {
  if (!batchNormKernelsCanRun(x, gamma, beta, KERNEL_DEPTH)) return batchNormComposed(x, gamma, beta, relu);
  const attrs: BatchNormAttrs = { relu };
  const [y] = tf
    .engine()
    .runKernel(FORWARD, { x, gamma, beta }, attrs as unknown as tf.NamedAttrMap) as Tensor[];
  return y as Tensor4D;
}

export function nativeFor(backend: tf.KernelBackend, op: string) {
  const native = nativeKernelsFor(backend);
  // The ops check before they run a kernel (batchNormKernelsCanRun); this is reached only if the
  // native kernels were switched off between a forward pass and its gradient.
  if (native == null) throw new Error(`${op}: the native kernels are unavailable`);
  return native;
}

/**
 * The three outputs every batch-norm kernel writes (here and in batchNormPool.ts): one shaped
 * `first` (y, dx or d/dx), one per channel (mean, dγ) and one per channel too (rstd, dβ) or shaped
 * `last` (the third kernel's d/d(dy)).
 */
export function kernelOutputs(b: WasmBackend, first: number[], c: number, last: number[] = [c]) {
  return [
    b.makeOutput(first, 'float32'),
    b.makeOutput([c], 'float32'),
    b.makeOutput(last, 'float32'),
  ] as const;
}

/**
 * What the kernels share: the native module, x as [rows, c], the ReLU flag, and their outputs
 * (kernelOutputs, the first shaped like x; with `lastPerChannel` false, the last too).
 */
function setUp({ inputs, backend, attrs }: KernelArgs, op: string, lastPerChannel = true) {
  const native = nativeFor(backend, op);
  const b = backend as WasmBackend;
  const { x } = inputs as { x: TensorInfo };
  const c = x.shape[x.shape.length - 1]!;
  const rows = tf.util.sizeFromShape(x.shape) / c;
  const outputs = kernelOutputs(b, x.shape, c, lastPerChannel ? [c] : x.shape);
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

/** [gx, ggamma, gdy]: the gradients of batchNormGradWasm's outputs taken back to x, γ and dy. */
function batchNormGradGradWasm(args: KernelArgs): TensorInfo[] {
  const { x, gamma, beta, mean, rstd, dy, a, bg, bb } = args.inputs as Record<
    'x' | 'gamma' | 'beta' | 'mean' | 'rstd' | 'dy' | 'a' | 'bg' | 'bb',
    TensorInfo
  >;
  const { native, b, c, rows, relu, outputs } = setUp(args, BACKWARD_BACKWARD, false);
  const at = heapOffsets(b, x, dy, gamma, beta, mean, rstd, a, bg, bb, ...outputs);
  withScratch(b, 11 * c, (scratch) => native.batchNormBackwardBackward(...at, scratch, rows, c, relu));
  return [...outputs];
}

/** Registers wasm kernel functions under their names, once (batchNormPool.ts registers its own). */
export function registerWasmKernels(
  kernels: ReadonlyArray<readonly [string, (args: KernelArgs) => TensorInfo[]]>,
): void {
  for (const [kernelName, kernelFunc] of kernels) {
    if (tf.getKernel(kernelName, 'wasm') == null)
      tf.registerKernel({
        kernelName,
        backendName: 'wasm',
        kernelFunc: kernelFunc as unknown as tf.KernelFunc,
      });
  }
}

/** Register the wasm kernels (installWasmKernels calls this). */
export function registerBatchNormWasmKernels(): void {
  registerWasmKernels([
    [FORWARD, batchNormWasm],
    [BACKWARD, batchNormGradWasm],
    [BACKWARD_BACKWARD, batchNormGradGradWasm],
  ]);
}

type GradConfig = Parameters<typeof tf.registerGradient>[0];

/**
 * A forward kernel's gradient is its backward kernel (here and in batchNormPool.ts): from the
 * saved x, γ, β, the forward pass's own mean and rstd outputs (saved as constants, as tfjs saves
 * outputs; read by the backward kernel to save two passes over x; never handed out, so no
 * gradient arrives there) and dy, with the forward kernel's attributes.
 */
export function forwardKernelGradient(forward: string, backward: string): GradConfig {
  return {
    kernelName: forward,
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
          backward,
          { x: x!, gamma: gamma!, beta: beta!, mean: mean!, rstd: rstd!, dy },
          attrs,
        ) as Tensor[];
      return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
    },
  };
}

/**
 * The gradient of a kernel whose op never runs it where that gradient would be taken: it refuses
 * loudly rather than let a later change get a derivative silently wrong.
 */
export function refusedGradient(kernelName: string, instead: string): GradConfig {
  return {
    kernelName,
    gradFunc: () => {
      throw new Error(`${kernelName} has no gradient: ${instead}`);
    },
  };
}

/** The forward kernel's gradient is the backward kernel. */
export const batchNormGradient = forwardKernelGradient(FORWARD, BACKWARD);

/**
 * The backward kernel's gradient is the third kernel, from the saved inputs and the gradients of
 * dx, dγ and dβ (null where an output was not used: zeros). The third kernel's d/dx is the total
 * derivative, through the batch statistics too, so the mean and rstd inputs (the forward pass's
 * outputs, functions of x) get zeros, as β does (it reaches dx only through the ReLU's mask).
 */
export const batchNormGradGradient: GradConfig = {
  kernelName: BACKWARD,
  inputsToSave: ['x', 'gamma', 'beta', 'mean', 'rstd', 'dy'],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, beta, mean, rstd, dy] = saved as Tensor[];
    const [ddx, ddgamma, ddbeta] = dys as Array<Tensor | null>;
    const [gx, ggamma, gdy] = tf.engine().runKernel(
      BACKWARD_BACKWARD,
      {
        x: x!,
        gamma: gamma!,
        beta: beta!,
        mean: mean!,
        rstd: rstd!,
        dy: dy!,
        a: ddx ?? tf.zerosLike(x!),
        bg: ddgamma ?? tf.zerosLike(gamma!),
        bb: ddbeta ?? tf.zerosLike(beta!),
      },
      attrs,
    ) as Tensor[];
    return {
      x: () => gx!,
      gamma: () => ggamma!,
      beta: () => tf.zerosLike(beta!),
      mean: () => tf.zerosLike(mean!),
      rstd: () => tf.zerosLike(rstd!),
      dy: () => gdy!,
    };
  },
};

/**
 * batchNorm never runs the kernels where a third derivative could be taken through them (see
 * KERNEL_DEPTH), so this gradient is never needed.
 */
export const batchNormGradGradGradient = refusedGradient(
  BACKWARD_BACKWARD,
  'batchNorm must use its composed ops where a third derivative is taken',
);
