/**
 * DEML's optional pretraining: G and D learn the external classes for a number of iterations
 * before meta-training starts (a fresh run only), so a frozen G starts from useful concepts.
 */
import { tf } from '../tf';
import { disposeParams } from '../nn/params';
import type { PretrainProgress } from './options';
import { yieldToEventLoop } from './yield';
import { type TrainingSession, updateParameters } from './session';

/** Runs the pretraining iterations; false when cancelled part-way. */
export async function pretrain(
  s: TrainingSession,
  onPretrain: ((p: PretrainProgress) => void | Promise<void>) | undefined,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const { discriminator } = s.model;
  const sampler = s.externalSampler;
  const total = s.config.concept.pretrainIterations;
  if (!discriminator || !sampler) return true;
  for (let i = 1; i <= total; i++) {
    if (signal?.aborted) return false;
    const out = tf.tidy(() =>
      discriminator.gradient(s.state.meta, sampler.next(s.config.concept.externalBatch), 1, true),
    );
    try {
      updateParameters(s, out.grads);
    } catch (e) {
      tf.dispose([out.loss, out.accuracy]);
      throw e;
    } finally {
      disposeParams(out.grads);
    }
    // One host read per iteration, as in metaStep.
    const metrics = tf.stack([out.loss, out.accuracy]);
    tf.dispose([out.loss, out.accuracy]);
    let values: Float32Array;
    try {
      values = (await metrics.data()) as Float32Array;
    } finally {
      metrics.dispose();
    }
    await yieldToEventLoop();
    await onPretrain?.({ iteration: i, iterations: total, loss: values[0]!, accuracy: values[1]! });
  }
  return true;
}
