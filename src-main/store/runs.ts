/**
 * Runs and their life cycle: queued → running → completed | failed | cancelled | interrupted,
 * and back to queued on resume. Each transition is one conditional UPDATE, so two processes
 * (the service and a trainer, or a CLI) can never both move the same run.
 */
import type { Provenance } from '../contract/provenance';
import type { RunFilter } from '../contract/api';
import type { ExperimentConfig, LearnerName } from '../contract/config';
import type { ExecutorChoice } from '../contract/executor';
import type { Run, RunStatus, RunSummary } from '../contract/records';
import { cellLabel } from '../contract/results';
import type { SqliteDatabase } from './sqlite';

interface RunRow {
  id: number;
  experiment_id: number;
  learner: string;
  seed: number;
  status: RunStatus;
  backend: string | null;
  class_split: string | null;
  provenance: string | null;
  pid: number | null;
  heartbeat: number | null;
  queued_at: number;
  started_at: number | null;
  ended_at: number | null;
  error: string | null;
  app_version: string;
  config: string;
  iteration: number;
  iterations: number;
  attempt: number;
  cancel_requested: number;
  notes: string;
  tags: string;
  resume_from: number | null;
  executor: string | null;
  trained_ms: number;
  attempt_started_at: number | null;
  sweep_id: number | null;
  sweep_role: 'trial' | 'final' | null;
  sweep_trial: number | null;
  stopped_early: string | null;
  slurm_job_id?: string | null;
  slurm_state?: string | null;
  slurm_reason?: string | null;
  slurm_node?: string | null;
  slurm_submitted_at?: number | null;
}

type SummaryRow = Omit<RunRow, 'config'> & {
  experiment_name: string;
  test_mean: number | null;
  test_ci95: number | null;
};

function toSummaryFields(r: Omit<RunRow, 'config'>): Omit<Run, 'config'> {
  return {
    id: r.id,
    experimentId: r.experiment_id,
    learner: r.learner as LearnerName,
    seed: r.seed,
    status: r.status,
    backend: r.backend,
    classSplit: r.class_split,
    provenance: r.provenance ? (JSON.parse(r.provenance) as Provenance) : null,
    pid: r.pid,
    heartbeat: r.heartbeat,
    queuedAt: r.queued_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    error: r.error,
    appVersion: r.app_version,
    iteration: r.iteration,
    iterations: r.iterations,
    attempt: r.attempt,
    cancelRequested: r.cancel_requested !== 0,
    notes: r.notes,
    tags: JSON.parse(r.tags) as string[],
    resumeFrom: r.resume_from,
    trainedMs: r.trained_ms,
    attemptStartedAt: r.attempt_started_at,
    executor: r.executor ? (JSON.parse(r.executor) as ExecutorChoice) : null,
    sweep:
      r.sweep_id != null && r.sweep_role != null
        ? { id: r.sweep_id, role: r.sweep_role, trial: r.sweep_trial ?? 0 }
        : null,
    stoppedEarly: r.stopped_early ?? null,
    slurm:
      r.slurm_job_id != null
        ? {
            jobId: r.slurm_job_id,
            state: r.slurm_state!,
            reason: r.slurm_reason ?? null,
            node: r.slurm_node ?? null,
            submittedAt: r.slurm_submitted_at!,
          }
        : null,
  };
}

function toRun(r: RunRow): Run {
  return { ...toSummaryFields(r), config: JSON.parse(r.config) as ExperimentConfig };
}

const SUMMARY_COLUMNS = `r.id, r.experiment_id, r.learner, r.seed, r.status, r.backend, r.class_split, r.provenance, r.pid, r.heartbeat,
  r.queued_at, r.started_at, r.ended_at, r.error, r.app_version, r.iteration, r.iterations, r.attempt,
  r.cancel_requested, r.notes, r.tags, r.resume_from, r.executor, r.trained_ms, r.attempt_started_at,
  r.sweep_id, r.sweep_role, r.sweep_trial, r.stopped_early,
  e.name AS experiment_name,
  j.job_id AS slurm_job_id, j.state AS slurm_state, j.reason AS slurm_reason, j.node AS slurm_node,
  j.submitted_at AS slurm_submitted_at,
  (SELECT v.mean FROM evaluations v WHERE v.run_id = r.id AND v.split = 'test' AND v.origin = 'training'
    ORDER BY v.step DESC, v.id DESC LIMIT 1) AS test_mean,
  (SELECT v.ci95 FROM evaluations v WHERE v.run_id = r.id AND v.split = 'test' AND v.origin = 'training'
    ORDER BY v.step DESC, v.id DESC LIMIT 1) AS test_ci95`;

/**
 * An attempt's end: its running time, from its start to now (the first parameter), added to the
 * run's training time (nothing for an attempt whose start was not recorded: the second, now again).
 */
const ATTEMPT_ENDS = `trained_ms = trained_ms + max(0, ? - coalesce(attempt_started_at, ?)), attempt_started_at = NULL`;

/** A run's newest Slurm job, if any. */
const LATEST_SLURM_JOB = `LEFT JOIN slurm_jobs j ON j.id = (SELECT max(id) FROM slurm_jobs WHERE run_id = r.id)`;

export class RunRepository {
  constructor(private readonly db: SqliteDatabase) {}

  create(
    r: {
      experimentId: number;
      config: ExperimentConfig;
      appVersion: string;
      executor?: ExecutorChoice | null;
      /** A sweep's trial (its index among the learner's trials) or final run (its seed's index). */
      sweep?: { id: number; role: 'trial' | 'final'; trial: number };
    },
    now = Date.now(),
  ): Run {
    const executor = r.executor && r.executor.kind !== 'local' ? JSON.stringify(r.executor) : null;
    const info = this.db
      .prepare(
        `INSERT INTO runs (experiment_id, learner, seed, status, queued_at, app_version, config, iterations, executor,
           sweep_id, sweep_role, sweep_trial)
         VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.experimentId,
        r.config.learner,
        r.config.seed,
        now,
        r.appVersion,
        JSON.stringify(r.config),
        r.config.iterations,
        executor,
        r.sweep?.id ?? null,
        r.sweep?.role ?? null,
        r.sweep?.trial ?? null,
      );
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): Run | null {
    const row = this.db
      .prepare(
        `SELECT r.*, j.job_id AS slurm_job_id, j.state AS slurm_state, j.reason AS slurm_reason,
           j.node AS slurm_node, j.submitted_at AS slurm_submitted_at
         FROM runs r ${LATEST_SLURM_JOB} WHERE r.id = ?`,
      )
      .get(id) as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  summary(id: number): RunSummary | null {
    const row = this.db
      .prepare(
        `SELECT ${SUMMARY_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id ${LATEST_SLURM_JOB} WHERE r.id = ?`,
      )
      .get(id) as SummaryRow | undefined;
    return row ? this.withCells([toSummary(row)])[0]! : null;
  }

  /** Each run's cell (cellLabel), told from the other runs of its experiment. */
  private withCells(runs: Array<Omit<RunSummary, 'cell'>>): RunSummary[] {
    const siblings = new Map<number, ExperimentConfig[]>();
    const configsOf = (experimentId: number) => {
      let configs = siblings.get(experimentId);
      if (!configs) {
        configs = (
          this.db.prepare('SELECT config FROM runs WHERE experiment_id = ?').all(experimentId) as Array<{
            config: string;
          }>
        ).map((r) => JSON.parse(r.config) as ExperimentConfig);
        siblings.set(experimentId, configs);
      }
      return configs;
    };
    const configOf = this.db.prepare('SELECT config FROM runs WHERE id = ?');
    return runs.map((r) => {
      const own = configOf.get(r.id) as { config: string };
      return { ...r, cell: cellLabel(JSON.parse(own.config) as ExperimentConfig, configsOf(r.experimentId)) };
    });
  }

  list(filter: RunFilter = {}): RunSummary[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (filter.experimentId != null) {
      where.push('r.experiment_id = ?');
      args.push(filter.experimentId);
    }
    if (filter.status) {
      where.push('r.status = ?');
      args.push(filter.status);
    }
    if (filter.learner) {
      where.push('r.learner = ?');
      args.push(filter.learner);
    }
    if (filter.space) {
      where.push("json_extract(r.config, '$.space') = ?");
      args.push(filter.space);
    }
    if (filter.data) {
      where.push("json_extract(r.config, '$.data') = ?");
      args.push(filter.data);
    }
    if (filter.sweepId != null) {
      where.push('r.sweep_id = ?');
      args.push(filter.sweepId);
    }
    if (filter.tag) {
      where.push('EXISTS (SELECT 1 FROM json_each(r.tags) t WHERE t.value = ?)');
      args.push(filter.tag);
    }
    const rows = this.db
      .prepare(
        `SELECT ${SUMMARY_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id ${LATEST_SLURM_JOB}
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.id DESC`,
      )
      .all(...args) as SummaryRow[];
    // The accuracy range is on the meta-test mean (a subquery column): filtered here.
    const { minAccuracy: lo, maxAccuracy: hi } = filter;
    return this.withCells(
      rows
        .map(toSummary)
        .filter(
          (r) =>
            (lo == null && hi == null) ||
            (r.testMean != null && (lo == null || r.testMean >= lo) && (hi == null || r.testMean <= hi)),
        ),
    );
  }

  /** The oldest queued run, if any. */
  /** The oldest queued run for the local queue (runs for a cluster are the slurm executor's). */
  nextQueued(): Run | null {
    const row = this.db
      .prepare(
        `SELECT * FROM runs WHERE status = 'queued' AND executor IS NULL ORDER BY queued_at, id LIMIT 1`,
      )
      .get() as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  /** queued → running, for the process that launched its trainer. False if someone else did. */
  markStarted(id: number, pid: number | null, now = Date.now()): boolean {
    return (
      this.db
        .prepare(
          `UPDATE runs SET status = 'running', pid = ?, heartbeat = ?, started_at = coalesce(started_at, ?),
             attempt_started_at = ?, ended_at = NULL, error = NULL WHERE id = ? AND status = 'queued'`,
        )
        .run(pid, now, now, now, id).changes > 0
    );
  }

  /**
   * The attempt's trainer really started (a Slurm job left the cluster's queue): its training time
   * counts from now, not from when it was handed to the cluster. Only for that attempt, running.
   */
  attemptRunning(id: number, attempt: number, now = Date.now()): void {
    this.db
      .prepare(`UPDATE runs SET attempt_started_at = ? WHERE id = ? AND attempt = ? AND status = 'running'`)
      .run(now, id, attempt);
  }

  setBackend(id: number, backend: string): void {
    this.db.prepare('UPDATE runs SET backend = ? WHERE id = ?').run(backend, id);
  }

  setProvenance(id: number, provenance: Provenance): void {
    this.db.prepare('UPDATE runs SET provenance = ? WHERE id = ?').run(JSON.stringify(provenance), id);
  }

  setClassSplit(id: number, text: string): void {
    this.db.prepare('UPDATE runs SET class_split = ? WHERE id = ?').run(text, id);
  }

  heartbeat(id: number, now = Date.now()): { cancelRequested: boolean } {
    this.db.prepare(`UPDATE runs SET heartbeat = ? WHERE id = ? AND status = 'running'`).run(now, id);
    const row = this.db.prepare('SELECT cancel_requested FROM runs WHERE id = ?').get(id) as
      { cancel_requested: number } | undefined;
    return { cancelRequested: (row?.cancel_requested ?? 0) !== 0 };
  }

  /** The researcher's notes and tags; any status (a note on a failed run is worth keeping). */
  annotate(id: number, a: { notes?: string; tags?: string[] }): boolean {
    const sets: string[] = [];
    const values: unknown[] = [];
    if (a.notes !== undefined) {
      sets.push('notes = ?');
      values.push(a.notes);
    }
    if (a.tags !== undefined) {
      sets.push('tags = ?');
      values.push(JSON.stringify(a.tags));
    }
    if (sets.length === 0) return this.get(id) != null;
    return this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`).run(...values, id).changes > 0;
  }

  setIteration(id: number, iteration: number, now = Date.now()): void {
    this.db.prepare('UPDATE runs SET iteration = ?, heartbeat = ? WHERE id = ?').run(iteration, now, id);
  }

  /** running → a final status; only from running, so a late writer cannot undo a sweep or a kill. */
  finish(
    id: number,
    status: Extract<RunStatus, 'completed' | 'failed' | 'cancelled' | 'interrupted'>,
    error: string | null = null,
    options: { attempt?: number; now?: number } = {},
  ): boolean {
    // A trainer passes its attempt: a stale trainer of an earlier attempt cannot end a newer one.
    const attempt = options.attempt ?? -1;
    const now = options.now ?? Date.now();
    return (
      this.db
        .prepare(
          `UPDATE runs SET status = ?, error = ?, ended_at = ?, pid = NULL, cancel_requested = 0, ${ATTEMPT_ENDS}
           WHERE id = ? AND status = 'running' AND (? < 0 OR attempt = ?)`,
        )
        .run(status, error, now, now, now, id, attempt, attempt).changes > 0
    );
  }

  /**
   * Ask for a cancel: a queued run is cancelled at once; a running one is flagged, and its trainer
   * (which polls the flag with its heartbeat) checkpoints and stops. Returns the resulting status.
   */
  requestCancel(id: number, now = Date.now()): RunStatus | null {
    return this.db
      .transaction((): RunStatus | null => {
        const run = this.get(id);
        if (!run) return null;
        if (run.status === 'queued') {
          this.db
            .prepare(`UPDATE runs SET status = 'cancelled', ended_at = ? WHERE id = ? AND status = 'queued'`)
            .run(now, id);
          return 'cancelled';
        }
        if (run.status === 'running') {
          this.db.prepare('UPDATE runs SET cancel_requested = 1 WHERE id = ?').run(id);
        }
        return run.status;
      })
      .immediate(); // it reads, then writes: take the write lock first
  }

  /** cancelled | interrupted | failed → queued, for another attempt from the newest checkpoint. */
  /** Queue a stopped run again, from its newest checkpoint or the one at `from` (0: from scratch). */
  /** `executor`, when given, is where it goes now (null or local: the local queue); else where it went. */
  requeue(
    id: number,
    now = Date.now(),
    from: number | null = null,
    executor?: ExecutorChoice | null,
  ): boolean {
    const where = executor && executor.kind !== 'local' ? JSON.stringify(executor) : null;
    return (
      this.db
        .prepare(
          `UPDATE runs SET status = 'queued', queued_at = ?, error = NULL, ended_at = NULL, pid = NULL,
             cancel_requested = 0, stopped_early = NULL, attempt = attempt + 1, resume_from = ?,
             executor = CASE WHEN ? THEN ? ELSE executor END
           WHERE id = ? AND status IN ('cancelled', 'interrupted', 'failed')`,
        )
        .run(now, from, executor === undefined ? 0 : 1, where, id).changes > 0
    );
  }

  /** The trainer started from the asked-for checkpoint: later resumes take the newest again. */
  clearResumeFrom(id: number): void {
    this.db.prepare('UPDATE runs SET resume_from = NULL WHERE id = ?').run(id);
  }

  /** Runs marked running, with what tells whether their trainer is still alive. */
  running(): Array<{
    id: number;
    pid: number | null;
    heartbeat: number | null;
    attempt: number;
    cluster: boolean;
  }> {
    return (
      this.db
        .prepare(
          `SELECT id, pid, heartbeat, attempt, executor IS NOT NULL AS cluster FROM runs WHERE status = 'running'`,
        )
        .all() as Array<{
        id: number;
        pid: number | null;
        heartbeat: number | null;
        attempt: number;
        cluster: number;
      }>
    ).map((r) => ({ ...r, cluster: r.cluster !== 0 }));
  }

  /** A run whose trainer is gone without a word (an app or machine crash): resumable, never stuck. */
  markInterrupted(id: number, reason: string, now = Date.now()): boolean {
    const row = this.db.prepare('SELECT heartbeat FROM runs WHERE id = ?').get(id) as
      { heartbeat: number | null } | undefined;
    const lastSign = Math.min(now, row?.heartbeat ?? now);
    return (
      this.db
        .prepare(
          `UPDATE runs SET status = 'interrupted', ended_at = ?, pid = NULL, cancel_requested = 0, error = ?,
             ${ATTEMPT_ENDS}
           WHERE id = ? AND status = 'running'`,
        )
        // A lost trainer trained until its last sign of life, not until the sweep found it gone.
        .run(now, reason, lastSign, now, id).changes > 0
    );
  }

  /**
   * Deletes a run that is neither queued nor running, has no evaluation waiting or under way, and
   * is not part of a sweep still running (its scheduler reads its trials' rows), in one
   * conditional statement (a resume or an evaluation request from another process cannot slip in
   * between a check and the delete); its metrics, evaluations, checkpoint rows, rung decisions and
   * Slurm jobs go with it by cascade. False when it does not exist or is busy.
   */
  delete(id: number): boolean {
    return (
      this.db
        .prepare(
          `DELETE FROM runs WHERE id = ? AND status NOT IN ('queued', 'running')
             AND NOT EXISTS (SELECT 1 FROM evaluation_requests q
                             WHERE q.run_id = runs.id AND q.status IN ('queued', 'running'))
             AND NOT EXISTS (SELECT 1 FROM sweeps s WHERE s.id = runs.sweep_id AND s.status = 'running')`,
        )
        .run(id).changes > 0
    );
  }

  /**
   * Successive halving stopped this trial: why, kept with the run. The stop itself goes through
   * the queue's cancel (the trainer checkpoints and ends as cancelled, its points kept).
   */
  markStoppedEarly(id: number, reason: string): void {
    this.db.prepare('UPDATE runs SET stopped_early = ? WHERE id = ?').run(reason, id);
  }

  setPid(id: number, pid: number | null): void {
    this.db.prepare('UPDATE runs SET pid = ? WHERE id = ?').run(pid, id);
  }
}

function toSummary(r: SummaryRow): Omit<RunSummary, 'cell'> {
  return {
    ...toSummaryFields(r),
    experimentName: r.experiment_name,
    testMean: r.test_mean,
    testCi95: r.test_ci95,
  };
}
