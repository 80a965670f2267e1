/** Evaluations: validation and meta-test results, every task's accuracy kept for paired tests. */
import type { Evaluation } from '../contract/records';
import type { SqliteDatabase } from './sqlite';

interface EvaluationRow {
  id: number;
  run_id: number;
  split: 'val' | 'test';
  step: number;
  ways: number;
  shots: number;
  queries: number;
  inner_steps: number;
  episode_seed: number;
  tasks: number;
  mean: number;
  ci95: number;
  std: number;
  accuracies: Buffer;
  created_at: number;
}

export type NewEvaluation = Omit<Evaluation, 'id' | 'createdAt'>;

/** SQLite has no NaN: a summary of fewer than two tasks stores its undefined CI as NULL-free 0. */
const finiteOr0 = (x: number) => (Number.isFinite(x) ? x : 0);

export class EvaluationRepository {
  constructor(private readonly db: SqliteDatabase) {}

  insert(e: NewEvaluation, now = Date.now()): number {
    const acc = Float32Array.from(e.accuracies);
    const info = this.db
      .prepare(
        `INSERT INTO evaluations (run_id, split, step, ways, shots, queries, inner_steps, episode_seed, tasks,
           mean, ci95, std, accuracies, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        e.runId,
        e.split,
        e.step,
        e.ways,
        e.shots,
        e.queries,
        e.innerSteps,
        e.episodeSeed,
        e.tasks,
        e.mean,
        finiteOr0(e.ci95),
        finiteOr0(e.std),
        Buffer.from(acc.buffer, acc.byteOffset, acc.byteLength),
        now,
      );
    return Number(info.lastInsertRowid);
  }

  list(runId: number): Evaluation[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM evaluations WHERE run_id = ? ORDER BY step, CASE split WHEN 'val' THEN 0 ELSE 1 END, id`,
      )
      .all(runId) as EvaluationRow[];
    return rows.map((r) => ({
      id: r.id,
      runId: r.run_id,
      split: r.split,
      step: r.step,
      ways: r.ways,
      shots: r.shots,
      queries: r.queries,
      innerSteps: r.inner_steps,
      episodeSeed: r.episode_seed,
      tasks: r.tasks,
      mean: r.mean,
      ci95: r.ci95,
      std: r.std,
      accuracies: Array.from(
        new Float32Array(
          r.accuracies.buffer.slice(
            r.accuracies.byteOffset,
            r.accuracies.byteOffset + r.accuracies.byteLength,
          ),
        ),
      ),
      createdAt: r.created_at,
    }));
  }

  /** Validations after a checkpoint are re-run on resume; the old ones go. */
  truncateAfter(runId: number, step: number): number {
    return this.db.prepare('DELETE FROM evaluations WHERE run_id = ? AND step > ?').run(runId, step).changes;
  }
}
