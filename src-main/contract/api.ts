/**
 * The typed contract between the renderer (or the CLI) and the service: one channel → signature
 * map, used by the Electron IPC transport (preload + main) and the HTTP/WebSocket transport.
 * Only named functions of this map are exposed to the renderer. Payloads are validated at the
 * boundary with the schemas of apiSchemas.ts, from which the argument types here are inferred.
 * This file holds no runtime dependency (its imports are types only): the sandboxed preload
 * imports it, and a sandboxed preload can require nothing but Electron.
 */
import type { z } from 'zod';
import type * as Arg from './apiSchemas';
import type { ExperimentConfig } from './config';
import type { ExecutorChoice } from './executor';
import type { ProjectionRecord, ProjectionView } from './projection';
import type {
  DatasetRecord,
  Evaluation,
  EvaluationRequestRecord,
  Experiment,
  ExperimentSummary,
  MetricRecord,
  MetricSeries,
  RunDetail,
  RunProgress,
  RunSummary,
} from './records';
import type { EpisodeView } from './episodeView';
import type { RunColumnValue } from './runColumns';
import type { SweepDetail, SweepInput, SweepSummary, Tuning } from './sweep';

export type {
  CreateExperimentInput,
  EvaluationRequest,
  ExperimentFilter,
  ImportDatasetInput,
  LaunchRunsInput,
  MetricQuery,
  ProjectionRequest,
  RunAnnotation,
  RunFilter,
  SampleOptions,
} from './apiSchemas';

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
  /** Where new runs train by default, in words ("local", "slurm (partition gpu, …)"). */
  executor?: string;
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

export interface ImportDatasetResult {
  name: string;
  classes: number;
  images: number;
  /** Corrupt images skipped (each named in the trainer-independent import report). */
  corrupt: number;
  skippedNonImages: number;
  /** What else was left out, one line each (hidden files, links leading outside, unsupported formats). */
  skipped: string[];
  durationMs: number;
}

export interface ImportProgressEvent {
  name: string;
  phase: 'scan' | 'decode' | 'write';
  done: number;
  total: number;
}

/** A run as the compare view needs it: its config, its meta-tests, the series asked for. */
export interface RunComparison {
  run: RunSummary;
  config: ExperimentConfig;
  /** The meta-test of its training. */
  test: Evaluation | null;
  /** Every meta-test and episode-file evaluation of it, its training's included (results-table cells). */
  evaluations: Evaluation[];
  series: MetricSeries[];
  /** A sweep's final run: how its configuration was chosen (null otherwise). */
  tuning: Tuning | null;
}

/** A run's cells in a runs table's added columns, by column id (runColumns.ts). */
export interface RunColumnValues {
  runId: number;
  values: Record<string, RunColumnValue>;
}

export interface DemlApi {
  'app:info': () => AppInfo;
  'experiments:list': (filter?: Arg.ExperimentFilter) => ExperimentSummary[];
  'experiments:get': (id: number) => ExperimentSummary;
  'experiments:create': (input: Arg.CreateExperimentInput) => { experiment: Experiment; runs: RunSummary[] };
  'experiments:duplicate': (id: number) => Experiment;
  'experiments:delete': (id: number) => { runs: number };
  'runs:list': (filter?: Arg.RunFilter) => RunSummary[];
  'runs:get': (id: number) => RunDetail;
  'runs:metrics': (id: number, query?: Arg.MetricQuery) => MetricSeries[];
  'runs:log': (id: number) => string;
  'runs:launch': (experimentId: number, input?: Arg.LaunchRunsInput) => RunSummary[];
  'runs:cancel': (id: number) => RunSummary;
  /**
   * Queue a stopped run again: from its newest checkpoint, or the one at `from` (0: from scratch);
   * where it ran before, or on `executor` ('default': the workbench's own, e.g. after a Slurm
   * submission to a bad partition failed).
   */
  'runs:resume': (
    id: number,
    options?: { from?: number; executor?: ExecutorChoice | 'default' },
  ) => RunSummary;
  'datasets:list': () => DatasetRecord[];
  'datasets:samples': (name: string, options?: Arg.SampleOptions) => DatasetSamples;
  'datasets:import': (input: Arg.ImportDatasetInput) => ImportDatasetResult;
  /** Stops an import in progress (its call then fails with "import cancelled"); false if none. */
  'datasets:cancelImport': (name: string) => boolean;
  /** Sets a run's notes and/or tags (tags trimmed, duplicates dropped). */
  'runs:annotate': (id: number, annotation: Arg.RunAnnotation) => RunSummary;
  'runs:compare': (runIds: number[], keys?: string[]) => RunComparison[];
  /** Queue an evaluation of a run's checkpoint (checked against its data first). */
  'runs:evaluate': (runId: number, request: Arg.EvaluationRequest) => EvaluationRequestRecord;
  'evaluations:cancel': (requestId: number) => EvaluationRequestRecord;
  /** Deletes a run that is not queued, running or being evaluated: its rows and its files. */
  'runs:delete': (id: number) => { id: number };
  /** The runs' values in the given columns (settings by config path, metrics' latest values). */
  'runs:columns': (runIds: number[], columns: string[]) => RunColumnValues[];
  /**
   * Episode `index` (0: the first) of a run's meta-test with its checkpoint's predictions (the
   * newest checkpoint, or the one at `step`); worked out in a trainer process.
   */
  'runs:episode': (runId: number, options?: { index?: number; step?: number }) => EpisodeView;
  /** Create a sweep; the owner's scheduler queues its trials as slots free up. */
  'sweeps:create': (input: SweepInput) => SweepDetail;
  'sweeps:list': () => SweepSummary[];
  'sweeps:get': (id: number) => SweepDetail;
  /** Stop a sweep: its queued and running runs are cancelled (with a checkpoint); nothing is chosen. */
  'sweeps:cancel': (id: number) => SweepDetail;
  /** Queue a concept projection of a run's checkpoint (checked against its data first). */
  'runs:project': (runId: number, request: Arg.ProjectionRequest) => ProjectionRecord;
  /** A run's projections, oldest first, with their results. */
  'projections:list': (runId: number) => ProjectionRecord[];
  /** One projection with its points' images, for hover. */
  'projections:get': (id: number) => ProjectionView;
  'projections:cancel': (id: number) => ProjectionRecord;
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
  'evaluation:status': EvaluationRequestRecord;
  /** A line of a run's trainer log as it is written. */
  'run:log': { runId: number; line: string };
  'projection:status': ProjectionRecord;
}
export type EventName = keyof DemlEvents;
export const EVENTS = [
  'run:status',
  'run:progress',
  'run:metrics',
  'dataset:import',
  'evaluation:status',
  'run:log',
  'projection:status',
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
  'datasets:cancelImport',
  'runs:annotate',
  'runs:compare',
  'runs:evaluate',
  'evaluations:cancel',
  'runs:delete',
  'runs:columns',
  'runs:episode',
  'sweeps:create',
  'sweeps:list',
  'sweeps:get',
  'sweeps:cancel',
  'runs:project',
  'projections:list',
  'projections:get',
  'projections:cancel',
] as const satisfies readonly Channel[];

type Assert<T extends true> = T;
/** Fails to compile while a channel of DemlApi or an event of DemlEvents is missing from its list. */
export type EveryChannelAndEventListed = Assert<
  [Exclude<Channel, (typeof CHANNELS)[number]> | Exclude<EventName, (typeof EVENTS)[number]>] extends [never]
    ? true
    : false
>;

/** True when A and B are the same type (not merely assignable one way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type EveryChannel<T extends Record<Channel, true>> = T;
/**
 * Fails to compile when the argument schemas of apiSchemas.ts (ARGUMENTS) name a channel DemlApi
 * lacks, miss one, or parse a channel's arguments to anything but its parameters here (a new
 * argument, an optional one made required, another element type). The check lives here, with the
 * contract, so that the schemas need nothing of this file.
 */
export type ArgumentsMatchTheContract = EveryChannel<{
  [C in Channel]: Same<z.output<(typeof Arg.ARGUMENTS)[C]>, Args<C>>;
}> &
  Assert<[Exclude<keyof typeof Arg.ARGUMENTS, Channel>] extends [never] ? true : false>;

/** What a failed call tells the caller, the same over IPC and HTTP. */
export interface ApiErrorPayload {
  /**
   * invalid (bad arguments or config), not-found, conflict (e.g. a run in the wrong state), the
   * store's corrupt / newer / full / io, unauthorized / forbidden (browser mode), or internal.
   */
  code: string;
  message: string;
  /** Per-field problems ("model.filters": "…"), for forms to show beside their fields. */
  issues: Array<{ field: string; message: string }>;
}

/**
 * What a call answers over IPC: Electron passes only an error's message across, so the desktop
 * transport answers with its outcome and the renderer's client raises the error from it.
 */
export type CallOutcome<T> = { ok: true; result: T } | { ok: false; error: ApiErrorPayload };

/** What the preload exposes on window.deml: each channel as an async function. */
export type RendererApi = {
  [C in Channel]: (...args: Args<C>) => Promise<CallOutcome<Awaited<Result<C>>>>;
};
