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
  {
    version: 4,
    description:
      'evaluations of any dataset, split, shape or episode file (origin, dataset, episode file, time); ' +
      'evaluation requests for the job queue',
    // SQLite cannot widen a CHECK in place: the table is rebuilt, its rows copied with the
    // dataset their run was configured with.
    up: (db) =>
      db.exec(`
        CREATE TABLE evaluations_v4 (
          id INTEGER PRIMARY KEY,
          run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          origin TEXT NOT NULL DEFAULT 'training' CHECK (origin IN ('training', 'evaluation')),
          -- NULL when the episodes came from an episode file.
          split TEXT CHECK (split IS NULL OR split IN ('train', 'val', 'test')),
          step INTEGER NOT NULL,
          dataset TEXT NOT NULL,
          ways INTEGER NOT NULL,
          shots INTEGER NOT NULL,
          queries INTEGER NOT NULL,
          inner_steps INTEGER NOT NULL,
          episode_seed INTEGER NOT NULL DEFAULT 0,
          -- SHA-256 of the episode file, and its name.
          episode_file TEXT,
          episode_file_name TEXT,
          tasks INTEGER NOT NULL,
          mean REAL NOT NULL,
          ci95 REAL NOT NULL,
          std REAL NOT NULL,
          accuracies BLOB NOT NULL,
          created_at REAL NOT NULL,
          duration_ms REAL
        );
        INSERT INTO evaluations_v4 (id, run_id, origin, split, step, dataset, ways, shots, queries,
            inner_steps, episode_seed, tasks, mean, ci95, std, accuracies, created_at)
          SELECT v.id, v.run_id, 'training', v.split, v.step, coalesce(json_extract(r.config, '$.data'), ''),
            v.ways, v.shots, v.queries, v.inner_steps, v.episode_seed, v.tasks, v.mean, v.ci95, v.std,
            v.accuracies, v.created_at
          FROM evaluations v JOIN runs r ON r.id = v.run_id;
        DROP TABLE evaluations;
        ALTER TABLE evaluations_v4 RENAME TO evaluations;
        CREATE INDEX evaluations_by_run ON evaluations(run_id, split, step);
        CREATE TABLE evaluation_requests (
          id INTEGER PRIMARY KEY,
          run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          request TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
          error TEXT,
          done INTEGER NOT NULL DEFAULT 0,
          total INTEGER NOT NULL DEFAULT 0,
          evaluation_id INTEGER REFERENCES evaluations(id) ON DELETE SET NULL,
          pid INTEGER,
          heartbeat REAL,
          cancel_requested INTEGER NOT NULL DEFAULT 0,
          queued_at REAL NOT NULL,
          started_at REAL,
          ended_at REAL
        );
        CREATE INDEX evaluation_requests_queue ON evaluation_requests(status, queued_at);
        CREATE INDEX evaluation_requests_by_run ON evaluation_requests(run_id);
      `),
  },
  {
    version: 5,
    description: 'evaluations of sequence learners (MANN): presentations per class, accuracy by presentation',
    up: (db) =>
      db.exec(`
        ALTER TABLE evaluations ADD COLUMN instances INTEGER;
        -- JSON: [{ "mean": …, "ci95": … }] per presentation.
        ALTER TABLE evaluations ADD COLUMN by_instance TEXT;
      `),
  },
  {
    version: 6,
    description: "a researcher's notes and tags on each run",
    up: (db) =>
      db.exec(`
        ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
        -- JSON: ["tag", …]
        ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
      `),
  },
  {
    version: 7,
    description: 'the checkpoint a resume asked for (null: the newest)',
    up: (db) => db.exec(`ALTER TABLE runs ADD COLUMN resume_from INTEGER;`),
  },
  {
    version: 8,
    description: 'runs on a Slurm cluster: the executor a run asked for, and its jobs',
    up: (db) =>
      db.exec(`
        -- JSON ExecutorChoice; NULL: the local queue.
        ALTER TABLE runs ADD COLUMN executor TEXT;
        -- One row per attempt sent to Slurm. The trainer on the node never opens this database: it
        -- appends to events_file, which the workbench ingests up to ingested_bytes.
        CREATE TABLE slurm_jobs (
          id INTEGER PRIMARY KEY,
          run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          attempt INTEGER NOT NULL,
          job_id TEXT NOT NULL,
          submitted_at INTEGER NOT NULL,
          events_file TEXT NOT NULL,
          ingested_bytes INTEGER NOT NULL DEFAULT 0,
          state TEXT NOT NULL DEFAULT 'PENDING',
          reason TEXT,
          node TEXT,
          -- The trainer's own final word (from its events), applied once Slurm says the job ended.
          trainer_status TEXT,
          trainer_error TEXT,
          first_metric_at INTEGER,
          ended_at INTEGER
        );
        CREATE INDEX slurm_jobs_run ON slurm_jobs(run_id, attempt);
      `),
  },
  {
    version: 9,
    description: "the class split a run's training took, in words",
    up: (db) => db.exec(`ALTER TABLE runs ADD COLUMN class_split TEXT;`),
  },
  {
    version: 10,
    description: "a run's training time: the running time of its attempts, summed",
    up: (db) =>
      db.exec(`
        -- The ended attempts' running time (ms), and when the current attempt started.
        ALTER TABLE runs ADD COLUMN trained_ms REAL NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN attempt_started_at REAL;
        -- Runs from before: what was shown until now (first start to end) where they ended, and
        -- a running attempt timed from when it was last queued.
        UPDATE runs SET trained_ms = max(0, ended_at - started_at)
          WHERE ended_at IS NOT NULL AND started_at IS NOT NULL;
        UPDATE runs SET attempt_started_at = max(queued_at, coalesce(started_at, queued_at))
          WHERE status = 'running';
      `),
  },
  {
    version: 11,
    description: "what and where a run's trainer ran with: commit, Node, tfjs, backend, OS, CPU, GPU (JSON)",
    up: (db) => db.exec(`ALTER TABLE runs ADD COLUMN provenance TEXT;`),
  },
  {
    version: 12,
    description:
      'sweeps: their spec, phase and chosen configurations; each trial or final run tied to its sweep; successive halving decisions per rung; "stopped early" on runs',
    up: (db) =>
      db.exec(`
        CREATE TABLE sweeps (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL,
          spec TEXT NOT NULL,
          base_config TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed')),
          phase TEXT NOT NULL CHECK (phase IN ('trials', 'final', 'done')),
          trials_experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
          final_experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
          executor TEXT,
          chosen TEXT,
          error TEXT,
          created_at INTEGER NOT NULL,
          ended_at INTEGER
        );
        ALTER TABLE runs ADD COLUMN sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL;
        ALTER TABLE runs ADD COLUMN sweep_role TEXT CHECK (sweep_role IN ('trial', 'final'));
        ALTER TABLE runs ADD COLUMN sweep_trial INTEGER;
        ALTER TABLE runs ADD COLUMN stopped_early TEXT;
        CREATE UNIQUE INDEX runs_sweep_trial ON runs(sweep_id, sweep_role, learner, sweep_trial)
          WHERE sweep_id IS NOT NULL;
        CREATE TABLE sweep_rungs (
          sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
          run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          rung INTEGER NOT NULL,
          iteration INTEGER NOT NULL,
          value REAL NOT NULL,
          decision TEXT NOT NULL CHECK (decision IN ('continue', 'stop')),
          decided_at INTEGER NOT NULL,
          PRIMARY KEY (run_id, rung)
        );
        CREATE INDEX sweep_rungs_by_sweep ON sweep_rungs(sweep_id, rung);
      `),
  },
  {
    version: 13,
    description:
      "concept projections: a run checkpoint's embeddings of some classes mapped to 2-D (job and result)",
    up: (db) =>
      db.exec(`
        CREATE TABLE projections (
          id INTEGER PRIMARY KEY,
          run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          -- JSON ProjectionRequest, as asked.
          request TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
          error TEXT,
          -- JSON ProjectionResult once completed: a few hundred points, small enough for a row.
          result TEXT,
          pid INTEGER,
          heartbeat REAL,
          cancel_requested INTEGER NOT NULL DEFAULT 0,
          queued_at REAL NOT NULL,
          started_at REAL,
          ended_at REAL
        );
        CREATE INDEX projections_queue ON projections(status, queued_at);
        CREATE INDEX projections_by_run ON projections(run_id);
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
