/**
 * The mean meta-gradient of a meta-batch of tasks: one tidy per task keeps memory flat. With a
 * pool, workers compute the later tasks while this thread computes the first ones, then
 * `meanwhile`; the sum still runs task by task in order, so the result is the same bit for bit on
 * 1 or N threads.
 */
import type { Episode } from '../episodes';
import { type LossAndGradients, disposeLossAndGradients } from '../learners/differentiate';
import type { Learner } from '../learners/learner';
import { taskTensors } from '../learners/task';
import type { Params } from '../nn/params';
import type { TaskGradient } from '../parallel/messages';
import type { TaskPool } from '../parallel/taskPool';
import { tf } from '../tf';
import type { Scalar } from '../tf';
import { yieldToEventLoop } from './yield';

/** A stop asked for while a meta-batch was being computed: the iteration is abandoned whole. */
export class IterationAborted extends Error {
  constructor() {
    super('the iteration was stopped before it completed');
    this.name = 'IterationAborted';
  }
}

export async function metaBatchGradient(
  learner: Learner,
  meta: Params,
  episodes: readonly Episode[],
  imageShape: [number, number, number],
  pool: TaskPool | null,
  meanwhile: () => void = () => undefined,
  /**
   * Checked between this thread's tasks (after letting signals in): a Ctrl-C or SIGTERM during a
   * long meta-batch stops after the current task, not after the whole iteration.
   */
  signal?: AbortSignal,
): Promise<LossAndGradients> {
  const { local, remote } = pool
    ? pool.gradients(meta, episodes)
    : { local: episodes, remote: Promise.resolve([] as TaskGradient[]) };
  let sum: LossAndGradients | null = null;
  let others: TaskGradient[];
  try {
    for (const [k, episode] of local.entries()) {
      if (k > 0 && signal) {
        await yieldToEventLoop();
        if (signal.aborted) throw new IterationAborted();
      }
      sum = accumulate(sum, () => learner.metaGradient(meta, taskTensors(episode, imageShape)));
    }
    meanwhile();
    others = await remote;
  } catch (e) {
    disposeLossAndGradients(sum);
    // Where this thread failed first, nothing awaits the workers' answer any more: a failure
    // there must not surface later as an unhandled rejection.
    remote.catch(() => undefined);
    throw e;
  }
  for (const r of others) {
    sum = accumulate(sum, () => ({
      grads: Object.fromEntries(
        Object.entries(r.grads).map(([name, v]) => [name, tf.tensor(v, meta[name]!.shape)]),
      ),
      loss: tf.scalar(r.loss),
      accuracy: tf.scalar(r.accuracy),
    }));
  }
  const total = sum!;
  const n = episodes.length;
  const mean = tf.tidy(() => {
    const grads: Params = {};
    for (const name of Object.keys(total.grads)) grads[name] = tf.div(total.grads[name]!, n);
    return {
      grads,
      loss: tf.div(total.loss, n) as Scalar,
      accuracy: tf.div(total.accuracy, n) as Scalar,
    };
  });
  disposeLossAndGradients(total);
  return mean;
}

/** sum + g (sum may be null), in its own tidy; the old sum is disposed. */
function accumulate(sum: LossAndGradients | null, g: () => LossAndGradients): LossAndGradients {
  const next = tf.tidy((): LossAndGradients => {
    const t = g();
    if (sum == null) return t;
    const grads: Params = {};
    for (const name of Object.keys(t.grads)) grads[name] = tf.add(sum.grads[name]!, t.grads[name]!);
    return { grads, loss: tf.add(sum.loss, t.loss), accuracy: tf.add(sum.accuracy, t.accuracy) };
  });
  disposeLossAndGradients(sum);
  return next;
}
