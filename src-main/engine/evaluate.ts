/**
 * The meta-test protocol: accuracy on the query set after adaptation, over T tasks, reported as
 * mean ± 95% CI with every task's accuracy kept (for paired comparisons and the store). Tasks are
 * seeded episodes of a class split, or given ones (an episode file), materialised a batch at a time.
 */
import { learnsFromSequences } from '../contract/learners';
import type { ClassIndexedDataset } from './dataset';
import type { Episode } from './episodes';
import { type TaskShape, taskStream } from './taskStream';
import type { Learner } from './learners/learner';
import { taskTensors } from './learners/task';
import type { Params } from './nn/params';
import type { TaskPool } from './parallel/taskPool';
import { Rng } from './random';
import { type AccuracySummary, summarizeAccuracies } from './stats';
import { tf } from './tf';
import type { Scalar, Tensor } from './tf';

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
  durationMs: number;
  /** Sequence learners (MANN): presentations of each class per sequence (shots and queries are 0). */
  instances?: number;
  /** Sequence learners: accuracy at each presentation of a class (1st, 2nd, …), mean ± 95% CI over tasks. */
  byInstance?: AccuracySummary[];
}

/** Where an evaluation's episodes come from when they are not drawn from a split (an episode file). */
export interface EpisodeSource {
  readonly count: number;
  /** Episodes start … start + n − 1, made only when asked for (an episode file decodes lazily). */
  take(start: number, n: number): Promise<Episode[]>;
}

export interface EvaluateOptions {
  learner: Learner;
  meta: Params;
  dataset: ClassIndexedDataset;
  classIds: readonly number[];
  split: string;
  /** The tasks' shape; with the learner (and its settings) when they are not N-way K-shot episodes. */
  shape: TaskShape;
  tasks: number;
  innerSteps: number;
  episodeSeed: number;
  /** Called after each batch of tasks with (done, total). */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Workers that score part of each batch of tasks (the results do not depend on it). */
  pool?: TaskPool | null;
  /** Given episodes instead of seeded ones of `classIds` (then `tasks` is their count). */
  episodes?: EpisodeSource;
}

/** Tasks whose metrics are read back together: one host read per batch, not per task. */
const READ_BATCH = 25;

export async function evaluate(options: EvaluateOptions): Promise<EvaluationResult> {
  const started = performance.now();
  const { learner, meta, dataset, shape, innerSteps, episodeSeed } = options;
  const source =
    options.episodes ?? seededEpisodes(dataset, options.classIds, shape, episodeSeed, options.split);
  const tasks = options.episodes ? options.episodes.count : options.tasks;
  const imageShape: [number, number, number] = [dataset.height, dataset.width, dataset.channels];
  const accuracies: number[] = [];
  let lossSum = 0;
  /** Sequence learners: per presentation, every task's accuracy. */
  let perInstance: number[][] | null = null;
  for (let done = 0; done < tasks;) {
    options.signal?.throwIfAborted();
    const batch = Math.min(READ_BATCH, tasks - done);
    const episodes = await source.take(done, batch);
    const { local, remote } = options.pool
      ? options.pool.scores(meta, episodes, innerSteps)
      : { local: episodes, remote: Promise.resolve([]) };
    // One tidy per task: a batch-wide tidy kept every task's activations alive until the batch
    // ended (hundreds of MB of wasm heap for 13 concept-space tasks).
    const acc: Scalar[] = [];
    const loss: Scalar[] = [];
    const instances: Tensor[] = [];
    let metrics: { acc: Tensor; loss: Tensor; instances: Tensor | null };
    try {
      for (const episode of local) {
        const out = tf.tidy(() => {
          const o = learner.evaluate(meta, taskTensors(episode, imageShape), innerSteps);
          return {
            accuracy: o.accuracy,
            loss: o.loss,
            ...(o.byInstance ? { byInstance: o.byInstance } : {}),
          };
        });
        acc.push(out.accuracy);
        loss.push(out.loss);
        if (out.byInstance) instances.push(out.byInstance);
      }
      metrics = {
        acc: tf.stack(acc),
        loss: tf.stack(loss),
        instances: instances.length ? tf.stack(instances) : null,
      };
    } finally {
      tf.dispose([...acc, ...loss, ...instances]);
    }
    const [a, l, byInstance, others] = await Promise.all([
      metrics.acc.data(),
      metrics.loss.data(),
      metrics.instances?.array() as Promise<number[][]> | undefined,
      remote,
    ]).finally(() =>
      tf.dispose([metrics.acc, metrics.loss, ...(metrics.instances ? [metrics.instances] : [])]),
    );
    const scores = [
      ...Array.from(a, (accuracy, i) => ({ accuracy, loss: l[i]!, byInstance: byInstance?.[i] })),
      ...others,
    ];
    for (const s of scores) {
      accuracies.push(s.accuracy);
      lossSum += s.loss;
      if (s.byInstance) {
        const rows = (perInstance ??= s.byInstance.map(() => []));
        s.byInstance.forEach((x, k) => rows[k]!.push(x));
      }
    }
    done += batch;
    options.onProgress?.(done, tasks);
    // Let a cancellation (signal handler, IPC message) arrive between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const sequences = shape.learner && learnsFromSequences(shape.learner) && shape.mann;
  return {
    ...summarizeAccuracies(accuracies),
    split: options.split,
    ways: shape.ways,
    ...(sequences
      ? { shots: 0, queries: 0, instances: sequences.instances }
      : { shots: shape.shots, queries: shape.queries }),
    innerSteps,
    episodeSeed,
    meanLoss: lossSum / tasks,
    accuracies,
    durationMs: performance.now() - started,
    ...(perInstance ? { byInstance: perInstance.map((xs) => summarizeAccuracies(xs)) } : {}),
  };
}

/**
 * The split's episodes of a seeded stream: two evaluations with the same seed see the same tasks
 * (and the episode viewer shows them).
 */
export function seededEpisodes(
  dataset: ClassIndexedDataset,
  classIds: readonly number[],
  shape: TaskShape,
  seed: number,
  split: string,
): EpisodeSource {
  const sampler = taskStream(dataset, classIds, shape, Rng.derive(seed, `episodes:${split}`));
  return {
    count: Number.POSITIVE_INFINITY,
    take: async (_start, n) => Array.from({ length: n }, () => sampler.next()),
  };
}
