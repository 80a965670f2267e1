/** A small 1-shot task of generated glyph-like images, as tensors, for gradient checks. */
import { EpisodeSampler, Rng, taskTensors, type TaskTensors } from '../../src-main/engine';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';

/** `ways`-way 1-shot, 2 queries, on `size`×`size` images of 6 classes, seeded. */
export function smallTask(seed: number, size: number, ways: number): TaskTensors {
  const dataset = generateSyntheticDataset({ classes: 6, imagesPerClass: 4, size, seed });
  const sampler = new EpisodeSampler(
    dataset,
    [0, 1, 2, 3, 4, 5],
    { ways, shots: 1, queries: 2 },
    new Rng(seed),
  );
  return taskTensors(sampler.next(), [size, size, 1]);
}
