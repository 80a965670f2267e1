/**
 * Versioned schema migrations. The database's `user_version` is the number of migrations
 * applied; each migration runs in its own transaction, so a failure leaves the previous version
 * intact. Never edit a released migration: add one.
 */
import type { SqliteDatabase } from './sqlite';

export interface Migration {
  version: number;
  description: string;
  up(db: SqliteDatabase): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'datasets, experiments, runs, metrics, evaluations, checkpoints',
    up: (db) =>
      db.exec(`
        CREATE TABLE datasets (
          name TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          classes INTEGER NOT NULL,
          images INTEGER NOT NULL,
          width INTEGER NOT NULL,
          height INTEGER NOT NULL,
          channels INTEGER NOT NULL,
          updated_at REAL NOT NULL
        );
        CREATE TABLE experiments (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL,
          description TEXT NOT NULL DEFAULT '',
          tags TEXT NOT NULL DEFAULT '[]',
          config TEXT NOT NULL,
          created_at REAL NOT NULL,
          updated_at REAL NOT NULL
        );
        CREATE TABLE runs (
          id INTEGER PRIMARY KEY,
          experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
          learner TEXT NOT NULL,
          seed INTEGER NOT NULL,
          status TEXT NOT NULL CHECK (status IN
            ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
          backend TEXT,
          pid INTEGER,
          heartbeat REAL,
          queued_at REAL NOT NULL,
          started_at REAL,
          ended_at REAL,
          error TEXT,
          app_version TEXT NOT NULL,
          config TEXT NOT NULL,
          iteration INTEGER NOT NULL DEFAULT 0,
          iterations INTEGER NOT NULL
        );
        CREATE INDEX runs_by_experiment ON runs(experiment_id);
        CREATE INDEX runs_by_status ON runs(status);
        -- Clustered by (run, key, step): one run's series is one range scan.
        CREATE TABLE metrics (
          run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          key TEXT NOT NULL,
          step INTEGER NOT NULL,
          value REAL NOT NULL,
          time REAL NOT NULL,
          PRIMARY KEY (run_id, key, step)
        ) WITHOUT ROWID;
        CREATE TABLE evaluations (
          id INTEGER PRIMARY KEY,
          run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          split TEXT NOT NULL CHECK (split IN ('val', 'test')),
          step INTEGER NOT NULL,
          ways INTEGER NOT NULL,
          shots INTEGER NOT NULL,
          queries INTEGER NOT NULL,
          inner_steps INTEGER NOT NULL,
          tasks INTEGER NOT NULL,
          mean REAL NOT NULL,
          ci95 REAL NOT NULL,
          std REAL NOT NULL,
          -- Float32 little-endian, one per task, in episode order.
          accuracies BLOB NOT NULL,
          created_at REAL NOT NULL
        );
        CREATE INDEX evaluations_by_run ON evaluations(run_id, split, step);
        CREATE TABLE checkpoints (
          run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          step INTEGER NOT NULL,
          file TEXT NOT NULL,
          created_at REAL NOT NULL,
          PRIMARY KEY (run_id, step)
        );
      `),
  },
  {
    version: 2,
    description: 'runs: cancel requests from any process, resume attempts',
    up: (db) =>
      db.exec(`
        ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
        -- The scheduler takes queued runs oldest first.
        CREATE INDEX runs_queue ON runs(status, queued_at);
      `),
  },
  {
    version: 3,
    description: 'evaluations: the episode seed, for paired comparisons on identical tasks',
    up: (db) =>
      db.exec(`
        ALTER TABLE evaluations ADD COLUMN episode_seed INTEGER NOT NULL DEFAULT 0;
      `),
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: SqliteDatabase): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Bring the database to `target` (the latest by default). Refuses a database from a newer app
 * rather than guessing at a schema it does not know.
 */
export function migrate(db: SqliteDatabase, target = SCHEMA_VERSION): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > SCHEMA_VERSION) {
    throw new Error(
      `the database has schema version ${from}, newer than this app's ${SCHEMA_VERSION}: ` +
        'it was written by a newer DEML Workbench; update the app (the file was left untouched)',
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from || m.version > target) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: Math.max(from, Math.min(target, SCHEMA_VERSION)) };
}
