/** Functional layers: parameters in, tensors out. Each is twice differentiable (autodiff/). */
import { batchNorm as fusedBatchNorm } from '../autodiff/batchNorm';
import { batchNormReluPool as fusedBatchNormReluPool } from '../autodiff/batchNormPool';
import { tf } from '../tf';
import type { Tensor, Tensor2D, Tensor4D } from '../tf';

export type Activation = 'relu' | 'tanh' | 'softplus';

export function activate(x: Tensor4D, kind: Activation): Tensor4D;
export function activate(x: Tensor2D, kind: Activation): Tensor2D;
export function activate(x: Tensor, kind: Activation): Tensor {
  switch (kind) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'softplus':
      return tf.softplus(x);
  }
}

/** 3×3 (or any) convolution, 'same' padding, no bias (batch norm's β plays that role). */
export function conv2d(x: Tensor4D, weight: Tensor4D, stride: 1 | 2 = 1): Tensor4D {
  return tf.conv2d(x, weight, stride, 'same');
}

export { BATCH_NORM_EPSILON } from '../autodiff/batchNorm';

/**
 * Batch norm with the current batch's statistics, at train and test time alike (MAML's
 * transductive setting: no running averages; docs/SCIENCE.md).
 */
export function batchNorm(x: Tensor4D, gamma: Tensor, beta: Tensor): Tensor4D {
  return fusedBatchNorm(x, gamma, beta, false);
}

/** relu(batchNorm(x, γ, β)), one kernel each way where the backend has it (autodiff/batchNorm). */
export function batchNormRelu(x: Tensor4D, gamma: Tensor, beta: Tensor): Tensor4D {
  return fusedBatchNorm(x, gamma, beta, true);
}

/** maxPool2x2(batchNormRelu(x, γ, β)), one kernel each way where the backend has it (autodiff/batchNormPool). */
export function batchNormReluPool(x: Tensor4D, gamma: Tensor, beta: Tensor): Tensor4D {
  return fusedBatchNormReluPool(x, gamma, beta);
}

/** 2×2 max-pool, stride 2, 'valid' (MAML's max_pool_pad): 28 → 14 → 7 → 3 → 1. */
export function maxPool2x2(x: Tensor4D): Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid');
}

export function linear(x: Tensor2D, weight: Tensor2D, bias: Tensor): Tensor2D {
  return tf.add(tf.matMul(x, weight), bias) as Tensor2D;
}

export function flatten(x: Tensor4D): Tensor2D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(x, [n, h * w * c]);
}
