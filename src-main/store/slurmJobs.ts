/** The Slurm jobs of runs sent to a cluster: one row per attempt, with how far its file is ingested. */
import type { SqliteDatabase } from './sqlite';

export interface SlurmJobRecord {
  id: number;
  runId: number;
  attempt: number;
  jobId: string;
  submittedAt: number;
  eventsFile: string;
  ingestedBytes: number;
  /** Slurm's state (PENDING, RUNNING, COMPLETED, TIMEOUT, …) as last seen. */
  state: string;
  reason: string | null;
  node: string | null;
  trainerStatus: string | null;
  trainerError: string | null;
  firstMetricAt: number | null;
  endedAt: number | null;
}

interface Row {
  id: number;
  run_id: number;
  attempt: number;
  job_id: string;
  submitted_at: number;
  events_file: string;
  ingested_bytes: number;
  state: string;
  reason: string | null;
  node: string | null;
  trainer_status: string | null;
  trainer_error: string | null;
  first_metric_at: number | null;
  ended_at: number | null;
}

const fromRow = (r: Row): SlurmJobRecord => ({
  id: r.id,
  runId: r.run_id,
  attempt: r.attempt,
  jobId: r.job_id,
  submittedAt: r.submitted_at,
  eventsFile: r.events_file,
  ingestedBytes: r.ingested_bytes,
  state: r.state,
  reason: r.reason,
  node: r.node,
  trainerStatus: r.trainer_status,
  trainerError: r.trainer_error,
  firstMetricAt: r.first_metric_at,
  endedAt: r.ended_at,
});

export class SlurmJobRepository {
  constructor(private readonly db: SqliteDatabase) {}

  insert(j: { runId: number; attempt: number; jobId: string; eventsFile: string }, now = Date.now()): number {
    return Number(
      this.db
        .prepare(
          'INSERT INTO slurm_jobs (run_id, attempt, job_id, submitted_at, events_file) VALUES (?, ?, ?, ?, ?)',
        )
        .run(j.runId, j.attempt, j.jobId, now, j.eventsFile).lastInsertRowid,
    );
  }

  get(id: number): SlurmJobRecord | null {
    const r = this.db.prepare('SELECT * FROM slurm_jobs WHERE id = ?').get(id) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  /** The newest job of a run (its current attempt's), or null. */
  latest(runId: number): SlurmJobRecord | null {
    const r = this.db
      .prepare('SELECT * FROM slurm_jobs WHERE run_id = ? ORDER BY id DESC LIMIT 1')
      .get(runId) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  list(runId: number): SlurmJobRecord[] {
    return (this.db.prepare('SELECT * FROM slurm_jobs WHERE run_id = ? ORDER BY id').all(runId) as Row[]).map(
      fromRow,
    );
  }

  /** Jobs not yet seen to end: watched by the workbench, also across its restarts. */
  open(): SlurmJobRecord[] {
    return (
      this.db.prepare('SELECT * FROM slurm_jobs WHERE ended_at IS NULL ORDER BY id').all() as Row[]
    ).map(fromRow);
  }

  setState(id: number, s: { state: string; reason: string | null; node: string | null }): void {
    this.db
      .prepare('UPDATE slurm_jobs SET state = ?, reason = ?, node = ? WHERE id = ?')
      .run(s.state, s.reason, s.node, id);
  }

  /** Part of the ingestion transaction: the file is consumed up to `bytes`. */
  setIngested(id: number, bytes: number, firstMetricAt: number | null): void {
    this.db
      .prepare(
        'UPDATE slurm_jobs SET ingested_bytes = ?, first_metric_at = coalesce(first_metric_at, ?) WHERE id = ?',
      )
      .run(bytes, firstMetricAt, id);
  }

  setTrainerFinish(id: number, status: string, error: string | null): void {
    this.db
      .prepare('UPDATE slurm_jobs SET trainer_status = ?, trainer_error = ? WHERE id = ?')
      .run(status, error, id);
  }

  end(id: number, now = Date.now()): void {
    this.db.prepare('UPDATE slurm_jobs SET ended_at = ? WHERE id = ? AND ended_at IS NULL').run(now, id);
  }
}
