/**
 * The typed contract between the renderer (or the CLI) and the service: one channel → signature
 * map, used by the Electron IPC transport (preload + main) and the HTTP/WebSocket transport.
 * Only named functions of this map are exposed to the renderer. Payloads are validated at the
 * boundary with the schemas below.
 */
import { z } from 'zod';
import { LEARNERS, type ExperimentConfigInput, type LearnerName } from './config';
import {
  RUN_STATUSES,
  type DatasetRecord,
  type Experiment,
  type ExperimentSummary,
  type MetricRecord,
  type MetricSeries,
  type RunDetail,
  type RunProgress,
  type RunStatus,
  type RunSummary,
} from './records';

export interface AppInfo {
  name: string;
  version: string;
  /** Runtime versions, for bug reports. */
  versions: Record<string, string>;
  platform: string;
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
}

export type Channel = keyof DemlApi;
export type Args<C extends Channel> = Parameters<DemlApi[C]>;
export type Result<C extends Channel> = ReturnType<DemlApi[C]>;

/** Events the service pushes to every connected renderer. */
export interface DemlEvents {
  'run:status': RunSummary;
  'run:progress': RunProgress;
  'run:metrics': { runId: number; points: MetricRecord[] };
}
export type EventName = keyof DemlEvents;
export const EVENTS = ['run:status', 'run:progress', 'run:metrics'] as const satisfies readonly EventName[];

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
] as const satisfies readonly Channel[];

/** What the preload exposes on window.deml: each channel as an async function. */
export type RendererApi = { [C in Channel]: (...args: Args<C>) => Promise<Result<C>> };

const id = z.number().int().positive();
const learner = z.enum(LEARNERS);
const seeds = z.array(z.number().int().nonnegative()).min(1).max(100);

/** Argument schemas per channel (the config itself is checked by parseExperimentConfig). */
export const ARGUMENTS: { [C in Channel]: z.ZodType<unknown[]> } = {
  'app:info': z.tuple([]),
  'experiments:list': z.tuple([
    z
      .object({
        search: z.string().max(200).optional(),
        tag: z.string().max(100).optional(),
        learner: learner.optional(),
        status: z.enum(RUN_STATUSES).optional(),
      })
      .strict()
      .optional(),
  ]),
  'experiments:get': z.tuple([id]),
  'experiments:create': z.tuple([
    z
      .object({
        name: z.string().trim().min(1, 'give the experiment a name').max(200),
        description: z.string().max(10_000).optional(),
        tags: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
        config: z.record(z.string(), z.unknown()),
        learners: z.array(learner).min(1).max(LEARNERS.length).optional(),
        seeds: seeds.optional(),
      })
      .strict(),
  ]),
  'experiments:duplicate': z.tuple([id]),
  'experiments:delete': z.tuple([id]),
  'runs:list': z.tuple([
    z
      .object({
        experimentId: id.optional(),
        status: z.enum(RUN_STATUSES).optional(),
        learner: learner.optional(),
      })
      .strict()
      .optional(),
  ]),
  'runs:get': z.tuple([id]),
  'runs:metrics': z.tuple([
    id,
    z
      .object({
        keys: z.array(z.string().max(100)).max(50).optional(),
        afterStep: z.number().int().optional(),
      })
      .strict()
      .optional(),
  ]),
  'runs:log': z.tuple([id]),
  'runs:launch': z.tuple([
    id,
    z
      .object({ learners: z.array(learner).min(1).optional(), seeds: seeds.optional() })
      .strict()
      .optional(),
  ]),
  'runs:cancel': z.tuple([id]),
  'runs:resume': z.tuple([id]),
  'datasets:list': z.tuple([]),
};
