/**
 * Which images a projection embeds: `classes` classes of the run's split (its own class split, so
 * meta-test means the classes it never trained on), drawn by seed, and each class's first
 * `perClass` images. Free of TensorFlow.js: the service checks a request with it before queueing.
 */
import type { SplitConfig } from '../../contract/config';
import type { ProjectionSettings } from '../../contract/projection';
import { type ClassIndexedDataset, imagesInClass } from '../dataset';
import { splitClasses } from '../episodes';
import { Rng } from '../random';

export interface ProjectionImages {
  /** The chosen classes, ascending. */
  classIds: number[];
  /** Each image's index in the dataset, and the position of its class in classIds. */
  imageIndex: number[];
  classOf: number[];
}

export function projectionImages(
  dataset: ClassIndexedDataset,
  trained: { split: SplitConfig; evalSeed: number },
  settings: Pick<ProjectionSettings, 'split' | 'classes' | 'perClass' | 'seed'>,
): ProjectionImages {
  const pool = splitClasses(dataset, trained.split, trained.evalSeed)[settings.split];
  if (pool.length < 2) {
    throw new Error(
      `the ${settings.split} split of ${dataset.name} has ${pool.length} class(es); a projection needs at least 2`,
    );
  }
  const classIds = Rng.derive(settings.seed, 'projection-classes')
    .shuffle([...pool])
    .slice(0, settings.classes)
    .sort((a, b) => a - b);
  const imageIndex: number[] = [];
  const classOf: number[] = [];
  classIds.forEach((c, position) => {
    const count = Math.min(settings.perClass, imagesInClass(dataset, c));
    for (let i = 0; i < count; i++) {
      imageIndex.push(dataset.classStart[c]! + i);
      classOf.push(position);
    }
  });
  return { classIds, imageIndex, classOf };
}
