/**
 * Sweeps and their successive-halving decisions. A sweep's trials and final runs are ordinary
 * runs (runs.sweep_id, sweep_role, sweep_trial); a unique index on those makes creating a trial
 * twice impossible, whoever schedules it, so a workbench restarted mid-sweep cannot run one twice.
 */
import type { ExecutorChoice } from '../contract/executor';
import type { ExperimentConfig, LearnerName } from '../contract/config';
import type {
  ChosenConfiguration,
  RungDecision,
  Sweep,
  SweepPhase,
  SweepSpec,
  SweepStatus,
} from '../contract/sweep';
import type { SqliteDatabase } from './sqlite';

interface SweepRow {
  id: number;
  name: string;
  spec: string;
  base_config: string;
  status: SweepStatus;
  phase: SweepPhase;
  trials_experiment_id: number;
  final_experiment_id: number;
  executor: string | null;
  chosen: string | null;
  error: string | null;
  created_at: number;
  ended_at: number | null;
}

function toSweep(r: SweepRow): Sweep & { executor: ExecutorChoice | null } {
  return {
    id: r.id,
    name: r.name,
    spec: JSON.parse(r.spec) as SweepSpec,
    baseConfig: JSON.parse(r.base_config) as ExperimentConfig,
    status: r.status,
    phase: r.phase,
    trialsExperimentId: r.trials_experiment_id,
    finalExperimentId: r.final_experiment_id,
    executor: r.executor ? (JSON.parse(r.executor) as ExecutorChoice) : null,
    chosen: r.chosen ? (JSON.parse(r.chosen) as Partial<Record<LearnerName, ChosenConfiguration>>) : {},
    error: r.error,
    createdAt: r.created_at,
    endedAt: r.ended_at,
  };
}

export type StoredSweep = ReturnType<typeof toSweep>;

export class SweepRepository {
  constructor(private readonly db: SqliteDatabase) {}

  create(
    s: {
      spec: SweepSpec;
      baseConfig: ExperimentConfig;
      trialsExperimentId: number;
      finalExperimentId: number;
      executor: ExecutorChoice | null;
    },
    now = Date.now(),
  ): StoredSweep {
    const info = this.db
      .prepare(
        `INSERT INTO sweeps (name, spec, base_config, status, phase, trials_experiment_id, final_experiment_id, executor, created_at)
         VALUES (?, ?, ?, 'running', 'trials', ?, ?, ?, ?)`,
      )
      .run(
        s.spec.name,
        JSON.stringify(s.spec),
        JSON.stringify(s.baseConfig),
        s.trialsExperimentId,
        s.finalExperimentId,
        s.executor && s.executor.kind !== 'local' ? JSON.stringify(s.executor) : null,
        now,
      );
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): StoredSweep | null {
    const row = this.db.prepare('SELECT * FROM sweeps WHERE id = ?').get(id) as SweepRow | undefined;
    return row ? toSweep(row) : null;
  }

  list(): StoredSweep[] {
    return (this.db.prepare('SELECT * FROM sweeps ORDER BY id DESC').all() as SweepRow[]).map(toSweep);
  }

  running(): StoredSweep[] {
    return (
      this.db.prepare(`SELECT * FROM sweeps WHERE status = 'running' ORDER BY id`).all() as SweepRow[]
    ).map(toSweep);
  }

  /** Trials chosen: the final runs follow. Only from the trials phase (one scheduler wins). */
  toFinal(
    id: number,
    chosen: Partial<Record<LearnerName, ChosenConfiguration>>,
    error: string | null,
  ): boolean {
    return (
      this.db
        .prepare(
          `UPDATE sweeps SET phase = 'final', chosen = ?, error = ? WHERE id = ? AND phase = 'trials' AND status = 'running'`,
        )
        .run(JSON.stringify(chosen), error, id).changes > 0
    );
  }

  finish(
    id: number,
    status: Exclude<SweepStatus, 'running'>,
    error: string | null,
    now = Date.now(),
  ): boolean {
    return (
      this.db
        .prepare(
          `UPDATE sweeps SET status = ?, phase = 'done', error = coalesce(?, error), ended_at = ? WHERE id = ? AND status = 'running'`,
        )
        .run(status, error, now, id).changes > 0
    );
  }

  /** A rung's decision, once: a second decision for the same trial and rung is ignored. */
  decide(sweepId: number, runId: number, d: RungDecision, now = Date.now()): boolean {
    return (
      this.db
        .prepare(
          `INSERT OR IGNORE INTO sweep_rungs (sweep_id, run_id, rung, iteration, value, decision, decided_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(sweepId, runId, d.rung, d.iteration, d.value, d.decision, now).changes > 0
    );
  }

  /** Every decision of the sweep, by trial run, in rung order. */
  decisions(sweepId: number): Map<number, RungDecision[]> {
    const rows = this.db
      .prepare(
        'SELECT run_id, rung, iteration, value, decision FROM sweep_rungs WHERE sweep_id = ? ORDER BY rung, decided_at',
      )
      .all(sweepId) as Array<{ run_id: number } & RungDecision>;
    const out = new Map<number, RungDecision[]>();
    for (const { run_id, ...d } of rows) {
      const list = out.get(run_id) ?? [];
      list.push(d);
      out.set(run_id, list);
    }
    return out;
  }
}
