/**
 * What an evaluation runs on, resolved and checked before any work: the checkpoint it evaluates
 * (the run's newest, or the one at the step asked for), the dataset, the images the checkpoint
 * was trained on, and the episode file when one is given. The service calls it when an evaluation
 * is asked for (so a bad request is refused at once, naming the field) and the evaluating process
 * and `deml eval` before they evaluate: all three give the same errors. Free of TensorFlow.js.
 */
import { ConfigError, type ExperimentConfig } from '../contract/config';
import { type EvaluationRequest, type EvaluationSettings, evaluationSettings } from '../contract/evaluation';
import { type CheckpointHeader, readCheckpointHeader } from '../engine/checkpointHeader';
import type { ClassIndexedDataset } from '../engine/dataset';
import { splitClasses } from '../engine/episodes';
import {
  checkEvaluationEpisodes,
  checkEvaluationImages,
  checkEvaluationShape,
} from '../engine/evaluationChecks';
import type { ImageShape } from '../engine/nn/shapes';
import { manifestOfReference } from './resolve';
import { type EpisodeFile, decodeOptionsOf, readEpisodeFile } from './episodeFile';
import type { DecodeOptions } from './import/decode';
import { type DatasetLoader, loadAs } from './trainingData';

export interface PreparedEvaluation {
  settings: EvaluationSettings;
  /** The checkpoint evaluated: its header file and the iteration it was saved at. */
  checkpoint: { file: string; step: number };
  dataset: ClassIndexedDataset;
  trainedOn: ImageShape;
  episodeFile: EpisodeFile | null;
  /** How image files named by the episode file are decoded (an imported dataset's options). */
  decode: DecodeOptions | null;
}

export interface EvaluationInputs {
  /** The config the checkpoint was trained with (the run's). */
  trained: ExperimentConfig;
  request: EvaluationRequest;
  /** Checkpoints to choose from (header files and their iterations), oldest first. */
  checkpoints: ReadonlyArray<{ step: number; file: string }>;
  /** Says which checkpoints these are, in errors ("run 3", "runs/a"). */
  owner: string;
  load: DatasetLoader;
  dataDir: string;
}

export async function prepareEvaluation(o: EvaluationInputs): Promise<PreparedEvaluation> {
  const settings = evaluationSettings(o.request, o.trained);
  const { checkpoint, header } = await readChosenCheckpoint(o, settings.step);
  const dataset = await loadAs(o.load, settings.data, 'data');
  // Checkpoints written before the image shape was kept: the run's own dataset says it.
  const trainedOn = header.image ?? (await loadAs(o.load, o.trained.data, 'data'));
  checkEvaluationImages(trainedOn, dataset, o.trained.data);
  let episodeFile: EpisodeFile | null = null;
  let decode: DecodeOptions | null = null;
  const shape = { innerSteps: settings.innerSteps, episodeFile: settings.episodeFile != null };
  checkEvaluationShape(o.trained, { ...shape, ways: settings.episodeFile ? o.trained.ways : settings.ways });
  if (settings.episodeFile) {
    decode = decodeOptionsOf(await manifestOfReference(o.dataDir, settings.data));
    episodeFile = await readEpisodeFile(settings.episodeFile, dataset, decode, {
      allowPathsOutside: settings.episodePathsOutside,
    });
    checkEvaluationShape(o.trained, { ...shape, ways: episodeFile.shape.ways });
  } else {
    const classIds = splitClasses(dataset, o.trained.split, o.trained.evalSeed)[settings.split];
    checkEvaluationEpisodes(settings, dataset, classIds, settings.split, o.trained);
  }
  return { settings, checkpoint, dataset, trainedOn, episodeFile, decode };
}

/** The checkpoint at `step`, or the newest; refused by field ("step") when there is none. */
export function chooseCheckpoint(
  o: Pick<EvaluationInputs, 'checkpoints' | 'owner'>,
  step: number | null,
): { file: string; step: number } {
  const kept = o.checkpoints;
  if (kept.length === 0) {
    throw new ConfigError([{ field: 'step', message: `${o.owner} has no checkpoint to evaluate yet` }]);
  }
  if (step == null) return kept.at(-1)!;
  const found = kept.find((c) => c.step === step);
  if (!found) {
    throw new ConfigError([
      {
        field: 'step',
        message: `${o.owner} has no checkpoint at iteration ${step} (it keeps ${kept.map((c) => c.step).join(', ')})`,
      },
    ]);
  }
  return found;
}

/** The chosen checkpoint (chooseCheckpoint) and its header; a damaged header is refused by field ("step"). */
export async function readChosenCheckpoint(
  o: Pick<EvaluationInputs, 'checkpoints' | 'owner'>,
  step: number | null,
): Promise<{ checkpoint: { file: string; step: number }; header: CheckpointHeader }> {
  const checkpoint = chooseCheckpoint(o, step);
  try {
    return { checkpoint, header: await readCheckpointHeader(checkpoint.file) };
  } catch (e) {
    throw new ConfigError([{ field: 'step', message: (e as Error).message }]);
  }
}

/** An imported dataset's manifest; null for the in-memory synthetic ones. */
