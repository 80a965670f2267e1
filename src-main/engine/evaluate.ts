/**
 * The meta-test protocol: accuracy on the query set after adaptation, over T tasks, reported as
 * mean ± 95% CI with every task's accuracy kept (for paired comparisons and the store).
 */
import type { ClassIndexedDataset } from './dataset';
import { EpisodeSampler, type EpisodeShape } from './episodes';
import type { Learner } from './learners/learner';
import { taskTensors } from './learners/task';
import type { Params } from './nn/params';
import { Rng } from './random';
import { type AccuracySummary, summarizeAccuracies } from './stats';
import { tf } from './tf';
import type { Scalar } from './tf';

export interface EvaluationResult extends AccuracySummary {
  split: string;
  ways: number;
  shots: number;
  queries: number;
  innerSteps: number;
  /** Seed of the episode stream: two learners evaluated with the same seed see the same tasks. */
  episodeSeed: number;
  meanLoss: number;
  accuracies: number[];
}

export interface EvaluateOptions {
  learner: Learner;
  meta: Params;
  dataset: ClassIndexedDataset;
  classIds: readonly number[];
  split: string;
  shape: EpisodeShape;
  tasks: number;
  innerSteps: number;
  episodeSeed: number;
  /** Called after each batch of tasks with (done, total). */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Tasks whose metrics are read back together: one host read per batch, not per task. */
const READ_BATCH = 25;

export async function evaluate(options: EvaluateOptions): Promise<EvaluationResult> {
  const { learner, meta, dataset, shape, tasks, innerSteps, episodeSeed } = options;
  const sampler = new EpisodeSampler(
    dataset,
    options.classIds,
    shape,
    Rng.derive(episodeSeed, `episodes:${options.split}`),
  );
  const imageShape: [number, number, number] = [dataset.height, dataset.width, dataset.channels];
  const accuracies: number[] = [];
  let lossSum = 0;
  for (let done = 0; done < tasks;) {
    options.signal?.throwIfAborted();
    const batch = Math.min(READ_BATCH, tasks - done);
    const metrics = tf.tidy(() => {
      const acc: Scalar[] = [];
      const loss: Scalar[] = [];
      for (let i = 0; i < batch; i++) {
        const out = learner.evaluate(meta, taskTensors(sampler.next(), imageShape), innerSteps);
        acc.push(out.accuracy);
        loss.push(out.loss);
      }
      return { acc: tf.stack(acc), loss: tf.stack(loss) };
    });
    const [a, l] = await Promise.all([metrics.acc.data(), metrics.loss.data()]);
    metrics.acc.dispose();
    metrics.loss.dispose();
    for (let i = 0; i < batch; i++) {
      accuracies.push(a[i]!);
      lossSum += l[i]!;
    }
    done += batch;
    options.onProgress?.(done, tasks);
    // Let a cancellation (signal handler, IPC message) arrive between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return {
    ...summarizeAccuracies(accuracies),
    split: options.split,
    ways: shape.ways,
    shots: shape.shots,
    queries: shape.queries,
    innerSteps,
    episodeSeed,
    meanLoss: lossSum / tasks,
    accuracies,
  };
}
