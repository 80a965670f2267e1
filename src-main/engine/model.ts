/**
 * What a config trains: its learner, built by the learner's module (learners/registry.ts), in the
 * pixel space or the concept space (ResNet concept generator G, with the concept discriminator D on
 * the external dataset), and the outer loop's rate and rule for each parameter group.
 */
import type { ExperimentConfig } from '../contract/config';
import type { ClassIndexedDataset } from './dataset';
import { type Discriminator, createDiscriminator } from './deml';
import type { Learner } from './learners/learner';
import { learnerDefinition } from './learners/registry';
import { type ParamSpec, type Params, countParameters, initParams } from './nn/params';
import { resnet } from './nn/resnet';
import type { ImageShape } from './nn/shapes';
import type { Rng } from './random';

export interface Model {
  learner: Learner;
  /** Present in the concept space. */
  discriminator: Discriminator | null;
  /** True when G is trained with the meta-learner (joint); false when frozen after pretraining. */
  trainGenerator: boolean;
  /** Every meta-parameter: the learner's, then D's. */
  specs: readonly ParamSpec[];
  /** One line for logs and run records. */
  description: string;
  parameters: number;
  init(rng: Rng): Params;
  /** The outer loop's rate for a parameter: G and D may have their own, Reptile's θ its ε. */
  learningRate(name: string): number;
  /** Parameters the outer loop steps plainly by their rate instead of by Adam (Reptile's θ). */
  plainStep(name: string): boolean;
}

/**
 * Only the image shape and the external class count are read, so a task worker can build the
 * same model from those alone.
 */
export function buildModel(
  config: ExperimentConfig,
  dataset: ImageShape,
  external?: Pick<ClassIndexedDataset, 'classNames'> | null,
): Model {
  const concept = config.space === 'concept';
  const c = config.concept;
  const generator = concept ? resnet(c.generator, dataset, 'G.') : null;
  const trainGenerator = concept && c.generatorMode === 'joint';
  const definition = learnerDefinition(config.learner);
  const { learner, describe } = definition.build({ config, image: dataset, generator, trainGenerator });
  if (concept && !external)
    throw new Error('the concept space needs the external dataset (concept.external)');
  const discriminator =
    concept && generator && external ? createDiscriminator(generator, external.classNames.length) : null;
  const specs = [...learner.metaSpecs, ...(discriminator?.specs ?? [])];
  const generatorLr = c.generatorLr ?? config.metaLr;
  const plain = definition.plainStep?.(config);
  const parts = [
    generator?.description,
    ...describe,
    discriminator ? `D ${generator!.outputSize} → ${discriminator.classes} external classes` : null,
  ].filter(Boolean);
  return {
    learner,
    discriminator,
    trainGenerator,
    specs,
    description: `${config.learner} in the ${concept ? 'concept' : 'pixel'} space: ${parts.join('; ')}`,
    parameters: countParameters(specs),
    init: (rng) => initParams(specs, rng),
    learningRate: (name) =>
      plain?.applies(name)
        ? plain.rate
        : name.startsWith('G.') || name.startsWith('D.')
          ? generatorLr
          : config.metaLr,
    plainStep: plain ? plain.applies : () => false,
  };
}
