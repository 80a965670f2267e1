/**
 * What a config trains: the learner (MAML, Meta-SGD, Prototypical or Matching Networks), in the
 * pixel space (conv4) or the concept space (ResNet concept generator G, with the concept
 * discriminator D on the external dataset), and the learning rate of each parameter group.
 */
import type { ExperimentConfig } from '../contract/config';
import { LEARNER_INFO, isMetricLearner } from '../contract/learners';
import type { ClassIndexedDataset } from './dataset';
import { type Discriminator, createDiscriminator } from './deml';
import { createGradientLearner } from './learners/gradientLearner';
import type { Learner } from './learners/learner';
import { createMannLearner } from './learners/mannLearner';
import { createMetricLearner } from './learners/metricLearner';
import { createSiameseLearner } from './learners/siameseLearner';
import { conv4, conv4Embedding } from './nn/conv4';
import { mlp } from './nn/mlp';
import type { Network } from './nn/network';
import { type ParamSpec, type Params, countParameters, initParams } from './nn/params';
import { resnet } from './nn/resnet';
import type { ImageShape } from './nn/shapes';
import type { Rng } from './random';
import { tf } from './tf';
import type { Tensor2D } from './tf';

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
  /** What the learner puts on top of the embedding, when anything, for the description. */
  let head: string | null = null;
  // Metric and model-based learners work on an embedding: conv4's features, or G's concepts.
  // A MANN on pixels reads the image itself, flattened, as Santoro et al. did.
  const family = LEARNER_INFO[config.learner].family;
  const embedding =
    family === 'optimisation' || generator
      ? null
      : family === 'model'
        ? pixelsOf(dataset)
        : conv4Embedding(config.model, dataset);
  const encoderOf = () => (generator ?? embedding)!;
  if (config.learner === 'siamese') {
    learner = createSiameseLearner({
      name: config.learner,
      encoder: encoderOf(),
      aggregate: config.siamese.aggregate,
      trainEncoder: !concept || trainGenerator,
    });
  } else if (config.learner === 'mann') {
    learner = createMannLearner({
      name: config.learner,
      encoder: encoderOf(),
      trainEncoder: !concept || trainGenerator,
      ways: config.ways,
      ...config.mann,
    });
    const m = config.mann;
    head = `MANN: LSTM ${m.controllerSize}, memory ${m.memorySlots} × ${m.slotSize}, ${m.readHeads} read heads`;
  } else if (isMetricLearner(config.learner)) {
    learner = createMetricLearner({
      name: config.learner,
      kind: config.learner as 'protonet' | 'matchingnet',
      encoder: encoderOf(),
    });
  } else {
    const adapted = generator
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
    head = adapted.description;
  }
  if (concept && !external)
    throw new Error('the concept space needs the external dataset (concept.external)');
  const discriminator =
    concept && generator && external ? createDiscriminator(generator, external.classNames.length) : null;
  const specs = [...learner.metaSpecs, ...(discriminator?.specs ?? [])];
  const generatorLr = c.generatorLr ?? config.metaLr;
  const parts = [
    generator?.description,
    embedding?.description,
    head,
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

/** The image itself as a feature vector: no parameters. */
function pixelsOf(image: ImageShape): Network & { outputSize: number } {
  const outputSize = image.height * image.width * image.channels;
  return {
    specs: [],
    forward: (_params, input) => tf.reshape(input, [input.shape[0]!, outputSize]) as Tensor2D,
    outputSize,
    description: `pixels ${image.height}×${image.width}×${image.channels}`,
  };
}
