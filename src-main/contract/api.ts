/**
 * The typed contract between the renderer (or the CLI) and the service: one channel → signature
 * map, used by the Electron IPC transport (preload + main) and the HTTP/WebSocket transport.
 * Only named functions of this map are exposed to the renderer. Payloads are validated at the
 * boundary with the schemas of apiSchemas.ts. This file holds no runtime dependency: the
 * sandboxed preload imports it, and a sandboxed preload can require nothing but Electron.
 */
import type { ExperimentConfig, ExperimentConfigInput, LearnerName } from './config';
import type {
  DatasetRecord,
  Evaluation,
  Experiment,
  ExperimentSummary,
  MetricRecord,
  MetricSeries,
  RunDetail,
  RunProgress,
  RunStatus,
  RunSummary,
} from './records';

export interface AppInfo {
  name: string;
  version: string;
  /** Runtime versions, for bug reports. */
  versions: Record<string, string>;
  platform: string;
  /** Where the store, datasets and checkpoints live. */
  dataDir?: string;
  /** desktop (Electron) or browser (`deml serve`). */
  transport?: 'desktop' | 'browser';
}

export interface ExperimentFilter {
  search?: string;
  tag?: string;
  learner?: LearnerName;
  status?: RunStatus;
}

export interface RunFilter {
  experimentId?: number;
  status?: RunStatus;
  learner?: LearnerName;
}

export interface CreateExperimentInput {
  name: string;
  description?: string;
  tags?: string[];
  /** The base config; each run overrides its learner and seed. */
  config: ExperimentConfigInput;
  /** One run per learner × seed (default: the config's learner and seed). */
  learners?: LearnerName[];
  seeds?: number[];
  /**
   * Cells of a comparison (e.g. a preset's MAML/Meta-SGD × pixels/concept × 1/5-shot), each a
   * partial config over the base; one run per variant × seed. Replaces `learners`.
   */
  variants?: Array<Record<string, unknown>>;
}

export interface LaunchRunsInput {
  learners?: LearnerName[];
  seeds?: number[];
}

export interface MetricQuery {
  keys?: string[];
  /** Only points after this step (live charts fetch what they do not have yet). */
  afterStep?: number;
}

/** A few images per class of a dataset, raw pixels (row-major, channels last), base64. */
export interface DatasetSamples {
  name: string;
  classes: number;
  images: number;
  width: number;
  height: number;
  channels: number;
  /** Class counts of the meta-train / -validation / -test split (the dataset's own when it has one). */
  splits: { train: number; val: number; test: number };
  samples: Array<{ className: string; images: string[] }>;
}

export interface ImportDatasetInput {
  format: 'omniglot' | 'folder' | 'miniimagenet';
  /** Name in the data directory (letters, digits, - and _). */
  name: string;
  /** Paths on the machine that runs the workbench: Omniglot zips or folders; one root folder otherwise. */
  paths: string[];
  size?: number;
  channels?: 1 | 3;
  rotations?: boolean;
}

export interface ImportDatasetResult {
  name: string;
  classes: number;
  images: number;
  /** Corrupt images skipped (each named in the trainer-independent import report). */
  corrupt: number;
  skippedNonImages: number;
  durationMs: number;
}

export interface ImportProgressEvent {
  name: string;
  phase: 'scan' | 'decode' | 'write';
  done: number;
  total: number;
}

/** A run as the compare view needs it: its config, its meta-test, the series asked for. */
export interface RunComparison {
  run: RunSummary;
  config: ExperimentConfig;
  test: Evaluation | null;
  series: MetricSeries[];
}

export interface DemlApi {
  'app:info': () => AppInfo;
  'experiments:list': (filter?: ExperimentFilter) => ExperimentSummary[];
  'experiments:get': (id: number) => ExperimentSummary;
  'experiments:create': (input: CreateExperimentInput) => { experiment: Experiment; runs: RunSummary[] };
  'experiments:duplicate': (id: number) => Experiment;
  'experiments:delete': (id: number) => { runs: number };
  'runs:list': (filter?: RunFilter) => RunSummary[];
  'runs:get': (id: number) => RunDetail;
  'runs:metrics': (id: number, query?: MetricQuery) => MetricSeries[];
  'runs:log': (id: number) => string;
  'runs:launch': (experimentId: number, input?: LaunchRunsInput) => RunSummary[];
  'runs:cancel': (id: number) => RunSummary;
  'runs:resume': (id: number) => RunSummary;
  'datasets:list': () => DatasetRecord[];
  'datasets:samples': (name: string, options?: { classes?: number; perClass?: number }) => DatasetSamples;
  'datasets:import': (input: ImportDatasetInput) => ImportDatasetResult;
  'runs:compare': (runIds: number[], keys?: string[]) => RunComparison[];
}

export type Channel = keyof DemlApi;
export type Args<C extends Channel> = Parameters<DemlApi[C]>;
export type Result<C extends Channel> = ReturnType<DemlApi[C]>;

/** Events the service pushes to every connected renderer. */
export interface DemlEvents {
  'run:status': RunSummary;
  'run:progress': RunProgress;
  'run:metrics': { runId: number; points: MetricRecord[] };
  'dataset:import': ImportProgressEvent;
}
export type EventName = keyof DemlEvents;
export const EVENTS = [
  'run:status',
  'run:progress',
  'run:metrics',
  'dataset:import',
] as const satisfies readonly EventName[];

/** The channels the preload may forward. Adding a channel here is the only way to expose one. */
export const CHANNELS = [
  'app:info',
  'experiments:list',
  'experiments:get',
  'experiments:create',
  'experiments:duplicate',
  'experiments:delete',
  'runs:list',
  'runs:get',
  'runs:metrics',
  'runs:log',
  'runs:launch',
  'runs:cancel',
  'runs:resume',
  'datasets:list',
  'datasets:samples',
  'datasets:import',
  'runs:compare',
] as const satisfies readonly Channel[];

/** What the preload exposes on window.deml: each channel as an async function. */
export type RendererApi = { [C in Channel]: (...args: Args<C>) => Promise<Result<C>> };
