/**
 * Gradient completion: makes tfjs's gradients twice differentiable where second-order MAML and
 * Meta-SGD need them (docs/TFJS-NOTES.md).
 *
 * Two kinds of defect are fixed here:
 * - Missing gradients ("gradient function not found"): Conv2DBackpropFilter, MaxPoolGrad,
 *   AvgPoolGrad, EluGrad and the comparison ops (Equal and friends, hit by the gradient of
 *   Max / Min, so by max-pooling and log-sum-exp).
 * - Silently wrong second derivatives: tfjs saves an op's *output* for its gradient as a clone
 *   made while the tape is paused (engine.runKernelFunc → saveTensorsForBackwardMode), so the
 *   saved output is a constant to the outer tape and every path through it is dropped. Tanh,
 *   Sigmoid, Exp, Softmax, LogSoftmax, Elu and Pow's exponent gradient read the saved output;
 *   here they save the input instead and recompute the output inside the gradient, on the tape.
 *
 * It also registers the gradients of our own fused batch-norm kernels (batchNorm.ts,
 * batchNormPool.ts).
 *
 * Gradients live in tfjs-core's JavaScript registry, so this holds on every backend
 * (cpu, wasm, tfjs-node-gpu alike).
 */
import { tf } from '../tf';
import type { Tensor, Tensor4D } from '../tf';
import { batchNormGradGradGradient, batchNormGradGradient, batchNormGradient } from './batchNorm';
import { batchNormPoolGradGradient, batchNormPoolGradient } from './batchNormPool';

type GradConfig = Parameters<typeof tf.registerGradient>[0];
type Attrs = Record<string, unknown>;

/** Ops whose output is piecewise constant in their inputs: their gradient is exactly zero. */
const ZERO_GRADIENT_OPS = [
  'Equal',
  'NotEqual',
  'Less',
  'LessEqual',
  'Greater',
  'GreaterEqual',
  'LogicalAnd',
  'LogicalOr',
  'LogicalNot',
  'LogicalXor',
  'IsNan',
  'IsInf',
  'IsFinite',
] as const;

function zeroGradient(kernelName: string): GradConfig {
  // inputsToSave gives the shapes of the zeros; inputs are named a/b (binary) or x (unary).
  const unary = kernelName === 'LogicalNot' || kernelName.startsWith('Is');
  return {
    kernelName,
    inputsToSave: unary ? ['x'] : ['a', 'b'],
    gradFunc: (_dy, saved) => {
      const grads: Record<string, () => Tensor> = unary
        ? { x: () => tf.zerosLike(saved[0]!) }
        : { a: () => tf.zerosLike(saved[0]!), b: () => tf.zerosLike(saved[1]!) };
      return grads;
    },
  };
}

const tanhGradient: GradConfig = {
  kernelName: 'Tanh',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [Tensor];
    return { x: () => tf.mul(dy as Tensor, tf.sub(1, tf.square(tf.tanh(x)))) };
  },
};

const sigmoidGradient: GradConfig = {
  kernelName: 'Sigmoid',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [Tensor];
    return {
      x: () => {
        const y = tf.sigmoid(x);
        return tf.mul(dy as Tensor, tf.mul(y, tf.sub(1, y)));
      },
    };
  },
};

const expGradient: GradConfig = {
  kernelName: 'Exp',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [Tensor];
    return { x: () => tf.mul(dy as Tensor, tf.exp(x)) };
  },
};

const softmaxGradient: GradConfig = {
  kernelName: 'Softmax',
  inputsToSave: ['logits'],
  gradFunc: (dy, saved, attrs) => {
    const [logits] = saved as [Tensor];
    const { dim } = attrs as Attrs as { dim: number };
    return {
      logits: () => {
        const y = tf.softmax(logits, dim);
        const dyTimesY = tf.mul(dy as Tensor, y);
        return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
      },
    };
  },
};

const logSoftmaxGradient: GradConfig = {
  kernelName: 'LogSoftmax',
  inputsToSave: ['logits'],
  gradFunc: (dy, saved, attrs) => {
    const [logits] = saved as [Tensor];
    const { axis } = attrs as Attrs as { axis: number };
    return {
      logits: () => tf.sub(dy as Tensor, tf.mul(tf.sum(dy as Tensor, axis, true), tf.softmax(logits, axis))),
    };
  },
};

const eluGradient: GradConfig = {
  kernelName: 'Elu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [Tensor];
    // elu'(x) = 1 for x > 0, exp(x) otherwise; written without EluGrad so it differentiates again.
    return { x: () => tf.mul(dy as Tensor, tf.where(tf.greater(x, 0), tf.onesLike(x), tf.exp(x))) };
  },
};

const powGradient: GradConfig = {
  kernelName: 'Pow',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [base, exponent] = saved as [Tensor, Tensor];
    const outShape = tf.backend_util.assertAndGetBroadcastShape(base.shape, exponent.shape);
    const reduceTo = (t: Tensor, shape: number[]): Tensor => {
      const axes = tf.backend_util.getReductionAxes(shape, outShape);
      return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
    };
    return {
      a: () => {
        const e = tf.cast(exponent, 'float32');
        return reduceTo(tf.mul(dy as Tensor, tf.mul(e, tf.pow(base, tf.sub(e, 1)))), base.shape);
      },
      b: () => {
        const logBase = tf.where(tf.greater(base, 0), tf.log(base), tf.zerosLike(base));
        return reduceTo(tf.mul(dy as Tensor, tf.mul(tf.pow(base, exponent), logBase)), exponent.shape);
      },
    };
  },
};

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * Conv2DBackpropFilter(x, dy) is bilinear in (x, dy): its adjoint w.r.t. dy is the forward conv
 * of x with the incoming filter-shaped gradient, and w.r.t. x the input-gradient conv.
 */
const conv2dBackpropFilterGradient: GradConfig = {
  kernelName: 'Conv2DBackpropFilter',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [Tensor4D, Tensor4D];
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as Attrs as unknown as ConvAttrs;
    return {
      x: () =>
        tf.conv2dTranspose(
          dy,
          ddw as Tensor4D,
          x.shape,
          strides,
          pad as 'valid' | 'same' | number,
          dimRoundingMode,
        ),
      dy: () =>
        tf.conv2d(
          x,
          ddw as Tensor4D,
          strides,
          pad as 'valid' | 'same' | number,
          dataFormat === 'NCHW' ? 'NCHW' : 'NHWC',
          1,
          dimRoundingMode,
        ),
    };
  },
};

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function pair(v: [number, number] | number): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/**
 * MaxPoolGrad(dy, x, y) routes each window's dy to that window's arg-max: it is linear in dy and
 * piecewise constant in x and y. Its adjoint w.r.t. dy reads, for every window, the incoming
 * gradient at the arg-max. The arg-max mask comes from MaxPoolGrad itself (routing ones), so the
 * tie-breaking rule is exactly the backend's. Exact for non-overlapping windows (stride ≥
 * filter size, every pooling in conv4); overlapping windows are refused rather than wrong.
 */
const maxPoolGradGradient: GradConfig = {
  kernelName: 'MaxPoolGrad',
  inputsToSave: ['dy', 'input', 'output'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, input, output] = saved as [Tensor4D, Tensor4D, Tensor4D];
    const { filterSize, strides, pad, dimRoundingMode } = attrs as Attrs as unknown as PoolAttrs;
    const [fh, fw] = pair(filterSize);
    const [sh, sw] = pair(strides);
    if (sh < fh || sw < fw) {
      throw new Error(
        `second-order gradient of max-pool with overlapping windows (filter ${fh}×${fw}, ` +
          `stride ${sh}×${sw}) is not supported; use stride ≥ filter size`,
      );
    }
    return {
      dy: () => {
        // MaxPoolGrad is not a public op; run its kernel directly (recorded on the tape as usual).
        const mask = tf.engine().runKernel('MaxPoolGrad', { dy: tf.onesLike(dy), input, output }, {
          filterSize: [fh, fw],
          strides: [sh, sw],
          pad,
          dimRoundingMode,
        } as unknown as tf.NamedAttrMap) as Tensor4D;
        const channels = input.shape[3];
        // Sum over each window of mask ⊙ ddx: a depthwise conv with a ones filter, which handles
        // every padding mode exactly (avgPool would divide by the in-bounds count).
        return tf.depthwiseConv2d(
          tf.mul(mask, ddx as Tensor4D) as Tensor4D,
          tf.ones([fh, fw, channels, 1]) as Tensor4D,
          [sh, sw],
          pad,
          'NHWC',
          1,
          dimRoundingMode,
        );
      },
      input: () => tf.zerosLike(input),
      output: () => tf.zerosLike(output),
    };
  },
};

/** AvgPoolGrad(dy, x) is linear in dy; its adjoint is the average pool itself. */
const avgPoolGradGradient: GradConfig = {
  kernelName: 'AvgPoolGrad',
  inputsToSave: ['input'],
  gradFunc: (ddx, saved, attrs) => {
    const [input] = saved as [Tensor4D];
    const { filterSize, strides, pad } = attrs as Attrs as unknown as PoolAttrs;
    return {
      dy: () => tf.avgPool(ddx as Tensor4D, filterSize, strides, pad),
      input: () => tf.zerosLike(input),
    };
  },
};

/**
 * Sum and Mean: tfjs's own gradients broadcast dy with `ones(x.shape)`, which builds an array of
 * x's size in JavaScript and uploads it on every call (60 ms per MAML task on wasm, through batch
 * norm; a host-to-device copy on the GPU). `fill` makes the ones on the backend instead, outside
 * the tape, and Mean divides dy before broadcasting (the same values: dy·1/n = dy/n·1).
 */
function expandedDy(dy: Tensor, x: Tensor, axis: unknown): Tensor {
  const shape = x.shape.slice();
  for (const a of tf.util.parseAxisParam(axis as number | number[], x.shape)) shape[a] = 1;
  return tf.reshape(dy, shape);
}

const sumGradient: GradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [Tensor];
    return { x: () => tf.mul(expandedDy(dy as Tensor, x, attrs.axis), tf.fill(x.shape, 1)) };
  },
};

const meanGradient: GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [Tensor];
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
    return { x: () => tf.mul(tf.div(expandedDy(dy as Tensor, x, axes), count), tf.fill(x.shape, 1)) };
  },
};

/** Every gradient this module registers, by kernel name (the tests check each one). */
export const COMPLETED_GRADIENTS: readonly string[] = [
  ...ZERO_GRADIENT_OPS,
  'Tanh',
  'Sigmoid',
  'Exp',
  'Softmax',
  'LogSoftmax',
  'Elu',
  'Pow',
  'Conv2DBackpropFilter',
  'MaxPoolGrad',
  'AvgPoolGrad',
  'Sum',
  'Mean',
  'DemlBatchNorm',
  'DemlBatchNormGrad',
];

let installed = false;

/** Register the completed and corrected gradients. Idempotent; call once before training. */
export function installGradients(): void {
  if (installed) return;
  for (const name of ZERO_GRADIENT_OPS) tf.registerGradient(zeroGradient(name));
  for (const config of [
    tanhGradient,
    sigmoidGradient,
    expGradient,
    softmaxGradient,
    logSoftmaxGradient,
    eluGradient,
    powGradient,
    conv2dBackpropFilterGradient,
    maxPoolGradGradient,
    avgPoolGradGradient,
    sumGradient,
    meanGradient,
    batchNormGradient,
    batchNormGradGradient,
    batchNormGradGradGradient,
    batchNormPoolGradient,
    batchNormPoolGradGradient,
  ]) {
    tf.registerGradient(config);
  }
  installed = true;
}
