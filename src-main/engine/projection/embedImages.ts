/**
 * A run's embedding at one checkpoint, applied to chosen images: G's concept vectors in the
 * concept space; on the pixels conv4 without its head (the embedding of metric learners, and the
 * body under MAML's, Meta-SGD's, ANIL's and Reptile's linear head: the same parameter names), or
 * the image itself where the learner works on it (a MANN). The catalogue says which.
 */
import type { ExperimentConfig } from '../../contract/config';
import { learnerInfo } from '../../contract/learners';
import type { ClassIndexedDataset } from '../dataset';
import { type Embedding, embeddingOf } from '../learners/definition';
import type { Params } from '../nn/params';
import { resnet } from '../nn/resnet';
import type { ImageShape } from '../nn/shapes';
import { tf } from '../tf';

export interface EmbeddedImages {
  /** n rows of `dimensions` values. */
  vectors: Float32Array;
  dimensions: number;
  /** What was embedded, in words. */
  embedding: string;
}

/** The network whose output the projector maps, built as training built it. */
export function embeddingNetwork(
  config: ExperimentConfig,
  image: ImageShape,
): { network: Embedding; what: string } {
  const generator = config.space === 'concept' ? resnet(config.concept.generator, image, 'G.') : null;
  const onPixels = learnerInfo(config.learner).memory.onPixels === 'mann' ? 'image' : 'conv4';
  const network = embeddingOf({ config, image, generator, trainGenerator: false }, onPixels);
  const what = generator
    ? `G's ${network.outputSize}-d concepts`
    : onPixels === 'conv4'
      ? `conv4's ${network.outputSize}-d features`
      : `pixels (${network.outputSize}-d)`;
  return { network, what };
}

/**
 * Embed dataset images by index. Batch norm uses each batch's statistics, as in training, so a
 * batch must look like the batches the network saw: `batchSize` images (an episode's worth) taken
 * round-robin across classes rather than one class at a time, which would normalise the very
 * differences between classes away. Rows come back in the order of `imageIndex`.
 */
export function embedImages(o: {
  config: ExperimentConfig;
  image: ImageShape;
  meta: Params;
  dataset: ClassIndexedDataset;
  imageIndex: readonly number[];
  classOf: readonly number[];
  batchSize: number;
  signal?: AbortSignal;
}): EmbeddedImages {
  const { network, what } = embeddingNetwork(o.config, o.image);
  const params: Params = {};
  for (const spec of network.specs) {
    const t = o.meta[spec.name];
    if (!t) throw new Error(`the checkpoint has no parameter '${spec.name}' for the embedding`);
    params[spec.name] = t;
  }
  const d = network.outputSize;
  const n = o.imageIndex.length;
  const vectors = new Float32Array(n * d);
  const order = interleaveByClass(o.classOf);
  const size = o.dataset.height * o.dataset.width * o.dataset.channels;
  for (let start = 0; start < n; start += o.batchSize) {
    o.signal?.throwIfAborted();
    const batch = order.slice(start, start + o.batchSize);
    const pixels = new Float32Array(batch.length * size);
    batch.forEach((row, b) => {
      const src = o.imageIndex[row]! * size;
      for (let p = 0; p < size; p++) pixels[b * size + p] = o.dataset.pixels[src + p]! / 255;
    });
    const out = tf.tidy(() =>
      network.forward(
        params,
        tf.tensor4d(pixels, [batch.length, o.dataset.height, o.dataset.width, o.dataset.channels]),
      ),
    );
    try {
      const values = out.dataSync();
      batch.forEach((row, b) => vectors.set(values.subarray(b * d, (b + 1) * d), row * d));
    } finally {
      out.dispose();
    }
  }
  return { vectors, dimensions: d, embedding: what };
}

/** Row positions ordered class 0's first, class 1's first, …, class 0's second, … */
export function interleaveByClass(classOf: readonly number[]): number[] {
  const seen = new Map<number, number>();
  const rank = classOf.map((c) => {
    const r = seen.get(c) ?? 0;
    seen.set(c, r + 1);
    return r;
  });
  return classOf.map((_, i) => i).sort((a, b) => rank[a]! - rank[b]! || classOf[a]! - classOf[b]! || a - b);
}
