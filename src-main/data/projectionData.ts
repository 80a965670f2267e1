/**
 * What a projection runs on, resolved and checked before any work: the run's checkpoint (its
 * newest, or the one at the step asked for), its own dataset, the images the checkpoint was
 * trained on, and the images to embed. The service calls it when a projection is asked for (a bad
 * request is refused at once, naming the field) and the projecting process before it embeds.
 * Free of TensorFlow.js.
 */
import { ConfigError, type ExperimentConfig } from '../contract/config';
import { type ProjectionRequest, type ProjectionSettings, projectionSettings } from '../contract/projection';
import type { ClassIndexedDataset } from '../engine/dataset';
import type { ImageShape } from '../engine/nn/shapes';
import { type ProjectionImages, projectionImages } from '../engine/projection/projectionImages';
import { readChosenCheckpoint } from './evaluationData';
import { type DatasetLoader, loadAs } from './trainingData';

export interface PreparedProjection {
  settings: ProjectionSettings;
  checkpoint: { file: string; step: number };
  dataset: ClassIndexedDataset;
  trainedOn: ImageShape;
  chosen: ProjectionImages;
}

export async function prepareProjection(o: {
  trained: ExperimentConfig;
  request: ProjectionRequest;
  checkpoints: ReadonlyArray<{ step: number; file: string }>;
  owner: string;
  load: DatasetLoader;
}): Promise<PreparedProjection> {
  const settings = projectionSettings(o.request);
  const { checkpoint, header } = await readChosenCheckpoint(o, settings.step);
  const dataset = await loadAs(o.load, o.trained.data, 'data');
  let chosen: ProjectionImages;
  try {
    chosen = projectionImages(dataset, o.trained, settings);
  } catch (e) {
    throw new ConfigError([{ field: 'split', message: (e as Error).message }]);
  }
  return { settings, checkpoint, dataset, trainedOn: header.image ?? dataset, chosen };
}
