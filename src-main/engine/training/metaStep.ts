/**
 * One meta-training iteration: a meta-batch of episodes, the gradient of the joint objective
 * (deml.ts: the meta loss, plus λ·ℓ_D in the concept space), one Adam update, and one host read
 * of the iteration's metrics after the update is queued (asynchronous: no pipeline stall on a GPU).
 */
import { jointGradient } from '../deml';
import { disposeParams } from '../nn/params';
import { tf } from '../tf';
import { yieldToEventLoop } from './yield';
import { IterationAborted, metaBatchGradient } from './metaBatch';
import { type TrainingSession, updateParameters } from './session';

export interface MetaStepResult {
  /** Mean query loss and accuracy after adaptation over the meta-batch. */
  loss: number;
  accuracy: number;
  /** Concept space: ℓ_D (unweighted) and D's accuracy on the external batch. */
  discrimination: { loss: number; accuracy: number } | null;
  /** Wall time of the iteration. */
  ms: number;
}

export async function metaStep(s: TrainingSession, signal?: AbortSignal): Promise<MetaStepResult> {
  const t0 = performance.now();
  const { learner } = s.model;
  const { meta } = s.state;
  // A stop mid-iteration abandons it: the episode streams go back to where the iteration began,
  // so the checkpoint taken then resumes exactly as an uninterrupted run would continue.
  const before = { episodes: s.rngs.episodes.getState(), external: s.rngs.external.getState() };
  const episodes = Array.from({ length: s.config.metaBatch }, () => s.sampler.next());
  let step: Awaited<ReturnType<typeof jointGradient>>;
  try {
    step = await jointGradient(
      meta,
      (meanwhile) => metaBatchGradient(learner, meta, episodes, s.imageShape, s.pool, meanwhile, signal),
      s.discrimination,
      s.config.concept.lambda,
    );
  } catch (e) {
    if (e instanceof IterationAborted) {
      s.rngs.episodes.setState(before.episodes);
      s.rngs.external.setState(before.external);
    }
    throw e;
  }
  const d = step.discrimination;
  const scalars = [step.loss, step.accuracy, ...(d ? [d.loss, d.accuracy] : [])];
  try {
    updateParameters(s, step.grads);
  } catch (e) {
    tf.dispose(scalars);
    throw e;
  } finally {
    disposeParams(step.grads);
  }
  // One host read of the iteration's metrics, stacked: on a GPU each read is a buffer mapped and
  // waited for, so four reads would cost four round trips where one does.
  const metrics = tf.stack(scalars);
  tf.dispose(scalars);
  let values: Float32Array;
  try {
    values = (await metrics.data()) as Float32Array;
  } finally {
    metrics.dispose();
  }
  // On CPU backends data() resolves as a microtask; give signals, IPC and pipes their turn.
  await yieldToEventLoop();
  const [loss, accuracy, dLoss, dAccuracy] = values;
  s.state = { ...s.state, iteration: s.state.iteration + 1 };
  return {
    loss: loss!,
    accuracy: accuracy!,
    discrimination: d ? { loss: dLoss!, accuracy: dAccuracy! } : null,
    ms: performance.now() - t0,
  };
}
