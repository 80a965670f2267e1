/**
 * What a config trains: the learner (MAML, Meta-SGD, Prototypical or Matching Networks), in the
 * pixel space (conv4) or the concept space (ResNet concept generator G, with the concept
 * discriminator D on the external dataset), and the learning rate of each parameter group.
 */
import type { ExperimentConfig } from '../contract/config';
import { isMetricLearner } from '../contract/learners';
import type { ClassIndexedDataset } from './dataset';
import { type Discriminator, createDiscriminator } from './deml';
import { createGradientLearner } from './learners/gradientLearner';
import type { Learner } from './learners/learner';
import { createMetricLearner } from './learners/metricLearner';
import { conv4, conv4Embedding } from './nn/conv4';
import { mlp } from './nn/mlp';
import type { Network } from './nn/network';
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
  /** Adam's learning rate for a parameter: G and D may have their own. */
  learningRate(name: string): number;
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
  let learner: Learner;
  let adapted: Network | null = null;
  let embedding: Network | null = null;
  if (isMetricLearner(config.learner)) {
    embedding = generator ? null : conv4Embedding(config.model, dataset);
    const encoder = generator ?? embedding!;
    learner = createMetricLearner({
      name: config.learner,
      kind: config.learner as 'protonet' | 'matchingnet',
      encoder,
    });
  } else {
    adapted = generator
      ? mlp(generator.outputSize, c.head, config.ways, 'relu', 'M.')
      : conv4(config.model, dataset, config.ways);
    learner = createGradientLearner({
      name: config.learner,
      network: adapted,
      innerSteps: config.innerSteps,
      innerLr: config.innerLr,
      firstOrder: config.learner === 'fomaml',
      learnRates: config.learner === 'metasgd',
      rateInit: config.learner === 'metasgd' ? config.metaSgdInit : undefined,
      encoder: generator ?? undefined,
      trainEncoder: trainGenerator,
    });
  }
  if (concept && !external)
    throw new Error('the concept space needs the external dataset (concept.external)');
  const discriminator =
    concept && generator && external ? createDiscriminator(generator, external.classNames.length) : null;
  const specs = [...learner.metaSpecs, ...(discriminator?.specs ?? [])];
  const generatorLr = c.generatorLr ?? config.metaLr;
  const parts = [
    generator?.description,
    adapted?.description ?? embedding?.description,
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
    learningRate: (name) => (name.startsWith('G.') || name.startsWith('D.') ? generatorLr : config.metaLr),
  };
}
