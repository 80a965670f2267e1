/** Experiments: a named base config with tags; runs hang off them and go with them. */
import type { ExperimentConfig } from '../contract/config';
import type { Experiment, ExperimentSummary, RunStatus } from '../contract/records';
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

export interface ExperimentFilter {
  /** Case-insensitive text in the name, description or tags. */
  search?: string;
  tag?: string;
  learner?: string;
  status?: RunStatus;
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

  update(id: number, patch: Partial<Pick<Experiment, 'name' | 'description' | 'tags'>>): Experiment | null {
    const current = this.get(id);
    if (!current) return null;
    const next = { ...current, ...patch };
    this.db
      .prepare('UPDATE experiments SET name = ?, description = ?, tags = ?, updated_at = ? WHERE id = ?')
      .run(next.name, next.description, JSON.stringify(next.tags), Date.now(), id);
    return this.get(id);
  }

  /** Deletes the experiment and, by cascade, its runs, metrics, evaluations and checkpoint rows. */
  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM experiments WHERE id = ?').run(id).changes > 0;
  }

  list(filter: ExperimentFilter = {}): ExperimentSummary[] {
    const rows = this.db
      .prepare(
        `SELECT e.*, count(r.id) AS run_count,
                coalesce(json_group_array(r.status) FILTER (WHERE r.id IS NOT NULL), '[]') AS statuses,
                coalesce(json_group_array(DISTINCT r.learner) FILTER (WHERE r.id IS NOT NULL), '[]') AS learners
         FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id
         GROUP BY e.id ORDER BY e.updated_at DESC, e.id DESC`,
      )
      .all() as Array<ExperimentRow & { run_count: number; statuses: string; learners: string }>;
    const search = filter.search?.trim().toLowerCase();
    return rows
      .map((r) => {
        const statuses: Partial<Record<RunStatus, number>> = {};
        for (const s of JSON.parse(r.statuses) as RunStatus[]) statuses[s] = (statuses[s] ?? 0) + 1;
        return {
          ...toExperiment(r),
          runs: r.run_count,
          statuses,
          learners: (JSON.parse(r.learners) as ExperimentSummary['learners']).sort(),
        };
      })
      .filter(
        (e) =>
          (!search || `${e.name}\n${e.description}\n${e.tags.join('\n')}`.toLowerCase().includes(search)) &&
          (!filter.tag || e.tags.includes(filter.tag)) &&
          (!filter.learner || e.learners.includes(filter.learner as ExperimentSummary['learners'][number])) &&
          (!filter.status || (e.statuses[filter.status] ?? 0) > 0),
      );
  }
}
