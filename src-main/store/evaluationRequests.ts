/**
 * Evaluations asked for in the workbench, queued for the job queue: queued → running →
 * completed | failed | cancelled. As with runs, each transition is one conditional UPDATE, so the
 * service and the evaluating process can never both move the same request.
 */
import type { EvaluationRequest } from '../contract/evaluation';
import type { EvaluationRequestRecord, EvaluationRequestStatus } from '../contract/records';
import { RequestLifecycle } from './requestLifecycle';
import type { SqliteDatabase } from './sqlite';

interface RequestRow {
  id: number;
  run_id: number;
  request: string;
  status: EvaluationRequestStatus;
  error: string | null;
  done: number;
  total: number;
  evaluation_id: number | null;
  pid: number | null;
  heartbeat: number | null;
  cancel_requested: number;
  queued_at: number;
  started_at: number | null;
  ended_at: number | null;
}

function toRecord(r: RequestRow): EvaluationRequestRecord {
  return {
    id: r.id,
    runId: r.run_id,
    request: JSON.parse(r.request) as EvaluationRequest,
    status: r.status,
    error: r.error,
    done: r.done,
    total: r.total,
    evaluationId: r.evaluation_id,
    pid: r.pid,
    heartbeat: r.heartbeat,
    queuedAt: r.queued_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
  };
}

export class EvaluationRequestRepository {
  private readonly lifecycle: RequestLifecycle<RequestRow>;
  constructor(private readonly db: SqliteDatabase) {
    this.lifecycle = new RequestLifecycle(db, 'evaluation_requests');
  }

  create(runId: number, request: EvaluationRequest, now = Date.now()): EvaluationRequestRecord {
    const info = this.db
      .prepare(
        `INSERT INTO evaluation_requests (run_id, request, status, queued_at) VALUES (?, ?, 'queued', ?)`,
      )
      .run(runId, JSON.stringify(request), now);
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): EvaluationRequestRecord | null {
    const row = this.lifecycle.row(id);
    return row ? toRecord(row) : null;
  }

  /** A run's requests that did not complete (their results are evaluations of their own). */
  pending(runId: number): EvaluationRequestRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM evaluation_requests WHERE run_id = ? AND status != 'completed' ORDER BY id`)
      .all(runId) as RequestRow[];
    return rows.map(toRecord);
  }

  nextQueued(): EvaluationRequestRecord | null {
    const row = this.lifecycle.nextQueued();
    return row ? toRecord(row) : null;
  }

  /** queued → running, for the process that launched its evaluator. False if someone else did. */
  markStarted(id: number, pid: number | null, now = Date.now()): boolean {
    return this.lifecycle.markStarted(id, pid, now);
  }

  setPid(id: number, pid: number | null): void {
    this.lifecycle.setPid(id, pid);
  }

  /** Tasks done so far; doubles as the heartbeat. Says whether a cancel was asked for. */
  progress(id: number, done: number, total: number, now = Date.now()): { cancelRequested: boolean } {
    this.db
      .prepare(
        `UPDATE evaluation_requests SET done = ?, total = ?, heartbeat = ? WHERE id = ? AND status = 'running'`,
      )
      .run(done, total, now, id);
    return this.lifecycle.cancelRequested(id);
  }

  /** running → a final status (only from running, so a late writer cannot undo a sweep). */
  finish(
    id: number,
    status: Exclude<EvaluationRequestStatus, 'queued' | 'running'>,
    error: string | null,
    evaluationId: number | null = null,
    now = Date.now(),
  ): boolean {
    return (
      this.db
        .prepare(
          `UPDATE evaluation_requests SET status = ?, error = ?, evaluation_id = ?, ended_at = ?, pid = NULL
           WHERE id = ? AND status = 'running'`,
        )
        .run(status, error, evaluationId, now, id).changes > 0
    );
  }

  /** running → queued: the workbench closed while it ran; the next one runs it again. */
  requeue(id: number, now = Date.now()): boolean {
    return (
      this.db
        .prepare(
          `UPDATE evaluation_requests SET status = 'queued', queued_at = ?, pid = NULL, done = 0
           WHERE id = ? AND status = 'running'`,
        )
        .run(now, id).changes > 0
    );
  }

  /** A queued request is cancelled at once; a running one is flagged for its process to stop. */
  requestCancel(id: number, now = Date.now()): EvaluationRequestStatus | null {
    return this.lifecycle.requestCancel(id, now);
  }

  running(): Array<{ id: number; pid: number | null; heartbeat: number | null }> {
    return this.lifecycle.running();
  }
}
