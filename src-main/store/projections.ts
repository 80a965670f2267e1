/**
 * Concept projections asked for in the workbench: queued → running → completed | failed |
 * cancelled, the result kept in the same row. Each transition is one conditional UPDATE, as for
 * evaluation requests, so the service and the projecting process never both move one.
 */
import type {
  ProjectionRecord,
  ProjectionRequest,
  ProjectionResult,
  ProjectionStatus,
} from '../contract/projection';
import { RequestLifecycle } from './requestLifecycle';
import type { SqliteDatabase } from './sqlite';

interface ProjectionRow {
  id: number;
  run_id: number;
  request: string;
  status: ProjectionStatus;
  error: string | null;
  result: string | null;
  pid: number | null;
  heartbeat: number | null;
  cancel_requested: number;
  queued_at: number;
  started_at: number | null;
  ended_at: number | null;
}

function toRecord(r: ProjectionRow): ProjectionRecord {
  return {
    id: r.id,
    runId: r.run_id,
    request: JSON.parse(r.request) as ProjectionRequest,
    status: r.status,
    error: r.error,
    result: r.result == null ? null : (JSON.parse(r.result) as ProjectionResult),
    pid: r.pid,
    heartbeat: r.heartbeat,
    queuedAt: r.queued_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
  };
}

export class ProjectionRepository {
  private readonly lifecycle: RequestLifecycle<ProjectionRow>;
  constructor(private readonly db: SqliteDatabase) {
    this.lifecycle = new RequestLifecycle(db, 'projections');
  }

  create(runId: number, request: ProjectionRequest, now = Date.now()): ProjectionRecord {
    const info = this.db
      .prepare(`INSERT INTO projections (run_id, request, status, queued_at) VALUES (?, ?, 'queued', ?)`)
      .run(runId, JSON.stringify(request), now);
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): ProjectionRecord | null {
    const row = this.lifecycle.row(id);
    return row ? toRecord(row) : null;
  }

  /** A run's projections, oldest first. */
  list(runId: number): ProjectionRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM projections WHERE run_id = ? ORDER BY id')
      .all(runId) as ProjectionRow[];
    return rows.map(toRecord);
  }

  nextQueued(): ProjectionRecord | null {
    const row = this.lifecycle.nextQueued();
    return row ? toRecord(row) : null;
  }

  /** queued → running, for the process that launched its projector. False if someone else did. */
  markStarted(id: number, pid: number | null, now = Date.now()): boolean {
    return this.lifecycle.markStarted(id, pid, now);
  }

  setPid(id: number, pid: number | null): void {
    this.lifecycle.setPid(id, pid);
  }

  /** The heartbeat of a running projection. Says whether a cancel was asked for. */
  beat(id: number, now = Date.now()): { cancelRequested: boolean } {
    this.db.prepare(`UPDATE projections SET heartbeat = ? WHERE id = ? AND status = 'running'`).run(now, id);
    return this.lifecycle.cancelRequested(id);
  }

  /** running → a final status (only from running, so a late writer cannot undo a sweep). */
  finish(
    id: number,
    status: Exclude<ProjectionStatus, 'queued' | 'running'>,
    error: string | null,
    result: ProjectionResult | null = null,
    now = Date.now(),
  ): boolean {
    return (
      this.db
        .prepare(
          `UPDATE projections SET status = ?, error = ?, result = ?, ended_at = ?, pid = NULL
           WHERE id = ? AND status = 'running'`,
        )
        .run(status, error, result == null ? null : JSON.stringify(result), now, id).changes > 0
    );
  }

  /** running → queued: the workbench closed while it ran; the next one runs it again. */
  requeue(id: number, now = Date.now()): boolean {
    return (
      this.db
        .prepare(
          `UPDATE projections SET status = 'queued', queued_at = ?, pid = NULL WHERE id = ? AND status = 'running'`,
        )
        .run(now, id).changes > 0
    );
  }

  /** A queued projection is cancelled at once; a running one is flagged for its process to stop. */
  requestCancel(id: number, now = Date.now()): ProjectionStatus | null {
    return this.lifecycle.requestCancel(id, now);
  }

  running(): Array<{ id: number; pid: number | null; heartbeat: number | null }> {
    return this.lifecycle.running();
  }
}
