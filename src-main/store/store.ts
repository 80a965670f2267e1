/** The experiment store: one SQLite file, its repositories, and nothing else. */
import { CheckpointRepository } from './checkpoints';
import { databasePath } from '../layout/dataDirectory';
import { type OpenOptions, openDatabase } from './database';
import { DatasetRepository } from './datasets';
import { EvaluationRequestRepository } from './evaluationRequests';
import { EvaluationRepository } from './evaluations';
import { ExperimentRepository } from './experiments';
import { MetricRepository } from './metrics';
import { ProjectionRepository } from './projections';
import { RunRepository } from './runs';
import { SlurmJobRepository } from './slurmJobs';
import { SweepRepository } from './sweeps';
import type { SqliteDatabase } from './sqlite';

export class Store {
  readonly experiments: ExperimentRepository;
  readonly runs: RunRepository;
  readonly metrics: MetricRepository;
  readonly evaluations: EvaluationRepository;
  readonly evaluationRequests: EvaluationRequestRepository;
  readonly checkpoints: CheckpointRepository;
  readonly datasets: DatasetRepository;
  readonly slurmJobs: SlurmJobRepository;
  readonly sweeps: SweepRepository;
  readonly projections: ProjectionRepository;
  readonly file: string;

  constructor(
    readonly db: SqliteDatabase,
    file: string,
  ) {
    this.file = file;
    this.experiments = new ExperimentRepository(db);
    this.runs = new RunRepository(db);
    this.metrics = new MetricRepository(db);
    this.evaluations = new EvaluationRepository(db);
    this.evaluationRequests = new EvaluationRequestRepository(db);
    this.checkpoints = new CheckpointRepository(db);
    this.datasets = new DatasetRepository(db);
    this.slurmJobs = new SlurmJobRepository(db);
    this.sweeps = new SweepRepository(db);
    this.projections = new ProjectionRepository(db);
  }

  /** Several repository calls as one transaction. */
  transaction<T>(fn: () => T): T {
    // IMMEDIATE: the write lock is taken at BEGIN, where the busy timeout waits for it. A deferred
    // transaction that reads first fails at once ("database is locked") when a trainer wrote meanwhile.
    return this.db.transaction(fn).immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function openStore(dataDir: string, options: OpenOptions = {}): Store {
  return new Store(openDatabase(dataDir, options), databasePath(dataDir));
}
