/**
 * The tasks of a learner over some classes: its own (a MANN's sequences, a Siamese network's
 * image pairs, engine/learners/*), or N-way K-shot episodes.
 */
import type { ClassIndexedDataset } from './dataset';
import { EpisodeSampler, type EpisodeStream } from './episodes';
import type { TaskShape } from './learners/definition';
import { learnerDefinition } from './learners/registry';
import type { Rng } from './random';

export type { TaskShape } from './learners/definition';

/** `pairs`: the training stream, where a learner that trains on pairs gets them. */
export function taskStream(
  dataset: ClassIndexedDataset,
  classIds: readonly number[],
  shape: TaskShape,
  rng: Rng,
  o: { pairs?: boolean } = {},
): EpisodeStream {
  const own = shape.learner ? learnerDefinition(shape.learner).tasks : undefined;
  return own ? own(dataset, classIds, shape, rng, o) : new EpisodeSampler(dataset, classIds, shape, rng);
}
