/**
 * One evaluation request, carried out inside a trainer process: its run's checkpoint evaluated as
 * asked (dataset, split, N-way K-shot, test inner steps, seeded episodes or an episode file), the
 * result stored as an evaluation of its own, the request's status kept current (progress doubles
 * as the heartbeat; a cancel flag set by any process stops it between batches of tasks).
 */
import type { BackendPreference } from '../contract/config';
import { type PreparedEvaluation, prepareEvaluation } from '../data/evaluationData';
import { episodeFileSource } from '../data/episodeFile';
import { datasetLoader } from '../data/trainingData';
import {
  type BackendDescription,
  type CheckpointEvaluation,
  disposeCheckpoint,
  evaluateCheckpoint,
  loadCheckpoint,
  selectBackend,
} from '../engine';
import { describeWriteError } from '../store/database';
import type { Store } from '../store/store';
import { evaluationRecord } from './evaluationRecord';
import type { FromTrainer, StopReason } from './messages';

export interface EvaluationJobOptions {
  store: Store;
  dataDir: string;
  requestId: number;
  /** Aborted to stop between batches of tasks (a cancel, or the workbench closing). */
  signal: AbortSignal;
  /** Why the signal was aborted: a cancel ends the request; a closing workbench queues it again. */
  stopReason: () => StopReason;
  requestStop: () => void;
  send: (message: FromTrainer) => void;
  heartbeatMs?: number;
}

export type EvaluationJobStatus = 'completed' | 'failed' | 'cancelled';

export async function runEvaluationJob(o: EvaluationJobOptions): Promise<EvaluationJobStatus> {
  const { store, requestId, send } = o;
  const request = store.evaluationRequests.get(requestId);
  if (!request) throw new Error(`evaluation ${requestId} does not exist`);
  if (request.status !== 'running')
    throw new Error(`evaluation ${requestId} is ${request.status}, not running`);

  const finish = (status: EvaluationJobStatus, error: string | null, evaluationId: number | null = null) => {
    try {
      store.evaluationRequests.finish(requestId, status, error, evaluationId);
    } catch (e) {
      error = `${error ?? status}; the final status could not be saved: ${describeWriteError(e)}`;
    }
    send({ type: 'evaluation-finished', requestId, status, error });
    return status;
  };

  // Progress doubles as the heartbeat; between batches (and while loading) this timer beats.
  const seen = { done: 0, total: 0 };
  const beat = () => {
    if (store.evaluationRequests.progress(requestId, seen.done, seen.total).cancelRequested) o.requestStop();
  };
  const heartbeat = setInterval(() => {
    try {
      beat();
    } catch {
      // A store that cannot be written fails the evaluation when it is stored.
    }
  }, o.heartbeatMs ?? 1000);

  try {
    const run = store.runs.get(request.runId);
    if (!run) throw new Error(`run ${request.runId} no longer exists`);
    const prepared = await prepareEvaluation({
      trained: run.config,
      request: request.request,
      checkpoints: store.checkpoints.list(run.id),
      owner: `run ${run.id}`,
      load: datasetLoader(o.dataDir),
      dataDir: o.dataDir,
    });
    const result = await evaluatePrepared(prepared, {
      backend: run.config.backend,
      signal: o.signal,
      onProgress: (done, total) => {
        Object.assign(seen, { done, total });
        beat();
        send({ type: 'evaluation-progress', requestId, done, total });
      },
    });
    const evaluationId = store.evaluations.insert(
      evaluationRecord(result, { runId: run.id, ...storedAs(prepared) }),
    );
    return finish('completed', null, evaluationId);
  } catch (e) {
    if (o.signal.aborted && o.stopReason() === 'interrupted') {
      // The workbench is closing: nothing of it was stored, so the next start runs it again.
      store.evaluationRequests.requeue(requestId);
      send({ type: 'evaluation-finished', requestId, status: 'cancelled', error: 'queued again' });
      return 'cancelled';
    }
    if (o.signal.aborted) return finish('cancelled', null);
    return finish('failed', (e as Error).message ?? String(e));
  } finally {
    clearInterval(heartbeat);
  }
}

/**
 * Evaluate a prepared evaluation on the backend the run asked for, on every core the backend
 * computes on (`deml eval` runs it in its own process; the queue through runEvaluationJob).
 */
export async function evaluatePrepared(
  prepared: PreparedEvaluation,
  o: {
    backend: BackendPreference;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
    onBackend?: (backend: BackendDescription) => void;
  },
): Promise<CheckpointEvaluation> {
  const backend = await selectBackend(o.backend);
  o.onBackend?.(backend);
  const checkpoint = await loadCheckpoint(prepared.checkpoint.file);
  try {
    return await evaluateCheckpoint({
      checkpoint,
      trainedOn: prepared.trainedOn,
      dataset: prepared.dataset,
      settings: prepared.settings,
      episodes: prepared.episodeFile
        ? episodeFileSource(prepared.episodeFile, prepared.dataset, prepared.decode)
        : undefined,
      threads: backend.threads,
      signal: o.signal,
      onProgress: o.onProgress,
    });
  } finally {
    disposeCheckpoint(checkpoint);
  }
}

/** Where an evaluation came from, as its row keeps it. */
export function storedAs(prepared: PreparedEvaluation) {
  return {
    origin: 'evaluation' as const,
    step: prepared.checkpoint.step,
    dataset: prepared.settings.data,
    split: prepared.episodeFile ? null : prepared.settings.split,
    episodeFile: prepared.episodeFile,
  };
}
