/**
 * The episode viewer's job, inside a trainer process (TensorFlow.js never loads in the service):
 * episode `index` of a run's meta-test, from its checkpoint (the newest, or the one at `step`),
 * checked as an evaluation request is, with the checkpoint's predictions for each query. Nothing
 * is stored: the answer goes to the service as one message.
 */
import type { EpisodeView } from '../contract/episodeView';
import { prepareEvaluation } from '../data/evaluationData';
import { datasetLoader } from '../data/trainingData';
import { disposeCheckpoint, inspectEpisode, loadCheckpoint, selectBackend } from '../engine';
import type { Store } from '../store/store';

export interface EpisodeJobOptions {
  store: Store;
  dataDir: string;
  runId: number;
  index: number;
  step?: number;
}

export async function runEpisodeJob(o: EpisodeJobOptions): Promise<EpisodeView> {
  const run = o.store.runs.get(o.runId);
  if (!run) throw new Error(`run ${o.runId} does not exist`);
  const prepared = await prepareEvaluation({
    trained: run.config,
    request: o.step == null ? {} : { step: o.step },
    checkpoints: o.store.checkpoints.list(run.id),
    owner: `run ${run.id}`,
    load: datasetLoader(o.dataDir),
    dataDir: o.dataDir,
  });
  await selectBackend(run.config.backend);
  const checkpoint = await loadCheckpoint(prepared.checkpoint.file);
  try {
    const episode = await inspectEpisode({
      checkpoint,
      trainedOn: prepared.trainedOn,
      dataset: prepared.dataset,
      settings: prepared.settings,
      index: o.index,
    });
    return { runId: run.id, step: prepared.checkpoint.step, ...episode };
  } finally {
    disposeCheckpoint(checkpoint);
  }
}
