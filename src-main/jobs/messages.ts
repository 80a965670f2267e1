/**
 * What a trainer process (training a run, or evaluating one) and the service say to each other
 * (structured-clone data only).
 */
import type { EpisodeView } from '../contract/episodeView';
import type { EvaluationRequestStatus, MetricRecord, RunProgress, RunStatus } from '../contract/records';

export type ToTrainer =
  /** The user cancelled: checkpoint, then stop as "cancelled". */
  | { type: 'cancel' }
  /** The app or server is closing: checkpoint, then stop as "interrupted" (resumable). */
  | { type: 'shutdown' };

export type FromTrainer =
  /** A stop was received: the trainer is responsive and checkpoints now (no kill deadline). */
  | { type: 'stopping' }
  | { type: 'backend'; runId: number; backend: string }
  | { type: 'progress'; progress: RunProgress }
  /** Points just committed to the store (live charts follow the store, never run ahead of it). */
  | { type: 'metrics'; runId: number; points: MetricRecord[] }
  | { type: 'checkpoint'; runId: number; step: number }
  | { type: 'evaluation'; runId: number; split: 'val' | 'test'; step: number; mean: number; ci95: number }
  | {
      type: 'finished';
      runId: number;
      status: Extract<RunStatus, 'completed' | 'failed' | 'cancelled' | 'interrupted'>;
      error: string | null;
    }
  /** An evaluation's tasks done (already stored in its request's row). */
  | { type: 'evaluation-progress'; requestId: number; done: number; total: number }
  | {
      type: 'evaluation-finished';
      requestId: number;
      status: Exclude<EvaluationRequestStatus, 'queued' | 'running'>;
      error: string | null;
    }
  /** An episode job's answer: the episode with its predictions, or why there is none. */
  | { type: 'episode'; runId: number; episode: EpisodeView | null; error: string | null }
  /** A projection ended (its result, when completed, is already stored in its row). */
  | {
      type: 'projection-finished';
      projectionId: number;
      status: Exclude<EvaluationRequestStatus, 'queued' | 'running'>;
      error: string | null;
    };

/** How a trainer was asked to stop, which decides its final status. */
export type StopReason = 'cancelled' | 'interrupted';
