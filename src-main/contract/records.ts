/**
 * What the store keeps and the service returns: experiments, runs, metric series, evaluations
 * and checkpoints. Plain data, shared with the renderer (no runtime-specific imports).
 */
import type { Provenance } from './provenance';
import type { ExperimentConfig, LearnerName } from './config';
import type { EvaluationRequest, EvaluationSplit } from './evaluation';
import type { ExecutorChoice } from './executor';

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses a run can be resumed from (from its newest checkpoint, or from scratch without one). */
export const RESUMABLE_STATUSES: readonly RunStatus[] = ['cancelled', 'interrupted', 'failed'];
/** Statuses in which a run still holds (or waits for) a trainer. */
export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running'];

export interface Experiment {
  id: number;
  name: string;
  description: string;
  tags: string[];
  /** The base config; each run's own config (learner, seed) is kept on the run. */
  config: ExperimentConfig;
  createdAt: number;
  updatedAt: number;
}

export interface ExperimentSummary extends Experiment {
  runs: number;
  /** Runs per status, e.g. { completed: 3, running: 1 }. */
  statuses: Partial<Record<RunStatus, number>>;
  learners: LearnerName[];
  /** The best meta-test accuracy among its runs (the run's own meta-test), or null before one. */
  best: { learner: LearnerName; runId: number; mean: number; ci95: number } | null;
  /**
   * The settings its runs differ in beyond their seeds (config paths, the learner first), so that a
   * summary of its config does not state one value where its cells have several. Read for one
   * experiment at a time (its page), absent from the list.
   */
  varying?: string[];
}

export interface Run {
  id: number;
  experimentId: number;
  learner: LearnerName;
  seed: number;
  status: RunStatus;
  /** The backend the trainer got, in words (e.g. "wasm (SIMD, 1 thread; no GPU: …)"). */
  backend: string | null;
  /** The class split training took, in words (null before it started). */
  classSplit: string | null;
  /** What and where the trainer ran with (null before it started, or from an older workbench). */
  provenance: Provenance | null;
  pid: number | null;
  /** Last sign of life from the trainer, ms since the epoch. */
  heartbeat: number | null;
  queuedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  error: string | null;
  appVersion: string;
  /** The full config this run trains with, frozen when the run was created. */
  config: ExperimentConfig;
  /** Iterations done (as of the last metrics flush) and configured. */
  iteration: number;
  iterations: number;
  /** Times the run was resumed. */
  attempt: number;
  cancelRequested: boolean;
  /** The researcher's own words on the run, and tags to find it by. */
  notes: string;
  tags: string[];
  /** The checkpoint iteration the next resume starts from (0: from scratch); null: the newest. */
  resumeFrom: number | null;
  /** Where it trains: null or local, the local queue; slurm, a batch job per attempt. */
  executor: ExecutorChoice | null;
  /** Its current Slurm job, when it went to a cluster. */
  slurm: SlurmJobState | null;
  /**
   * The sweep it belongs to: a trial (compared on meta-validation only, never meta-tested) or a
   * final run (the chosen configuration on a fresh seed). `trial` is its index among its
   * learner's trials, or its seed's index among the final seeds.
   */
  sweep: { id: number; role: 'trial' | 'final'; trial: number } | null;
  /** A trial that successive halving stopped: why and where (its status is then cancelled). */
  stoppedEarly: string | null;
  /** The running time of its ended attempts (ms): time queued, or stopped between attempts, is not in it. */
  trainedMs: number;
  /** When the attempt now running started (ms since the epoch); null when none runs. */
  attemptStartedAt: number | null;
}

/**
 * A run's training time: the running time of its attempts, the one still running up to `now`
 * included. Time spent queued, or cancelled before a resume, does not count.
 */
export function trainingTime(
  run: Pick<Run, 'status' | 'trainedMs' | 'attemptStartedAt'>,
  now = Date.now(),
): number {
  const current =
    run.status === 'running' && run.attemptStartedAt != null ? Math.max(0, now - run.attemptStartedAt) : 0;
  return run.trainedMs + current;
}

/** A run's Slurm job as last seen: the job id, PENDING with its reason, RUNNING on which node… */
export interface SlurmJobState {
  jobId: string;
  state: string;
  reason: string | null;
  node: string | null;
  submittedAt: number;
}

export interface RunSummary extends Omit<Run, 'config'> {
  experimentName: string;
  /**
   * The run's cell of its experiment: its learner's short name and the settings in which the
   * experiment's runs differ, by label ("MAML · Space concept · Shots 5"); cellLabel in results.ts.
   */
  cell: string;
  /** Meta-test accuracy, when the run completed. */
  testMean: number | null;
  testCi95: number | null;
}

export interface MetricPoint {
  step: number;
  value: number;
  /** ms since the epoch. */
  time: number;
}

/** One metric key's series, steps ascending. */
export interface MetricSeries {
  key: string;
  steps: number[];
  values: number[];
  times: number[];
}

export interface MetricRecord extends MetricPoint {
  key: string;
}

/** Metric keys the trainer writes. */
export const METRIC_KEYS = {
  loss: 'train/loss',
  accuracy: 'train/accuracy',
  tasksPerSecond: 'train/tasks_per_second',
  /** The trainer process's resident memory (MiB), workers included. */
  memoryMb: 'system/rss_mb',
  /** The trainer's CPU time over wall time since the previous point, as a share of all cores (%). */
  cpuPercent: 'system/cpu_percent',
  /** Tensor memory on the GPU (MiB), on the GPU backends that report it (webgpu). */
  gpuMb: 'system/gpu_mb',
  valAccuracy: 'val/accuracy',
  valCi95: 'val/ci95',
  discriminationLoss: 'concept/discrimination_loss',
  discriminationAccuracy: 'concept/discrimination_accuracy',
  pretrainLoss: 'pretrain/loss',
  pretrainAccuracy: 'pretrain/accuracy',
} as const;

export interface Evaluation {
  id: number;
  runId: number;
  /**
   * training: a validation or the meta-test of the run's own training; evaluation: asked for
   * afterwards (`deml eval`, "Evaluate…"), on any dataset, split, shape or episode file.
   */
  origin: 'training' | 'evaluation';
  /** The split the seeded episodes were drawn from; null when they came from an episode file. */
  split: EvaluationSplit | null;
  /** The iteration of the parameters evaluated. */
  step: number;
  /** The dataset evaluated on (a `data` reference). */
  dataset: string;
  /** Ways; shots and queries per class (0 where an episode file varies them, or for a MANN). */
  ways: number;
  shots: number;
  queries: number;
  /** A MANN's sequences: presentations of each class; null for N-way K-shot episodes. */
  instances: number | null;
  /** A MANN's accuracy at each presentation of a class (1st, 2nd, …), mean ± CI; null otherwise. */
  byInstance: Array<{ mean: number; ci95: number }> | null;
  innerSteps: number;
  /** Two runs evaluated with the same seed (or episode file) saw the same episodes: they pair. */
  episodeSeed: number;
  /** SHA-256 of the episode file the episodes came from, and its name; null for seeded episodes. */
  episodeFile: string | null;
  episodeFileName: string | null;
  tasks: number;
  mean: number;
  ci95: number;
  std: number;
  accuracies: number[];
  createdAt: number;
  /** Wall time of the evaluation (null for those recorded before it was kept). */
  durationMs: number | null;
}

export const EVALUATION_REQUEST_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type EvaluationRequestStatus = (typeof EVALUATION_REQUEST_STATUSES)[number];

/** An evaluation asked for in the workbench, run by the job queue in a process of its own. */
export interface EvaluationRequestRecord {
  id: number;
  runId: number;
  request: EvaluationRequest;
  status: EvaluationRequestStatus;
  error: string | null;
  /** Tasks done / total while it runs. */
  done: number;
  total: number;
  /** The stored result, once completed. */
  evaluationId: number | null;
  pid: number | null;
  heartbeat: number | null;
  queuedAt: number;
  startedAt: number | null;
  endedAt: number | null;
}

export interface Checkpoint {
  runId: number;
  step: number;
  file: string;
  createdAt: number;
}

export interface RunDetail extends RunSummary {
  config: ExperimentConfig;
  evaluations: Evaluation[];
  /** Evaluations asked for and not completed yet (queued, running, failed, cancelled). */
  pendingEvaluations: EvaluationRequestRecord[];
  checkpoints: Checkpoint[];
}

export interface DatasetRecord {
  name: string;
  kind: string;
  classes: number;
  images: number;
  width: number;
  height: number;
  channels: number;
  updatedAt: number;
}

/** A trainer's live progress, streamed while it runs (not stored row by row). */
export interface RunProgress {
  runId: number;
  phase: 'starting' | 'pretraining' | 'training' | 'validating' | 'testing';
  iteration: number;
  iterations: number;
  loss: number | null;
  accuracy: number | null;
  tasksPerSecond: number | null;
  etaMs: number | null;
  /** Meta-test tasks done / total during the testing phase. */
  evaluated?: { done: number; total: number };
}
