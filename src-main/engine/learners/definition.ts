/**
 * What a learner's module in engine/learners/ exports: the engine's side of one catalogue entry
 * (contract/learners.ts). Everything that builds or samples for a learner reads it through the
 * registry (registry.ts) instead of branching on the learner's name; what sizes it (its memory
 * terms) is in the catalogue, for the processes that never load TensorFlow.js.
 */
import type { ExperimentConfig, LearnerName } from '../../contract/config';
import type { ClassIndexedDataset } from '../dataset';
import type { EpisodeShape, EpisodeStream } from '../episodes';
import { conv4Embedding } from '../nn/conv4';
import type { Network } from '../nn/network';
import type { ImageShape } from '../nn/shapes';
import type { Rng } from '../random';
import { tf } from '../tf';
import type { Tensor2D } from '../tf';
import type { Learner } from './learner';

/** A network that ends in a feature vector of known size (an embedding, or G's concepts). */
export type Embedding = Network & { outputSize: number };

export interface BuildContext {
  config: ExperimentConfig;
  image: ImageShape;
  /** DEML's concept generator G in the concept space; null on the pixels. */
  generator: Embedding | null;
  /** G trains with the meta-learner (joint); false when it is frozen after pretraining. */
  trainGenerator: boolean;
}

export interface BuiltLearner {
  learner: Learner;
  /** Its networks after G, each as one phrase, for the run's one-line description. */
  describe: Array<string | null | undefined>;
}

/** What a task of this learner is, over some classes (the default: N-way K-shot episodes). */
export type TaskStreamFactory = (
  dataset: ClassIndexedDataset,
  classIds: readonly number[],
  shape: TaskShape,
  rng: Rng,
  o: { pairs?: boolean },
) => EpisodeStream;

/** What decides a learner's tasks: its kind, the N-way K-shot shape, and its own settings. */
export type TaskShape = EpisodeShape & Partial<Pick<ExperimentConfig, 'learner' | 'mann' | 'siamese'>>;

export interface LearnerDefinition {
  name: LearnerName;
  /** Builds its learner over G (concept space) or its own embedding (pixels). */
  build(ctx: BuildContext): BuiltLearner;
  /** Its tasks, where they are not plain N-way K-shot episodes (a MANN's sequences, Siamese pairs). */
  tasks?: TaskStreamFactory;
  /**
   * How the outer loop moves its parameters: Adam (the default), or plain steps of a rate of its
   * own (Reptile's θ ← θ + ε(θ̃ − θ)) for the parameters it names.
   */
  plainStep?: (config: ExperimentConfig) => { rate: number; applies: (name: string) => boolean };
}

/**
 * The features metric and model-based learners work on: G's concepts in the concept space; on
 * the pixels conv4 without its head, or the image itself (a MANN, as Santoro et al. did).
 */
export function embeddingOf(ctx: BuildContext, onPixels: 'conv4' | 'image'): Embedding {
  if (ctx.generator) return ctx.generator;
  return onPixels === 'conv4' ? conv4Embedding(ctx.config.model, ctx.image) : imageAsFeatures(ctx.image);
}

/** Whether the embedding learns: always on the pixels, with G only when G trains jointly. */
export function embeddingTrains(ctx: BuildContext): boolean {
  return ctx.generator == null || ctx.trainGenerator;
}

/** The image itself as a feature vector: no parameters. */
function imageAsFeatures(image: ImageShape): Embedding {
  const outputSize = image.height * image.width * image.channels;
  return {
    specs: [],
    forward: (_params, input) => tf.reshape(input, [input.shape[0]!, outputSize]) as Tensor2D,
    outputSize,
    description: `pixels ${image.height}×${image.width}×${image.channels}`,
  };
}
