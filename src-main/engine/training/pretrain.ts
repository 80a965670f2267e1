/**
 * DEML's optional pretraining: G and D learn the external classes for a number of iterations
 * before meta-training starts (a fresh run only), so a frozen G starts from useful concepts.
 */
import { tf } from '../tf';
import { disposeParams } from '../nn/params';
import type { PretrainProgress } from '../trainer';
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
    const [loss, accuracy] = await Promise.all([out.loss.data(), out.accuracy.data()]);
    out.loss.dispose();
    out.accuracy.dispose();
    await yieldToEventLoop();
    await onPretrain?.({ iteration: i, iterations: total, loss: loss[0]!, accuracy: accuracy[0]! });
  }
  return true;
}
