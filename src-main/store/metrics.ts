/** Metric points: (run, key, step) → value, written in batched transactions by the trainer. */
import type { MetricRecord, MetricSeries } from '../contract/records';
import type { SqliteDatabase } from './sqlite';

export class MetricRepository {
  private readonly insertStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(
      'INSERT INTO metrics (run_id, key, step, value, time) VALUES (?, ?, ?, ?, ?)',
    );
  }

  /** One transaction for the whole batch: all points land, or none. */
  insert(runId: number, points: readonly MetricRecord[]): void {
    this.db.transaction(() => {
      for (const p of points) this.insertStmt.run(runId, p.key, p.step, p.value, p.time);
    })();
  }

  /** A run's series, each key's steps ascending; only steps after `afterStep` when given. */
  series(runId: number, options: { keys?: readonly string[]; afterStep?: number } = {}): MetricSeries[] {
    const after = options.afterStep ?? Number.MIN_SAFE_INTEGER;
    const keys = options.keys ?? this.keys(runId);
    const stmt = this.db
      .prepare(
        'SELECT step, value, time FROM metrics WHERE run_id = ? AND key = ? AND step > ? ORDER BY step',
      )
      .raw(true);
    return keys.map((key) => {
      const rows = stmt.all(runId, key, after) as Array<[number, number, number]>;
      const steps = new Array<number>(rows.length);
      const values = new Array<number>(rows.length);
      const times = new Array<number>(rows.length);
      rows.forEach(([s, v, t], i) => {
        steps[i] = s;
        values[i] = v;
        times[i] = t;
      });
      return { key, steps, values, times };
    });
  }

  /** Each key's value at its latest step, for runs tables' metric columns (null: no point yet). */
  latest(runId: number, keys: readonly string[]): Record<string, number | null> {
    const stmt = this.db
      .prepare('SELECT value FROM metrics WHERE run_id = ? AND key = ? ORDER BY step DESC LIMIT 1')
      .pluck(true);
    return Object.fromEntries(keys.map((k) => [k, (stmt.get(runId, k) as number | undefined) ?? null]));
  }

  keys(runId: number): string[] {
    return (
      this.db.prepare('SELECT DISTINCT key FROM metrics WHERE run_id = ? ORDER BY key').all(runId) as Array<{
        key: string;
      }>
    ).map((r) => r.key);
  }

  count(runId: number): number {
    return (this.db.prepare('SELECT count(*) AS n FROM metrics WHERE run_id = ?').get(runId) as { n: number })
      .n;
  }

  /**
   * Drop points written after a checkpoint, before a resume re-trains those steps: the series then
   * continues without duplicates or gaps. Pretraining points go only when pretraining reruns.
   */
  truncateAfter(runId: number, step: number, options: { pretrain?: boolean } = {}): number {
    const pretrain = options.pretrain ? "OR key GLOB 'pretrain/*'" : '';
    return this.db
      .prepare(
        `DELETE FROM metrics WHERE run_id = ? AND ((step > ? AND key NOT GLOB 'pretrain/*') ${pretrain})`,
      )
      .run(runId, step).changes;
  }
}
