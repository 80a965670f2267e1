import type { Episode } from '../episodes';
import { tf } from '../tf';
import type { Tensor1D, Tensor2D, Tensor4D } from '../tf';

/** An episode as tensors. Create inside a tidy: the tensors belong to the caller's scope. */
export interface TaskTensors {
  ways: number;
  supportImages: Tensor4D;
  supportLabels: Tensor1D;
  supportOneHot: Tensor2D;
  queryImages: Tensor4D;
  queryLabels: Tensor1D;
  queryOneHot: Tensor2D;
  /** Siamese networks: image pairs (indexes into [support; query]) and whether each is same-class. */
  pairs?: { first: Tensor1D; second: Tensor1D; same: Tensor1D };
  /** MANN: the sequences (see episodes.ts SequenceBatch). */
  sequence?: {
    batch: number;
    steps: number;
    /** [batch × steps, h, w, c], sequence-major. */
    images: Tensor4D;
    /** [batch, steps] int32. */
    labels: Tensor2D;
    /** [batch, steps] int32: presentations of the step's class before it. */
    instance: Tensor2D;
  };
}

export function taskTensors(episode: Episode, imageShape: [number, number, number]): TaskTensors {
  const [h, w, c] = imageShape;
  const { ways, pairs, sequence } = episode;
  const supportLabels = tf.tensor1d(episode.supportLabels, 'int32');
  const queryLabels = tf.tensor1d(episode.queryLabels, 'int32');
  return {
    ways,
    supportImages: tf.tensor4d(episode.supportImages, [episode.supportLabels.length, h, w, c]),
    supportLabels,
    supportOneHot: tf.cast(tf.oneHot(supportLabels, ways), 'float32') as Tensor2D,
    queryImages: tf.tensor4d(episode.queryImages, [episode.queryLabels.length, h, w, c]),
    queryLabels,
    queryOneHot: tf.cast(tf.oneHot(queryLabels, ways), 'float32') as Tensor2D,
    ...(pairs
      ? {
          pairs: {
            first: tf.tensor1d(pairs.first, 'int32'),
            second: tf.tensor1d(pairs.second, 'int32'),
            same: tf.tensor1d(pairs.same),
          },
        }
      : {}),
    ...(sequence
      ? {
          sequence: {
            batch: sequence.batch,
            steps: sequence.steps,
            images: tf.tensor4d(sequence.images, [sequence.batch * sequence.steps, h, w, c]),
            labels: tf.tensor2d(sequence.labels, [sequence.batch, sequence.steps], 'int32'),
            instance: tf.tensor2d(sequence.instance, [sequence.batch, sequence.steps], 'int32'),
          },
        }
      : {}),
  };
}
