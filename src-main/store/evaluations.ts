/**
 * Evaluations: validations and meta-tests of a run's training, and evaluations asked for
 * afterwards, every task's accuracy kept for paired tests.
 */
import type { EvaluationSplit } from '../contract/evaluation';
import type { Evaluation } from '../contract/records';
import type { SqliteDatabase } from './sqlite';

interface EvaluationRow {
  id: number;
  run_id: number;
  origin: Evaluation['origin'];
  split: EvaluationSplit | null;
  step: number;
  dataset: string;
  ways: number;
  shots: number;
  queries: number;
  inner_steps: number;
  episode_seed: number;
  episode_file: string | null;
  episode_file_name: string | null;
  tasks: number;
  mean: number;
  ci95: number;
  std: number;
  accuracies: Buffer;
  created_at: number;
  duration_ms: number | null;
  instances: number | null;
  by_instance: string | null;
}

export type NewEvaluation = Omit<Evaluation, 'id' | 'createdAt'>;

/** SQLite has no NaN: a summary of fewer than two tasks stores its undefined CI as NULL-free 0. */
const finiteOr0 = (x: number) => (Number.isFinite(x) ? x : 0);

const floats = (values: readonly number[]) => {
  const a = Float32Array.from(values);
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
};

const fromFloats = (b: Buffer) =>
  Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));

function toEvaluation(r: EvaluationRow): Evaluation {
  return {
    id: r.id,
    runId: r.run_id,
    origin: r.origin,
    split: r.split,
    step: r.step,
    dataset: r.dataset,
    ways: r.ways,
    shots: r.shots,
    queries: r.queries,
    innerSteps: r.inner_steps,
    episodeSeed: r.episode_seed,
    episodeFile: r.episode_file,
    episodeFileName: r.episode_file_name,
    tasks: r.tasks,
    mean: r.mean,
    ci95: r.ci95,
    std: r.std,
    accuracies: fromFloats(r.accuracies),
    createdAt: r.created_at,
    durationMs: r.duration_ms,
    instances: r.instances,
    byInstance: r.by_instance ? (JSON.parse(r.by_instance) as Evaluation['byInstance']) : null,
  };
}

export class EvaluationRepository {
  constructor(private readonly db: SqliteDatabase) {}

  insert(e: NewEvaluation, now = Date.now()): number {
    const info = this.db
      .prepare(
        `INSERT INTO evaluations (run_id, origin, split, step, dataset, ways, shots, queries, inner_steps,
           episode_seed, episode_file, episode_file_name, tasks, mean, ci95, std, accuracies, created_at,
           duration_ms, instances, by_instance)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        e.runId,
        e.origin,
        e.split,
        e.step,
        e.dataset,
        e.ways,
        e.shots,
        e.queries,
        e.innerSteps,
        e.episodeSeed,
        e.episodeFile,
        e.episodeFileName,
        e.tasks,
        e.mean,
        finiteOr0(e.ci95),
        finiteOr0(e.std),
        floats(e.accuracies),
        now,
        e.durationMs,
        e.instances,
        e.byInstance
          ? JSON.stringify(e.byInstance.map((x) => ({ mean: x.mean, ci95: finiteOr0(x.ci95) })))
          : null,
      );
    return Number(info.lastInsertRowid);
  }

  get(id: number): Evaluation | null {
    const row = this.db.prepare('SELECT * FROM evaluations WHERE id = ?').get(id) as
      EvaluationRow | undefined;
    return row ? toEvaluation(row) : null;
  }

  /** A run's evaluations: its training's in step order (validations first), then those asked for. */
  list(runId: number): Evaluation[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM evaluations WHERE run_id = ?
         ORDER BY CASE origin WHEN 'training' THEN 0 ELSE 1 END,
           CASE origin WHEN 'training' THEN step ELSE id END, CASE split WHEN 'val' THEN 0 ELSE 1 END, id`,
      )
      .all(runId) as EvaluationRow[];
    return rows.map(toEvaluation);
  }

  /** Validations after a checkpoint are re-run on resume; the old ones go (not those asked for). */
  truncateAfter(runId: number, step: number): number {
    return this.db
      .prepare(`DELETE FROM evaluations WHERE run_id = ? AND step > ? AND origin = 'training'`)
      .run(runId, step).changes;
  }
}
