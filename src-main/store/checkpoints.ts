/** Checkpoint files of a run, as the trainer wrote (and pruned) them. */
import type { Checkpoint } from '../contract/records';
import type { SqliteDatabase } from './sqlite';

export class CheckpointRepository {
  constructor(private readonly db: SqliteDatabase) {}

  /** Record a new checkpoint and forget those whose files the trainer pruned. */
  record(runId: number, step: number, file: string, kept: readonly string[], now = Date.now()): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO checkpoints (run_id, step, file, created_at) VALUES (?, ?, ?, ?)')
        .run(runId, step, file, now);
      const all = this.list(runId);
      const drop = this.db.prepare('DELETE FROM checkpoints WHERE run_id = ? AND step = ?');
      for (const c of all) if (!kept.includes(c.file)) drop.run(runId, c.step);
    })();
  }

  /** Forget the checkpoints after `step`: a resume from an earlier one superseded them. */
  truncateAfter(runId: number, step: number): void {
    this.db.prepare('DELETE FROM checkpoints WHERE run_id = ? AND step > ?').run(runId, step);
  }

  list(runId: number): Checkpoint[] {
    return (
      this.db
        .prepare('SELECT run_id, step, file, created_at FROM checkpoints WHERE run_id = ? ORDER BY step')
        .all(runId) as Array<{ run_id: number; step: number; file: string; created_at: number }>
    ).map((r) => ({ runId: r.run_id, step: r.step, file: r.file, createdAt: r.created_at }));
  }
}
