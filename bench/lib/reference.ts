import {
  type ClassIndexedDataset,
  EpisodeSampler,
  type ExperimentConfig,
  type ExperimentConfigInput,
  Rng,
  buildModel,
  disposeParams,
  splitClasses,
  taskTensors,
} from '../../src-main/engine';
import type { TaskMetaGradient } from '../../src-main/engine/learners/learner';

/**
 * The reference workload of the speed figures (issue 6): conv4 with 64 filters on 28×28×1,
 * 5-way 1-shot with 15 queries per class, batch norm with batch statistics, one inner step,
 * meta-batch 4.
 */
export const REFERENCE: ExperimentConfigInput = {
  ways: 5,
  shots: 1,
  queries: 15,
  metaBatch: 4,
  innerSteps: 1,
  innerLr: 0.4,
  valEvery: 0,
  checkpointEvery: 0,
  model: { filters: 64, blocks: 4 },
};

/**
 * One task's meta-gradient at a time, from freshly initialised parameters, for profiling and
 * FLOP counting. `next()`'s tensors belong to the caller's scope.
 */
export function referenceTasks(
  config: ExperimentConfig,
  dataset: ClassIndexedDataset,
): { next(): TaskMetaGradient; dispose(): void } {
  const model = buildModel(config, dataset, null);
  const meta = model.init(Rng.derive(0, 'init'));
  const classes = splitClasses(dataset, config.split, 0).train;
  const sampler = new EpisodeSampler(dataset, classes, config, Rng.derive(0, 'episodes'));
  const shape: [number, number, number] = [dataset.height, dataset.width, dataset.channels];
  return {
    next: () => model.learner.metaGradient(meta, taskTensors(sampler.next(), shape)),
    dispose: () => disposeParams(meta),
  };
}

/** The median of timings (robust to the odd slow iteration on a shared machine). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * "median (min–max)" of repeated measurements, as the benches' tables print them: each figure to
 * `format` decimals, or through `format`.
 */
export function spread(values: readonly number[], format: number | ((x: number) => string) = 2): string {
  const f = typeof format === 'number' ? (x: number) => x.toFixed(format) : format;
  return `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`;
}
