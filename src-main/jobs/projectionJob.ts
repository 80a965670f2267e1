/**
 * One projection request, carried out inside a trainer process: the run's checkpoint embeds the
 * chosen images, the map and the k-NN figure are stored in the request's row. A heartbeat keeps
 * it from being swept; a cancel flag set by any process stops it between batches.
 */
import type { ProjectionResult } from '../contract/projection';
import { prepareProjection } from '../data/projectionData';
import { datasetLoader } from '../data/trainingData';
import { selectBackend } from '../engine';
import { projectCheckpoint } from '../engine/projection/projectCheckpoint';
import { describeWriteError } from '../store/database';
import type { Store } from '../store/store';
import type { EvaluationJobStatus } from './evaluationJob';
import type { FromTrainer, StopReason } from './messages';

export interface ProjectionJobOptions {
  store: Store;
  dataDir: string;
  projectionId: number;
  signal: AbortSignal;
  /** Why the signal was aborted: a cancel ends the request; a closing workbench queues it again. */
  stopReason: () => StopReason;
  requestStop: () => void;
  send: (message: FromTrainer) => void;
  heartbeatMs?: number;
}

export async function runProjectionJob(o: ProjectionJobOptions): Promise<EvaluationJobStatus> {
  const { store, projectionId, send } = o;
  const record = store.projections.get(projectionId);
  if (!record) throw new Error(`projection ${projectionId} does not exist`);
  if (record.status !== 'running')
    throw new Error(`projection ${projectionId} is ${record.status}, not running`);

  const finish = (
    status: EvaluationJobStatus,
    error: string | null,
    result: ProjectionResult | null = null,
  ) => {
    try {
      store.projections.finish(projectionId, status, error, result);
    } catch (e) {
      error = `${error ?? status}; the final status could not be saved: ${describeWriteError(e)}`;
    }
    send({ type: 'projection-finished', projectionId, status, error });
    return status;
  };
  const heartbeat = setInterval(() => {
    try {
      if (store.projections.beat(projectionId).cancelRequested) o.requestStop();
    } catch {
      // A store that cannot be written fails the projection when it is stored.
    }
  }, o.heartbeatMs ?? 1000);

  try {
    const run = store.runs.get(record.runId);
    if (!run) throw new Error(`run ${record.runId} no longer exists`);
    const prepared = await prepareProjection({
      trained: run.config,
      request: record.request,
      checkpoints: store.checkpoints.list(run.id),
      owner: `run ${run.id}`,
      load: datasetLoader(o.dataDir),
    });
    await selectBackend(run.config.backend);
    const result = await projectCheckpoint({
      checkpointFile: prepared.checkpoint.file,
      trainedOn: prepared.trainedOn,
      dataset: prepared.dataset,
      chosen: prepared.chosen,
      settings: prepared.settings,
      signal: o.signal,
    });
    return finish('completed', null, result);
  } catch (e) {
    if (o.signal.aborted && o.stopReason() === 'interrupted') {
      // The workbench is closing: nothing of it was stored, so the next start runs it again.
      store.projections.requeue(projectionId);
      send({ type: 'projection-finished', projectionId, status: 'cancelled', error: 'queued again' });
      return 'cancelled';
    }
    if (o.signal.aborted) return finish('cancelled', null);
    return finish('failed', (e as Error).message ?? String(e));
  } finally {
    clearInterval(heartbeat);
  }
}
