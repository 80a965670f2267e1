/**
 * Losses and metrics written from primitive ops so they are twice differentiable.
 * tf.losses.softmaxCrossEntropy and tf.logSoftmax are customGrad ops whose own gradients are
 * not differentiable again (docs/TFJS-NOTES.md), so second-order MAML cannot use them.
 */
import { tf } from './tf';
import type { Scalar, Tensor, Tensor1D, Tensor2D } from './tf';

/** log Σ exp(x) over the last axis, shifted by the max for stability (the shift's gradient cancels). */
export function logSumExp(logits: Tensor2D): Tensor1D {
  const shift = tf.max(logits, 1, true);
  const summed = tf.sum(tf.exp(tf.sub(logits, shift)), 1);
  return tf.add(tf.log(summed), tf.reshape(shift, [-1])) as Tensor1D;
}

/** Mean softmax cross-entropy of logits [N, C] against one-hot labels [N, C]. */
export function softmaxCrossEntropy(logits: Tensor2D, oneHotLabels: Tensor2D): Scalar {
  const picked = tf.sum(tf.mul(logits, oneHotLabels), 1);
  return tf.mean(tf.sub(logSumExp(logits), picked));
}

/** Fraction of rows whose arg-max equals the label (int32 [N]). Not differentiable; metrics only. */
export function accuracy(logits: Tensor2D, labels: Tensor): Scalar {
  return tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));
}
