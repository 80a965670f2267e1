/**
 * One projection, start to end: the checkpoint's embedding of the chosen images, the k-NN figure
 * on the full-dimension vectors, and the 2-D map (PCA or UMAP) of the same vectors.
 */
import type { ProjectionResult, ProjectionSettings } from '../../contract/projection';
import { disposeCheckpoint, loadCheckpoint } from '../checkpoint';
import type { ClassIndexedDataset } from '../dataset';
import type { ImageShape } from '../nn/shapes';
import { embedImages } from './embedImages';
import { chanceAccuracy, knnAccuracy } from './knn';
import { layout2d } from './layout2d';
import type { ProjectionImages } from './projectionImages';

export async function projectCheckpoint(o: {
  checkpointFile: string;
  trainedOn: ImageShape;
  dataset: ClassIndexedDataset;
  chosen: ProjectionImages;
  settings: ProjectionSettings;
  signal?: AbortSignal;
}): Promise<ProjectionResult> {
  const started = performance.now();
  const checkpoint = await loadCheckpoint(o.checkpointFile);
  let embedded;
  try {
    const config = checkpoint.header.config;
    embedded = embedImages({
      config,
      image: o.trainedOn,
      meta: checkpoint.meta,
      dataset: o.dataset,
      imageIndex: o.chosen.imageIndex,
      classOf: o.chosen.classOf,
      // An episode's worth of images per batch, as the network saw them in training.
      batchSize: Math.max(2, config.ways * (config.shots + config.queries)),
      signal: o.signal,
    });
  } finally {
    disposeCheckpoint(checkpoint);
  }
  o.signal?.throwIfAborted();
  const { vectors, dimensions } = embedded;
  const rows = Array.from({ length: o.chosen.imageIndex.length }, (_, i) =>
    Array.from(vectors.subarray(i * dimensions, (i + 1) * dimensions)),
  );
  const map = layout2d(rows, o.settings.method, o.settings.seed);
  return {
    step: checkpoint.iteration,
    method: o.settings.method,
    embedding: embedded.embedding,
    dimensions,
    dataset: o.dataset.name,
    split: o.settings.split,
    classNames: o.chosen.classIds.map((c) => o.dataset.classNames[c] ?? `class ${c}`),
    points: map.points,
    classOf: o.chosen.classOf,
    imageIndex: o.chosen.imageIndex,
    knn: { k: o.settings.k, accuracy: knnAccuracy(vectors, dimensions, o.chosen.classOf, o.settings.k) },
    chance: chanceAccuracy(o.chosen.classOf),
    explainedVariance: map.explainedVariance,
    durationMs: performance.now() - started,
  };
}
