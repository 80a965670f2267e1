/**
 * Evaluating a trained checkpoint afterwards, as papers report: on any dataset whose images have
 * the size and channels it was trained on, on any of its class splits, at any N-way K-shot and
 * number of test inner steps, on seeded episodes or on given ones (an episode file), spread over
 * threads as a meta-test is.
 *
 * Another N: metric learners compare embeddings and take any N as they are. A learner whose output
 * layer is sized to N (MAML, first-order MAML, Meta-SGD) gets a new output layer of N units
 * initialised at zero, weights and biases (a zero head: every class starts equal, and the test
 * inner steps learn the head from the support set). Meta-SGD's learned rates for that layer are
 * replaced by the mean magnitude of the trained classes' rates, per input unit: a learned rate's
 * sign belongs to the class column it was learned for (about half of them are negative in a
 * trained head, and their plain mean is near zero: the new head would not move), its size to the
 * input unit. Everything else is the checkpoint's, and at
 * the trained N nothing is re-initialised: the same episodes give the same accuracies as the
 * run's own meta-test.
 */
import { type ExperimentConfig, parseExperimentConfig } from '../contract/config';
import { learnsFromSequences } from '../contract/learners';
import type { LoadedCheckpoint } from './checkpoint';
import type { ClassIndexedDataset } from './dataset';
import { type EpisodeShape, splitClasses } from './episodes';
import { type EpisodeSource, type EvaluationResult, evaluate } from './evaluate';
import { checkEvaluationEpisodes, checkEvaluationImages, checkEvaluationShape } from './evaluationChecks';
import { RATE_PREFIX } from './learners/gradientLearner';
import type { Learner } from './learners/learner';
import { buildModel } from './model';
import { type Params, disposeParams } from './nn/params';
import type { ImageShape } from './nn/shapes';
import { TaskPool } from './parallel/taskPool';
import { tf } from './tf';

export interface CheckpointEvaluationSettings extends EpisodeShape {
  split: 'train' | 'val' | 'test';
  innerSteps: number;
  tasks: number;
  episodeSeed: number;
}

export interface CheckpointEvaluationOptions {
  checkpoint: LoadedCheckpoint;
  /** The images the checkpoint was trained on: its header's, or its run's dataset's. */
  trainedOn: ImageShape;
  dataset: ClassIndexedDataset;
  settings: CheckpointEvaluationSettings;
  /** Given episodes (an episode file) instead of seeded ones; its shape replaces the settings'. */
  episodes?: EpisodeSource & { shape: EpisodeShape };
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface CheckpointEvaluation extends EvaluationResult {
  /** The output layer was re-initialised for another N (see above). */
  newHead: boolean;
}

export async function evaluateCheckpoint(o: CheckpointEvaluationOptions): Promise<CheckpointEvaluation> {
  const { dataset } = o;
  const { config, trained, shape, classIds, externalClasses, learner, meta, newHead } = checkpointModel(o);
  try {
    const pool = await startPool(o.threads ?? 1, config, dataset, externalClasses);
    try {
      const result = await evaluate({
        learner,
        meta,
        dataset,
        classIds,
        split: o.settings.split,
        // The learner decides what a task is (a MANN's are sequences) and the pairs it needs.
        shape: { ...shape, learner: trained.learner, mann: trained.mann, siamese: trained.siamese },
        tasks: o.settings.tasks,
        innerSteps: learner.adaptsAtTestTime ? o.settings.innerSteps : 0,
        episodeSeed: o.settings.episodeSeed,
        episodes: o.episodes,
        onProgress: o.onProgress,
        signal: o.signal,
        pool,
      });
      return { ...result, newHead };
    } finally {
      await pool?.close();
    }
  } finally {
    disposeParams(meta);
  }
}

/**
 * The checkpoint's model at the evaluation's shape, checked against the data: its learner, its
 * parameters (the caller disposes `meta`), and the classes of the split its episodes come from.
 */
export function checkpointModel(
  o: Pick<CheckpointEvaluationOptions, 'checkpoint' | 'trainedOn' | 'dataset' | 'settings' | 'episodes'>,
) {
  const { checkpoint, dataset } = o;
  const trained = checkpoint.header.config;
  const shape: EpisodeShape = o.episodes?.shape ?? o.settings;
  const config = evaluationConfig(trained, shape, o.settings.innerSteps);
  checkEvaluationImages(o.trainedOn, dataset, trained.data);
  // The class split of the run (its fractions and evalSeed): on its own dataset, its meta-test
  // classes stay its meta-test classes.
  const classIds = splitClasses(dataset, trained.split, trained.evalSeed)[o.settings.split];
  checkEvaluationShape(trained, {
    ways: shape.ways,
    innerSteps: o.settings.innerSteps,
    episodeFile: !!o.episodes,
  });
  if (!o.episodes) checkEvaluationEpisodes(shape, dataset, classIds, o.settings.split, trained);
  // The concept space's model includes D, sized to the external classes: evaluation never uses
  // it, but the model (and each task worker's) is built with it.
  const externalClasses = config.space === 'concept' ? (checkpoint.meta['D.bias']?.shape[0] ?? 1) : null;
  const external =
    externalClasses == null ? null : { classNames: new Array<string>(externalClasses).fill('') };
  const { learner } = buildModel(config, dataset, external);
  const { meta, newHead } = checkpointParameters(learner, checkpoint, trained.ways, shape.ways);
  return { config, trained, shape, classIds, externalClasses, learner, meta, newHead };
}

/** The run's config at the evaluation's shape (for the model, and for the task workers to build it). */
function evaluationConfig(
  trained: ExperimentConfig,
  shape: EpisodeShape,
  innerSteps: number,
): ExperimentConfig {
  return parseExperimentConfig({
    ...trained,
    // A MANN keeps its label units (the trained N); a smaller N's tasks use the first of them.
    ways: learnsFromSequences(trained.learner) ? trained.ways : shape.ways,
    shots: Math.max(1, shape.shots),
    queries: Math.max(1, shape.queries),
    testInnerSteps: Math.max(1, innerSteps),
  });
}

/**
 * The checkpoint's parameters for the evaluation's model: the same tensors' values where the
 * shapes agree, and a new zero output layer (Meta-SGD: its rates' mean magnitude over the trained
 * classes) where the model's last axis is the evaluation's N instead of the trained N.
 */
export function checkpointParameters(
  learner: Learner,
  checkpoint: LoadedCheckpoint,
  trainedWays: number,
  ways: number,
): { meta: Params; newHead: boolean } {
  const meta: Params = {};
  let newHead = false;
  try {
    for (const spec of learner.metaSpecs) {
      const saved = checkpoint.meta[spec.name];
      if (!saved) throw new Error(`the checkpoint has no parameter '${spec.name}'`);
      const same = saved.shape.join('×') === spec.shape.join('×');
      const head =
        !same &&
        ways !== trainedWays &&
        saved.shape.length === spec.shape.length &&
        saved.shape.at(-1) === trainedWays &&
        spec.shape.at(-1) === ways &&
        saved.shape.slice(0, -1).join('×') === spec.shape.slice(0, -1).join('×');
      if (!same && !head) {
        throw new Error(
          `parameter '${spec.name}' is ${saved.shape.join('×')} in the checkpoint but ${spec.shape.join('×')} here`,
        );
      }
      newHead ||= head;
      meta[spec.name] = same
        ? tf.clone(saved)
        : spec.name.startsWith(RATE_PREFIX)
          ? tf.tidy(() =>
              tf.tile(tf.mean(tf.abs(saved), -1, true), [...spec.shape.slice(0, -1).map(() => 1), ways]),
            )
          : tf.zeros(spec.shape);
    }
  } catch (e) {
    disposeParams(meta);
    throw e;
  }
  return { meta, newHead };
}

async function startPool(
  threads: number,
  config: ExperimentConfig,
  image: ImageShape,
  externalClasses: number | null,
): Promise<TaskPool | null> {
  const backend = tf.getBackend();
  if (threads <= 1 || (backend !== 'wasm' && backend !== 'cpu')) return null;
  return TaskPool.start({ threads, backend, config, image, externalClasses });
}
