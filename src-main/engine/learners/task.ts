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
}

export function taskTensors(episode: Episode, imageShape: [number, number, number]): TaskTensors {
  const [h, w, c] = imageShape;
  const { ways } = episode;
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
  };
}
