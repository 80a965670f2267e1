/**
 * One task's meta-gradient and, in the concept space, the discrimination term's, by name, for
 * tests that compare two ways of computing them (backends, backward passes) on the same inputs.
 */
import type { ExperimentConfigInput } from '../../src-main/contract/config';
import type { ClassIndexedDataset } from '../../src-main/engine/dataset';
import { ExternalSampler, type Model, Rng, buildModel, parseExperimentConfig } from '../../src-main/engine';
import { taskTensors } from '../../src-main/engine/learners/task';
import type { Params } from '../../src-main/engine/nn/params';
import { taskStream } from '../../src-main/engine/taskStream';
import type { Tensor } from '../../src-main/engine/tf';

export interface GradientTask {
  model: Model;
  /** The model's initial parameters (seed 5), for the caller to dispose. */
  meta: Params;
  /** Computes the named gradients; call inside a tidy. */
  gradients(): Record<string, Tensor>;
}

/**
 * The model of `input` on `dataset` (and `external` in the concept space), its parameters and one
 * seeded episode of the first 12 classes. `gradients()` names the query loss "loss", each
 * parameter's meta-gradient "task:<name>", and the discrimination term on an external batch of
 * `externalBatch` its loss "D-term:loss" and gradients "D-term:<name>".
 */
export function gradientTask(
  input: ExperimentConfigInput,
  dataset: ClassIndexedDataset,
  external: ClassIndexedDataset,
  externalBatch: number,
): GradientTask {
  const config = parseExperimentConfig(input);
  const model = buildModel(config, dataset, config.space === 'concept' ? external : null);
  const meta = model.init(new Rng(5));
  const episode = taskStream(dataset, [...Array(12).keys()], config, new Rng(7), { pairs: true }).next();
  const shape: [number, number, number] = [dataset.height, dataset.width, dataset.channels];
  return {
    model,
    meta,
    gradients() {
      const g = model.learner.metaGradient(meta, taskTensors(episode, shape));
      const d = model.discriminator?.gradient(
        meta,
        new ExternalSampler(external, new Rng(9)).next(externalBatch),
        1,
        true,
      );
      const named: Record<string, Tensor> = { loss: g.loss };
      for (const [n, t] of Object.entries(g.grads)) named[`task:${n}`] = t;
      for (const [n, t] of Object.entries(d?.grads ?? {})) named[`D-term:${n}`] = t;
      if (d) named['D-term:loss'] = d.loss;
      return named;
    },
  };
}
