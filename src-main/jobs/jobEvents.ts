/**
 * What the two executors of jobs, the local queue (queue.ts) and the slurm executor
 * (slurm/executor.ts), tell their owner as runs and evaluations move: the service turns each into
 * an event for its renderers. Both executors speak it, so it lives beside them, not in either.
 */
import type { ProjectionRecord } from '../contract/projection';
import type { EvaluationRequestRecord, MetricRecord, RunProgress, RunSummary } from '../contract/records';

export interface QueueListener {
  onStatus?(run: RunSummary): void;
  onProgress?(progress: RunProgress): void;
  onMetrics?(runId: number, points: MetricRecord[]): void;
  onLog?(runId: number, line: string): void;
  /** An evaluation request moved (queued, running, progress, a final status). */
  onEvaluation?(request: EvaluationRequestRecord): void;
  /** A projection moved (queued, running, a final status with its result). */
  onProjection?(projection: ProjectionRecord): void;
}
