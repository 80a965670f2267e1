/**
 * The life cycle that requests run in a process of their own share (evaluation requests, concept
 * projections): queued → running → a final status, each move one conditional UPDATE so that the
 * service and the working process never both move one; a cancel that ends a queued request at
 * once and flags a running one; a pid and heartbeat for the sweep of lost processes. What differs
 * (what a request carries, what it leaves on finishing) stays with each repository.
 */
import type { SqliteDatabase } from './sqlite';

type RequestStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export class RequestLifecycle<Row> {
  constructor(
    private readonly db: SqliteDatabase,
    /** The table: a constant of the repository, never user input. */
    private readonly table: string,
  ) {}

  row(id: number): Row | undefined {
    return this.db.prepare(`SELECT * FROM ${this.table} WHERE id = ?`).get(id) as Row | undefined;
  }

  /** The oldest queued request's row, if any. */
  nextQueued(): Row | undefined {
    return this.db
      .prepare(`SELECT * FROM ${this.table} WHERE status = 'queued' ORDER BY queued_at, id LIMIT 1`)
      .get() as Row | undefined;
  }

  /** queued → running, for the process that launched it. False if someone else did. */
  markStarted(id: number, pid: number | null, now = Date.now()): boolean {
    return (
      this.db
        .prepare(
          `UPDATE ${this.table} SET status = 'running', pid = ?, heartbeat = ?, started_at = ?
           WHERE id = ? AND status = 'queued'`,
        )
        .run(pid, now, now, id).changes > 0
    );
  }

  setPid(id: number, pid: number | null): void {
    this.db.prepare(`UPDATE ${this.table} SET pid = ? WHERE id = ?`).run(pid, id);
  }

  /** Whether a cancel was asked for (read with each heartbeat). */
  cancelRequested(id: number): { cancelRequested: boolean } {
    const row = this.db.prepare(`SELECT cancel_requested FROM ${this.table} WHERE id = ?`).get(id) as
      { cancel_requested: number } | undefined;
    return { cancelRequested: (row?.cancel_requested ?? 0) !== 0 };
  }

  /** A queued request is cancelled at once; a running one is flagged for its process to stop. */
  requestCancel(id: number, now = Date.now()): RequestStatus | null {
    return this.db
      .transaction((): RequestStatus | null => {
        const r = this.db.prepare(`SELECT status FROM ${this.table} WHERE id = ?`).get(id) as
          { status: RequestStatus } | undefined;
        if (!r) return null;
        if (r.status === 'queued') {
          this.db
            .prepare(
              `UPDATE ${this.table} SET status = 'cancelled', ended_at = ? WHERE id = ? AND status = 'queued'`,
            )
            .run(now, id);
          return 'cancelled';
        }
        if (r.status === 'running')
          this.db.prepare(`UPDATE ${this.table} SET cancel_requested = 1 WHERE id = ?`).run(id);
        return r.status;
      })
      .immediate(); // it reads, then writes: take the write lock first
  }

  running(): Array<{ id: number; pid: number | null; heartbeat: number | null }> {
    return this.db
      .prepare(`SELECT id, pid, heartbeat FROM ${this.table} WHERE status = 'running'`)
      .all() as Array<{ id: number; pid: number | null; heartbeat: number | null }>;
  }
}
