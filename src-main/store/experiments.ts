/** Experiments: a named base config with tags; runs hang off them and go with them. */
import type { ExperimentConfig } from '../contract/config';
import type { ExperimentFilter } from '../contract/api';
import type { Experiment, ExperimentSummary, RunStatus } from '../contract/records';
import { varyingSettings } from '../contract/results';
import type { SqliteDatabase } from './sqlite';

interface ExperimentRow {
  id: number;
  name: string;
  description: string;
  tags: string;
  config: string;
  created_at: number;
  updated_at: number;
}

export interface NewExperiment {
  name: string;
  description?: string;
  tags?: string[];
  config: ExperimentConfig;
}

function toExperiment(r: ExperimentRow): Experiment {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    tags: JSON.parse(r.tags) as string[],
    config: JSON.parse(r.config) as ExperimentConfig,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class ExperimentRepository {
  constructor(private readonly db: SqliteDatabase) {}

  create(e: NewExperiment, now = Date.now()): Experiment {
    const info = this.db
      .prepare(
        `INSERT INTO experiments (name, description, tags, config, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(e.name, e.description ?? '', JSON.stringify(e.tags ?? []), JSON.stringify(e.config), now, now);
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): Experiment | null {
    const row = this.db.prepare('SELECT * FROM experiments WHERE id = ?').get(id) as
      ExperimentRow | undefined;
    return row ? toExperiment(row) : null;
  }

  /** Deletes the experiment and, by cascade, its runs, metrics, evaluations and checkpoint rows. */
  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM experiments WHERE id = ?').run(id).changes > 0;
  }

  /** One experiment with its run counts (the list's row, without reading the others). */
  summary(id: number): ExperimentSummary | null {
    const summary = this.summaries(id)[0];
    if (!summary) return null;
    const configs = (
      this.db.prepare('SELECT config FROM runs WHERE experiment_id = ?').all(id) as Array<{ config: string }>
    ).map((r) => JSON.parse(r.config) as ExperimentConfig);
    return { ...summary, varying: varyingSettings(configs) };
  }

  list(filter: ExperimentFilter = {}): ExperimentSummary[] {
    const search = filter.search?.trim().toLowerCase();
    return this.summaries().filter(
      (e) =>
        (!search || `${e.name}\n${e.description}\n${e.tags.join('\n')}`.toLowerCase().includes(search)) &&
        (!filter.tag || e.tags.includes(filter.tag)) &&
        (!filter.learner || e.learners.includes(filter.learner)) &&
        (!filter.status || (e.statuses[filter.status] ?? 0) > 0),
    );
  }

  private summaries(id?: number): ExperimentSummary[] {
    const rows = this.db
      .prepare(
        `SELECT e.*, count(r.id) AS run_count,
                coalesce(json_group_array(r.status) FILTER (WHERE r.id IS NOT NULL), '[]') AS statuses,
                coalesce(json_group_array(DISTINCT r.learner) FILTER (WHERE r.id IS NOT NULL), '[]') AS learners,
                (SELECT json_object('learner', r2.learner, 'runId', r2.id, 'mean', v.mean, 'ci95', v.ci95)
                   FROM evaluations v JOIN runs r2 ON r2.id = v.run_id
                   WHERE r2.experiment_id = e.id AND v.split = 'test' AND v.origin = 'training'
                   ORDER BY v.mean DESC, v.id LIMIT 1) AS best
         FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id
         ${id == null ? '' : 'WHERE e.id = ?'}
         GROUP BY e.id ORDER BY e.updated_at DESC, e.id DESC`,
      )
      .all(...(id == null ? [] : [id])) as Array<
      ExperimentRow & { run_count: number; statuses: string; learners: string; best: string | null }
    >;
    return rows.map((r) => {
      const statuses: Partial<Record<RunStatus, number>> = {};
      for (const s of JSON.parse(r.statuses) as RunStatus[]) statuses[s] = (statuses[s] ?? 0) + 1;
      return {
        ...toExperiment(r),
        runs: r.run_count,
        statuses,
        learners: (JSON.parse(r.learners) as ExperimentSummary['learners']).sort(),
        best: r.best == null ? null : (JSON.parse(r.best) as ExperimentSummary['best']),
      };
    });
  }
}
