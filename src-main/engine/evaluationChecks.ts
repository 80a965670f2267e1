/**
 * What an evaluation's data must satisfy, checked before any work (and, free of TensorFlow.js,
 * by the service when the evaluation is asked for): the trained image size and channels, and a
 * split big enough for the episodes. ConfigErrors name the field, as the config checks do.
 */
import { ConfigError, type ConfigIssue, type ExperimentConfig } from '../contract/config';
import { LEARNER_INFO, learnerInfo } from '../contract/learners';
import { type ClassIndexedDataset, imagesInClass } from './dataset';
import type { EpisodeShape } from './episodes';
import type { ImageShape } from './nn/shapes';

const shapeText = (s: ImageShape) => `${s.height}×${s.width}×${s.channels}`;

export function checkEvaluationImages(
  trainedOn: ImageShape,
  dataset: ClassIndexedDataset,
  trainedData: string,
): void {
  if (
    trainedOn.height !== dataset.height ||
    trainedOn.width !== dataset.width ||
    trainedOn.channels !== dataset.channels
  ) {
    throw new ConfigError([
      {
        field: 'data',
        message:
          `the checkpoint was trained on ${shapeText(trainedOn)} images ('${trainedData}'), but dataset ` +
          `'${dataset.name}' has ${shapeText(dataset)} images; evaluate on images of the same size and ` +
          'channels (re-import with --size and --channels)',
      },
    ]);
  }
}

/** Can the split give these episodes (a MANN's: sequences of its trained presentations)? */
export function checkEvaluationEpisodes(
  shape: EpisodeShape,
  dataset: ClassIndexedDataset,
  classIds: readonly number[],
  split: string,
  trained: ExperimentConfig,
): void {
  const issues: ConfigIssue[] = [];
  const where = `the ${split} split of dataset '${dataset.name}'`;
  if (shape.ways > classIds.length) {
    issues.push({
      field: 'ways',
      message: `${shape.ways}-way tasks need ${shape.ways} classes but ${where} has ${classIds.length}`,
    });
  }
  const sequences = LEARNER_INFO[trained.learner].tasks === 'sequences';
  const need = sequences ? trained.mann.instances : shape.shots + shape.queries;
  const fewest = Math.min(...classIds.map((c) => imagesInClass(dataset, c)));
  if (classIds.length > 0 && fewest < need) {
    issues.push({
      field: sequences ? 'mann.instances' : 'shots',
      message: `${sequences ? `${need} presentations need ${need}` : `shots + queries = ${need}`} images per class, but some classes of ${where} have only ${fewest}`,
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/**
 * What a trained model can be evaluated at. A learner whose output layer is sized to N, at
 * another N, starts from a new zero output layer (engine/evaluateCheckpoint.ts): only test inner
 * steps can learn it. A MANN's label input and output are one-hot over the N it was trained
 * with: a smaller N uses the first labels, a larger one has none to use. Its tasks are
 * sequences, not the N-way K-shot episodes of an episode file.
 */
export function checkEvaluationShape(
  trained: ExperimentConfig,
  o: { ways: number; innerSteps: number; episodeFile: boolean },
): void {
  const info = learnerInfo(trained.learner);
  const refuse = (field: string, message: string) => {
    throw new ConfigError([{ field, message }]);
  };
  if (info.tasks === 'sequences' && o.episodeFile) {
    refuse(
      'episodeFile',
      `a ${info.short} learns from labelled sequences; an episode file holds N-way K-shot episodes`,
    );
  }
  if (info.evaluationWays === 'at-most-trained' && o.ways > trained.ways) {
    refuse(
      'ways',
      `a ${info.short}'s label input and output are one-hot over the ${trained.ways} classes it was trained with: ` +
        `evaluate it at ${trained.ways} ways or fewer (or train it with more)`,
    );
  }
  if (o.ways !== trained.ways && info.evaluationWays === 'new-head' && o.innerSteps === 0) {
    refuse(
      'innerSteps',
      `${o.ways}-way evaluation of a ${trained.ways}-way ${trained.learner} model starts from a new (zero) ` +
        'output layer, which only the test inner steps can learn: give at least one',
    );
  }
}
