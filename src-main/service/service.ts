/**
 * The contract's implementation over the store, the data and the job queue. One instance owns a
 * data directory (the lock) and runs its queue; a "client" instance (the CLI while the app or
 * `deml serve` runs) reads the store and writes requests (cancel, resume) that the owner's
 * queue picks up.
 */
import { availableParallelism } from 'node:os';
import { readFile, rm } from 'node:fs/promises';
import { ARGUMENTS } from '../contract/apiSchemas';
import {
  type AppInfo,
  type Args,
  type Channel,
  type CreateExperimentInput,
  type DatasetSamples,
  type ImportDatasetInput,
  type ImportDatasetResult,
  type RunComparison,
  type DemlEvents,
  type EvaluationRequest,
  type EventName,
  type ExperimentFilter,
  type LaunchRunsInput,
  type RunAnnotation,
  type MetricQuery,
  type Result,
  type RunFilter,
} from '../contract/api';
import {
  type ExperimentConfig,
  type LearnerName,
  SplitConfigSchema,
  describeIssue,
  parseExperimentConfig,
  settingLabel,
} from '../contract/config';
import {
  ACTIVE_STATUSES,
  RESUMABLE_STATUSES,
  type DatasetRecord,
  type EvaluationRequestRecord,
  type Experiment,
  type ExperimentSummary,
  type MetricSeries,
  type RunDetail,
  type RunSummary,
} from '../contract/records';
import { listDatasets } from '../data/cache';
import { importDataset } from '../data/import/importer';
import { prepareEvaluation } from '../data/evaluationData';
import { type CachingDatasetLoader, datasetLoader, resolveTrainingData } from '../data/trainingData';
import type { ClassIndexedDataset } from '../engine/dataset';
import { splitClasses } from '../engine/episodes';
import type { EpisodeView } from '../contract/episodeView';
import { type ExecutorChoice, describeExecutor } from '../contract/executor';
import { type TrainerLauncher, forkLauncher, trainerCommand } from '../jobs/launcher';
import type { QueueListener } from '../jobs/jobEvents';
import { JobQueue } from '../jobs/queue';
import { type SlurmCommands, slurmCommands } from '../jobs/slurm/commands';
import { SlurmExecutor } from '../jobs/slurm/executor';
import { runDirectory, trainerLogPath } from '../layout/dataDirectory';
import { type InstanceLock, acquireInstanceLock } from '../store/instanceLock';
import { type Store, openStore } from '../store/store';
import { ServiceError } from './errors';
import { episodeFromTrainer } from './episodes';
import { runColumnValues } from './runColumns';
import { type SweepDetail, type SweepInput, tuningOf } from '../contract/sweep';
import { SweepScheduler } from '../sweeps/scheduler';
import { sweepDetail, sweepSummary } from '../sweeps/detail';
import { prepareSweep } from '../sweeps/prepare';
import {
  type ProjectorContext,
  cancelProjection,
  listProjections,
  projectionView,
  requestProjection,
} from './projections';

const DEFAULT_SPLIT = SplitConfigSchema.parse({});

/** A run's cell in its experiment: its config without the seed, keys sorted at every level. */
function cellKey(config: ExperimentConfig): string {
  const sorted = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
        )
      : v;
  return JSON.stringify(sorted({ ...config, seed: null }));
}

/** A variant over a base config: nested sections (model, concept, …) merge field by field. */
function mergeConfig(base: object, variant: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(variant)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? mergeConfig(b, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export interface ServiceOptions {
  dataDir: string;
  appVersion: string;
  /**
   * owner: take the data directory's lock and run the queue (the app, `deml serve`, a CLI that
   * trains in the foreground). client: read, and leave requests for the owner.
   */
  mode: 'owner' | 'client';
  /** What holds the lock, in the message a second instance gets. */
  ownerName?: string;
  launcher?: TrainerLauncher;
  concurrency?: number;
  pollMs?: number;
  staleMs?: number;
  /** How long a trainer asked to stop may take before it is killed (JobQueueOptions). */
  stopGraceMs?: number;
  /** Where new runs train unless an experiment says otherwise (default: the local queue). */
  executor?: ExecutorChoice;
  /** The slurm executor's tools and checks (tests and the app fill these in). */
  slurm?: {
    commands?: SlurmCommands;
    /** The trainer entry the job scripts start (default: the one the local queue forks). */
    entry?: string;
    probe?: boolean;
    probeTimeoutMs?: number;
  };
  /** Extra app facts for app:info (the Electron shell fills in its runtime). */
  appInfo?: () => AppInfo;
}

type Listener<E extends EventName> = (payload: DemlEvents[E]) => void;

export class WorkbenchService {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();
  /** Datasets are loaded once per service (the queue's trainers load their own). */
  private readonly load: CachingDatasetLoader;
  /** Starts trainer processes: the queue's, and the episode viewer's short jobs. */
  private readonly launch: TrainerLauncher;
  readonly queue: JobQueue | null;
  /** Carries sweeps forward (the owner only); ticks on its own timer and on each sweep run's status. */
  private readonly sweeps: SweepScheduler | null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private closing = false;
  /** The last error a sweep tick met (it never throws from a timer), for the owner to report. */
  sweepError: string | null = null;

  private constructor(
    readonly store: Store,
    private readonly o: ServiceOptions,
    private readonly lock: InstanceLock | null,
  ) {
    this.load = datasetLoader(o.dataDir);
    this.launch = o.launcher ?? forkLauncher({ env: sharedThreads(o.concurrency ?? 1) });
    const listener: QueueListener = {
      onStatus: (run) => {
        this.emit('run:status', this.asSeen(run));
        // A validation or an end of a sweep's run may decide a rung or free a slot: at once, not at the next poll.
        if (run.sweep) this.tickSweeps();
      },
      onProgress: (p) => this.emit('run:progress', p),
      onMetrics: (runId, points) => this.emit('run:metrics', { runId, points }),
      onEvaluation: (request) => this.emit('evaluation:status', request),
      onProjection: (projection) => this.emit('projection:status', projection),
      onLog: (runId, line) => this.emit('run:log', { runId, line }),
    };
    this.queue =
      o.mode === 'owner'
        ? new JobQueue({
            store,
            dataDir: o.dataDir,
            launch: this.launch,
            concurrency: o.concurrency,
            pollMs: o.pollMs,
            staleMs: o.staleMs,
            stopGraceMs: o.stopGraceMs,
            listener,
            slurm: new SlurmExecutor({
              store,
              dataDir: o.dataDir,
              commands: o.slurm?.commands ?? slurmCommands(),
              command: () => trainerCommand(o.slurm?.entry),
              electron: process.versions.electron != null,
              listener,
              probe: o.slurm?.probe,
              probeTimeoutMs: o.slurm?.probeTimeoutMs,
            }),
          })
        : null;
    this.sweeps = this.queue
      ? new SweepScheduler({
          store,
          appVersion: o.appVersion,
          concurrency: Math.max(1, o.concurrency ?? 1),
          cancel: (id) => this.queue!.cancel(id),
          resume: (id) => this.resumeRun(id),
          pump: () => this.queue!.pump(),
        })
      : null;
  }

  /** One step of every running sweep; what goes wrong is kept, never thrown (timers and events call it). */
  tickSweeps(): void {
    // While closing, the runs the shutdown interrupts must stay interrupted: the next workbench resumes them.
    if (this.closing) return;
    const error = this.sweeps?.tick();
    if (error) this.sweepError = error;
  }

  static open(o: ServiceOptions): WorkbenchService {
    const lock = o.mode === 'owner' ? acquireInstanceLock(o.dataDir, o.ownerName ?? 'DEML Workbench') : null;
    let store: Store;
    try {
      store = openStore(o.dataDir);
    } catch (e) {
      lock?.release();
      throw e;
    }
    const service = new WorkbenchService(store, o, lock);
    service.queue?.start();
    if (service.sweeps) {
      service.tickSweeps();
      service.sweepTimer = setInterval(() => service.tickSweeps(), o.pollMs ?? 1000);
      service.sweepTimer.unref();
    }
    return service;
  }

  /** Validate a transport's payload and call the channel's method. */
  async call<C extends Channel>(channel: C, args: unknown[]): Promise<Awaited<Result<C>>> {
    const schema = ARGUMENTS[channel];
    if (!schema) throw new ServiceError(`unknown channel '${String(channel)}'`, 'invalid');
    const parsed = schema.safeParse(args);
    if (!parsed.success) {
      // A path starts with the argument's index; fields are named as the argument's own keys.
      // Settings inside a config are named by their labels, like every config message.
      const issues = parsed.error.issues.map((i) => {
        const field = i.path.slice(1).map(String).join('.') || 'arguments';
        return { field, message: describeIssue(i) };
      });
      const first = issues[0]!;
      const where = first.field.startsWith('config.')
        ? settingLabel(first.field.slice('config.'.length))
        : first.field === 'arguments'
          ? 'the request'
          : settingLabel(first.field);
      throw new ServiceError(`${channel} was refused: ${where}: ${first.message}`, 'invalid', issues);
    }
    const method = this.handlers[channel] as (...a: unknown[]) => unknown;
    return (await method(...(parsed.data as unknown[]))) as Awaited<Result<C>>;
  }

  /** Each channel of the contract, bound to this service. */
  readonly handlers: { [C in Channel]: (...args: Args<C>) => Result<C> | Promise<Result<C>> } = {
    'app:info': () => ({
      ...(this.o.appInfo?.() ?? {
        name: 'DEML Workbench',
        version: this.o.appVersion,
        versions: { node: process.versions.node },
        platform: process.platform,
      }),
      dataDir: this.o.dataDir,
      executor: describeExecutor(this.o.executor ?? null),
    }),
    'experiments:list': (filter?: ExperimentFilter) => this.store.experiments.list(filter),
    'experiments:get': (id: number) => this.experiment(id),
    'experiments:create': (input: CreateExperimentInput) => this.createExperiment(input),
    'experiments:duplicate': (id: number) => this.duplicateExperiment(id),
    'experiments:delete': (id: number) => this.deleteExperiment(id),
    'runs:list': (filter?: RunFilter) => this.store.runs.list(filter).map((r) => this.asSeen(r)),
    'runs:get': (id: number) => this.run(id),
    'runs:metrics': (id: number, query?: MetricQuery) => this.metrics(id, query),
    'runs:log': (id: number) => this.log(id),
    'runs:launch': (experimentId: number, input?: LaunchRunsInput) => this.launchRuns(experimentId, input),
    'runs:cancel': (id: number) => this.cancelRun(id),
    'runs:resume': (id: number, options?: { from?: number; executor?: ExecutorChoice | 'default' }) =>
      this.resumeRun(id, options),
    'datasets:list': () => this.listDatasets(),
    'datasets:samples': (name: string, options?: { classes?: number; perClass?: number }) =>
      this.datasetSamples(name, options),
    'datasets:import': (input: ImportDatasetInput) => this.importDataset(input),
    'datasets:cancelImport': (name: string) => this.cancelImport(name),
    'runs:annotate': (id: number, annotation: RunAnnotation) => this.annotateRun(id, annotation),
    'runs:compare': (runIds: number[], keys?: string[]) => this.compareRuns(runIds, keys),
    'runs:evaluate': (runId: number, request: EvaluationRequest) => this.evaluateRun(runId, request),
    'evaluations:cancel': (requestId: number) => this.cancelEvaluation(requestId),
    'runs:delete': (id: number) => this.deleteRun(id),
    'runs:columns': (runIds: number[], columns: string[]) => runColumnValues(this.store, runIds, columns),
    'runs:episode': (runId: number, options?: { index?: number; step?: number }) =>
      this.episode(runId, options),
    'sweeps:create': (input: SweepInput) => this.createSweep(input),
    'sweeps:list': () => this.store.sweeps.list().map((s) => sweepSummary(this.store, s)),
    'sweeps:get': (id: number) => this.sweep(id),
    'sweeps:cancel': (id: number) => this.cancelSweep(id),
    'runs:project': (runId, request) => requestProjection(this.projector, runId, request),
    'projections:list': (runId) => listProjections(this.projector, runId),
    'projections:get': (id) => projectionView(this.projector, id),
    'projections:cancel': (id) => cancelProjection(this.projector, id),
  };

  /** What the projector's handlers (service/projections.ts) work with. */
  private get projector(): ProjectorContext {
    return {
      store: this.store,
      load: this.load,
      queue: this.queue,
      emit: (record) => this.emit('projection:status', record),
    };
  }

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<EventName>);
    return () => set.delete(listener as Listener<EventName>);
  }

  private emit<E extends EventName>(event: E, payload: DemlEvents[E]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        l(payload);
      } catch {
        // One broken subscriber must not stop the others or the queue.
      }
    }
  }

  experiment(id: number): ExperimentSummary {
    const e = this.store.experiments.summary(id);
    if (!e) throw new ServiceError(`experiment ${id} does not exist`, 'not-found');
    return e;
  }

  /**
   * Create an experiment and queue its runs (learner × seed). Every run's config is checked
   * against its dataset first: a config that fails validation never reaches the queue.
   */
  async createExperiment(
    input: CreateExperimentInput,
  ): Promise<{ experiment: Experiment; runs: RunSummary[] }> {
    const base = parseExperimentConfig(input.config);
    const configs = await this.runConfigs(base, input);
    const executor = input.executor ?? this.o.executor ?? null;
    const created = this.store.transaction(() => {
      const experiment = this.store.experiments.create({
        name: input.name.trim(),
        description: input.description ?? '',
        tags: [...new Set(input.tags ?? [])],
        config: base,
      });
      const runs = configs.map(
        (config) =>
          this.store.runs.create({
            experimentId: experiment.id,
            config,
            appVersion: this.o.appVersion,
            executor,
          }).id,
      );
      return { experiment, runs };
    });
    this.queue?.pump();
    return { experiment: created.experiment, runs: created.runs.map((id) => this.store.runs.summary(id)!) };
  }

  /**
   * More runs for an experiment. Every cell the experiment already has (each distinct run config
   * but its seed: a learner, or a preset's learner × space × shots) gets each new seed, so that a
   * comparison stays balanced; `learners` narrows that to some learners (one without a cell yet
   * starts from the experiment's base config). A cell × seed that already has a run is skipped:
   * the same seed again would only duplicate it (resume is how a run is retried). Validated like
   * a new experiment's runs.
   */
  async launchRuns(experimentId: number, input: LaunchRunsInput = {}): Promise<RunSummary[]> {
    const experiment = this.experiment(experimentId);
    // Oldest first: the new runs come in the order the experiment's cells were made.
    const runs = this.store.runs
      .list({ experimentId })
      .sort((a, b) => a.id - b.id)
      .map((r) => this.store.runs.get(r.id)!.config);
    const cells = new Map<string, ExperimentConfig>();
    const taken = new Set<string>();
    for (const config of runs) {
      const key = cellKey(config);
      if (!cells.has(key)) cells.set(key, config);
      taken.add(`${key}#${config.seed}`);
    }
    const wanted = input.learners ? new Set(input.learners) : null;
    const chosen = [...cells.values()].filter((c) => !wanted || wanted.has(c.learner));
    for (const learner of wanted ?? [])
      if (!chosen.some((c) => c.learner === learner)) chosen.push({ ...experiment.config, learner });
    if (!chosen.length) chosen.push(experiment.config);
    const seeds = input.seeds?.length ? [...new Set(input.seeds)] : [experiment.config.seed];
    const fresh = chosen.flatMap((cell) =>
      seeds.filter((seed) => !taken.has(`${cellKey(cell)}#${seed}`)).map((seed) => ({ ...cell, seed })),
    );
    if (!fresh.length) {
      throw new ServiceError(
        `every cell of experiment ${experimentId} already has a run with seed ${seeds.join(', ')}; choose other seeds (resume retries a run)`,
        'conflict',
      );
    }
    const configs = fresh.map((c) => parseExperimentConfig(c));
    for (const config of configs) await resolveTrainingData(config, this.load);
    const ids = this.store.transaction(() =>
      configs.map(
        (config) =>
          this.store.runs.create({
            experimentId,
            config,
            appVersion: this.o.appVersion,
            executor: input.executor ?? this.o.executor ?? null,
          }).id,
      ),
    );
    this.queue?.pump();
    return ids.map((id) => this.store.runs.summary(id)!);
  }

  duplicateExperiment(id: number): Experiment {
    const e = this.experiment(id);
    return this.store.experiments.create({
      name: `${e.name} (copy)`,
      description: e.description,
      tags: e.tags,
      config: e.config,
    });
  }

  /** Deletes the experiment, its rows and its runs' files; other experiments' data is untouched. */
  async deleteExperiment(id: number): Promise<{ runs: number }> {
    this.experiment(id);
    // A running sweep starts trials (or final runs) in it at any moment, and reads them.
    const sweep = this.store.sweeps
      .running()
      .find((s) => s.trialsExperimentId === id || s.finalExperimentId === id);
    if (sweep) {
      throw new ServiceError(
        `experiment ${id} belongs to sweep ${sweep.id} (${sweep.name}), which is still running; cancel the sweep or let it end first`,
        'conflict',
      );
    }
    const runs = this.store.runs.list({ experimentId: id });
    const active = runs.filter((r) => ACTIVE_STATUSES.includes(r.status));
    if (active.length > 0) {
      throw new ServiceError(
        `experiment ${id} still has ${active.length} queued or running run(s) (${active.map((r) => r.id).join(', ')}); cancel them first`,
        'conflict',
      );
    }
    this.store.experiments.delete(id);
    for (const r of runs) await rm(runDirectory(this.o.dataDir, r.id), { recursive: true, force: true });
    return { runs: runs.length };
  }

  /**
   * Deletes one run, its rows and its folder (checkpoints, log). A queued or running run, or one
   * with an evaluation waiting or under way, is refused: its trainer would go on writing to rows
   * and files that no longer exist. So is a run of a sweep still running, which its scheduler reads.
   */
  async deleteRun(id: number): Promise<{ id: number }> {
    const run = this.store.runs.get(id);
    if (!run) throw new ServiceError(`run ${id} does not exist`, 'not-found');
    if (!this.store.runs.delete(id)) {
      const now = this.store.runs.get(id);
      const sweep = now?.sweep ? this.store.sweeps.get(now.sweep.id) : null;
      const busy =
        now && ACTIVE_STATUSES.includes(now.status)
          ? `is ${now.status}; cancel it first`
          : sweep?.status === 'running'
            ? `belongs to sweep ${sweep.id}, which is still running; cancel the sweep or let it end first`
            : 'has an evaluation queued or under way; cancel it first (its run page lists it)';
      throw new ServiceError(`run ${id} ${busy}`, 'conflict');
    }
    await rm(runDirectory(this.o.dataDir, id), { recursive: true, force: true });
    return { id };
  }

  /**
   * Episode `index` of a run's meta-test with its checkpoint's prediction for each query (a
   * MANN's: for each step of the task's first sequence) (the episode viewer). Checked here as an evaluation request is (a run without a checkpoint is
   * refused at once); the checkpoint is run in a trainer process of its own.
   */
  async episode(runId: number, options: { index?: number; step?: number } = {}): Promise<EpisodeView> {
    const run = this.store.runs.get(runId);
    if (!run) throw new ServiceError(`run ${runId} does not exist`, 'not-found');
    // One episode job per run: stepping through episodes quickly stops the ones no longer shown.
    // Taken at the call, before anything is awaited, so the later request always wins, however
    // long each one's checks take.
    this.episodeJobs.get(runId)?.abort();
    const controller = new AbortController();
    this.episodeJobs.set(runId, controller);
    const index = options.index ?? 0;
    const superseded = () =>
      new ServiceError(`episode ${index} of run ${runId} was superseded by another`, 'cancelled');
    try {
      await this.checkEvaluation(runId, run.config, options.step == null ? {} : { step: options.step });
      if (controller.signal.aborted) throw superseded();
      return await episodeFromTrainer(
        this.launch,
        { runId, index, step: options.step, dataDir: this.o.dataDir },
        { signal: controller.signal },
      );
    } finally {
      if (this.episodeJobs.get(runId) === controller) this.episodeJobs.delete(runId);
    }
  }

  /** The episode job under way for each run (see episode()). */
  private readonly episodeJobs = new Map<number, AbortController>();

  /**
   * An evaluation of run `runId`'s checkpoint checked here as its trainer process will check it
   * (the checkpoint exists and is whole, the data fits the trained network): a bad request is
   * refused at once, naming the field. For evaluateRun and the episode viewer.
   */
  private async checkEvaluation(runId: number, trained: ExperimentConfig, request: EvaluationRequest) {
    await prepareEvaluation({
      trained,
      request,
      checkpoints: this.store.checkpoints.list(runId),
      owner: `run ${runId}`,
      load: this.load,
      dataDir: this.o.dataDir,
    });
  }

  /**
   * A run as this workbench knows it: with the end its queue saw but could not write yet (a full
   * disk), rather than the "running" the store still says.
   */
  private asSeen<T extends RunSummary>(r: T): T {
    const end = this.queue?.endOf(r.id);
    return end && r.status === 'running' ? { ...r, ...end } : r;
  }

  run(id: number): RunDetail {
    const summary = this.store.runs.summary(id);
    const run = this.store.runs.get(id);
    if (!summary || !run) throw new ServiceError(`run ${id} does not exist`, 'not-found');
    return {
      ...this.asSeen(summary),
      config: run.config,
      evaluations: this.store.evaluations.list(id),
      pendingEvaluations: this.store.evaluationRequests.pending(id),
      checkpoints: this.store.checkpoints.list(id),
    };
  }

  /**
   * Queue an evaluation of a run's checkpoint. The request is checked against the run's
   * checkpoints and the data first (as the evaluating process will check it), so a bad one is
   * refused now, naming the field; the owner's queue carries it out in a process of its own.
   */
  async evaluateRun(runId: number, request: EvaluationRequest): Promise<EvaluationRequestRecord> {
    const run = this.store.runs.get(runId);
    if (!run) throw new ServiceError(`run ${runId} does not exist`, 'not-found');
    const sweep = run.sweep?.role === 'trial' ? this.store.sweeps.get(run.sweep.id) : null;
    if (sweep?.status === 'running' && (request.split ?? 'test') === 'test') {
      throw new ServiceError(
        `run ${runId} is a trial of sweep ${sweep.id}, which is still running: trials are compared on ` +
          'meta-validation only, and the meta-test waits for the sweep to end',
        'conflict',
      );
    }
    await this.checkEvaluation(runId, run.config, request);
    const record = this.store.evaluationRequests.create(runId, request);
    this.emit('evaluation:status', record);
    this.queue?.pump();
    return this.store.evaluationRequests.get(record.id)!;
  }

  cancelEvaluation(requestId: number): EvaluationRequestRecord {
    const known = this.queue
      ? this.queue.cancelEvaluation(requestId)
      : this.store.evaluationRequests.requestCancel(requestId) != null;
    if (!known) throw new ServiceError(`evaluation ${requestId} does not exist`, 'not-found');
    const record = this.store.evaluationRequests.get(requestId)!;
    this.emit('evaluation:status', record);
    return record;
  }

  metrics(id: number, query: MetricQuery = {}): MetricSeries[] {
    if (!this.store.runs.get(id)) throw new ServiceError(`run ${id} does not exist`, 'not-found');
    return this.store.metrics.series(id, query);
  }

  /** Runs side by side: config, meta-test (every task's accuracy, for paired tests), series. */
  compareRuns(
    runIds: number[],
    keys: string[] = ['train/loss', 'train/accuracy', 'val/accuracy'],
  ): RunComparison[] {
    return [...new Set(runIds)].map((id) => {
      const detail = this.run(id);
      const { evaluations, checkpoints: _c, pendingEvaluations: _p, config, ...run } = detail;
      const test =
        [...evaluations].reverse().find((e) => e.split === 'test' && e.origin === 'training') ?? null;
      const sweep = run.sweep?.role === 'final' ? this.store.sweeps.get(run.sweep.id) : null;
      return {
        run,
        config,
        test,
        evaluations: evaluations.filter((e) => e.split === 'test' || e.split === null),
        series: this.store.metrics.series(id, { keys }),
        tuning: sweep ? tuningOf(sweep, run.learner) : null,
      };
    });
  }

  /** The trainer's output (the end of it: logs of long runs can be large). */
  async log(id: number, maxBytes = 64 * 1024): Promise<string> {
    if (!this.store.runs.get(id)) throw new ServiceError(`run ${id} does not exist`, 'not-found');
    try {
      const text = await readFile(trainerLogPath(this.o.dataDir, id), 'utf8');
      return text.length > maxBytes ? text.slice(text.length - maxBytes) : text;
    } catch {
      return '';
    }
  }

  annotateRun(id: number, annotation: RunAnnotation): RunSummary {
    const tags = annotation.tags && [...new Set(annotation.tags.map((t) => t.trim()))];
    if (!this.store.runs.annotate(id, { notes: annotation.notes, tags }))
      throw new ServiceError(`run ${id} does not exist`, 'not-found');
    const run = this.store.runs.summary(id)!;
    this.emit('run:status', run);
    return run;
  }

  cancelImport(name: string): boolean {
    const controller = this.imports.get(name);
    controller?.abort();
    return controller != null;
  }

  cancelRun(id: number): RunSummary {
    if (this.queue) {
      if (!this.queue.cancel(id)) throw new ServiceError(`run ${id} does not exist`, 'not-found');
    } else if (this.store.runs.requestCancel(id) == null) {
      throw new ServiceError(`run ${id} does not exist`, 'not-found');
    }
    return this.store.runs.summary(id)!;
  }

  /**
   * Queue a stopped run again; its trainer continues from the newest checkpoint, or from `from`.
   * It goes where it went before, or to `executor` ('default': the workbench's own executor).
   */
  resumeRun(id: number, options: { from?: number; executor?: ExecutorChoice | 'default' } = {}): RunSummary {
    const run = this.store.runs.get(id);
    if (!run) throw new ServiceError(`run ${id} does not exist`, 'not-found');
    if (!RESUMABLE_STATUSES.includes(run.status)) {
      throw new ServiceError(
        `run ${id} is ${run.status}; only ${RESUMABLE_STATUSES.join(', ')} runs can be resumed`,
        'conflict',
      );
    }
    const { from } = options;
    if (from != null && from > 0 && !this.store.checkpoints.list(id).some((c) => c.step === from)) {
      const kept = this.store.checkpoints.list(id).map((c) => c.step);
      throw new ServiceError(
        `run ${id} has no checkpoint at iteration ${from}${kept.length ? `; it has: ${kept.join(', ')}` : ''} (0 starts from scratch)`,
        'invalid',
        [{ field: 'from', message: `no checkpoint at iteration ${from}` }],
      );
    }
    const executor =
      options.executor === 'default' ? (this.o.executor ?? null) : (options.executor ?? undefined);
    this.store.runs.requeue(id, Date.now(), from ?? null, executor);
    const summary = this.store.runs.summary(id)!;
    this.emit('run:status', summary);
    this.queue?.pump();
    return summary;
  }

  async listDatasets(): Promise<DatasetRecord[]> {
    // The embedded default is generated (and so listed) on first use.
    await this.load('glyphs');
    for (const m of await listDatasets(this.o.dataDir)) {
      this.store.datasets.upsert({
        name: m.id,
        kind: m.sourceFormat,
        classes: m.classes,
        images: m.images,
        width: m.width,
        height: m.height,
        channels: m.channels,
      });
    }
    return this.store.datasets.list();
  }

  /** Import into the data directory, with progress events; an existing name is replaced atomically. */
  /** Imports in progress, by dataset name: what `datasets:cancelImport` aborts. */
  private readonly imports = new Map<string, AbortController>();

  async importDataset(input: ImportDatasetInput): Promise<ImportDatasetResult> {
    if (this.imports.has(input.name))
      throw new ServiceError(`dataset '${input.name}' is already being imported`, 'conflict');
    const controller = new AbortController();
    this.imports.set(input.name, controller);
    let r: Awaited<ReturnType<typeof importDataset>>;
    try {
      r = await importDataset({
        ...input,
        dataDir: this.o.dataDir,
        signal: controller.signal,
        onProgress: (p) => this.emit('dataset:import', { name: input.name, ...p }),
      });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw new ServiceError((e as Error).message, 'cancelled');
      throw e;
    } finally {
      this.imports.delete(input.name);
    }
    this.load.forget(input.name);
    await this.listDatasets();
    return {
      name: r.manifest.id,
      classes: r.manifest.classes,
      images: r.manifest.images,
      corrupt: r.report.corrupt.length,
      skippedNonImages: r.report.skippedNonImages,
      skipped: [
        ...(r.report.skippedHidden ? [`${r.report.skippedHidden} hidden file(s) or folder(s)`] : []),
        ...(r.report.skippedLinks ?? []).map(
          (l) => `a link leading outside the source, or out of its class folder: ${l}`,
        ),
        ...(r.report.unsupported ?? []).map((u) => `${u.path}: ${u.reason}`),
        ...(r.report.duplicates ?? []).map((d) => `a second zip entry of the same name: ${d}`),
      ],
      durationMs: r.durationMs,
    };
  }

  /** The dataset view: sizes, split sizes, and the first images of evenly spaced classes. */
  async datasetSamples(
    name: string,
    options: { classes?: number; perClass?: number } = {},
  ): Promise<DatasetSamples> {
    let dataset: ClassIndexedDataset;
    try {
      dataset = await this.load(name);
    } catch (e) {
      throw new ServiceError((e as Error).message, 'not-found');
    }
    const classes = dataset.classStart.length - 1;
    const pick = Math.min(options.classes ?? 12, classes);
    const perClass = options.perClass ?? 6;
    const size = dataset.width * dataset.height * dataset.channels;
    const splits = splitClasses(dataset, DEFAULT_SPLIT, 0);
    const samples = Array.from({ length: pick }, (_, i) => {
      const c = Math.floor((i * classes) / pick);
      const start = dataset.classStart[c]!;
      const count = Math.min(perClass, dataset.classStart[c + 1]! - start);
      return {
        className: dataset.classNames[c] ?? `class ${c}`,
        images: Array.from({ length: count }, (_, k) =>
          Buffer.from(dataset.pixels.subarray((start + k) * size, (start + k + 1) * size)).toString('base64'),
        ),
      };
    });
    return {
      name,
      classes,
      images: dataset.classStart[classes]!,
      width: dataset.width,
      height: dataset.height,
      channels: dataset.channels,
      splits: { train: splits.train.length, val: splits.val.length, test: splits.test.length },
      samples,
    };
  }

  /**
   * Create a sweep: checked in full first (prepareSweep), then stored with its two experiments,
   * the trials' and the final runs'. The owner's scheduler queues its trials as slots free up.
   */
  async createSweep(input: SweepInput): Promise<SweepDetail> {
    const { spec, base } = await prepareSweep(input, this.load);
    const executor = spec.executor ?? this.o.executor ?? null;
    const sweep = this.store.transaction(() => {
      const experiment = (name: string, description: string) =>
        this.store.experiments.create({ name, description, tags: ['sweep'], config: base });
      const trials = experiment(
        `${spec.name} · trials`,
        'Sweep trials: compared on meta-validation only, never meta-tested.',
      );
      const finals = experiment(
        `${spec.name} · final`,
        "Each learner's configuration chosen on meta-validation, trained again on fresh seeds and meta-tested.",
      );
      return this.store.sweeps.create({
        spec,
        baseConfig: base,
        trialsExperimentId: trials.id,
        finalExperimentId: finals.id,
        executor,
      });
    });
    this.tickSweeps();
    return this.sweep(sweep.id);
  }

  sweep(id: number): SweepDetail {
    const s = this.store.sweeps.get(id);
    if (!s) throw new ServiceError(`sweep ${id} does not exist`, 'not-found');
    return sweepDetail(this.store, s);
  }

  cancelSweep(id: number): SweepDetail {
    const s = this.sweep(id);
    if (s.status !== 'running') throw new ServiceError(`sweep ${id} is ${s.status}, not running`, 'conflict');
    if (this.sweeps) this.sweeps.cancel(id);
    else {
      // A client: the sweep ends here, and its runs' cancel flags reach the owner's queue.
      this.store.sweeps.finish(id, 'cancelled', null);
      for (const r of this.store.runs.list({ sweepId: id }))
        if (ACTIVE_STATUSES.includes(r.status)) this.store.runs.requestCancel(r.id);
    }
    return this.sweep(id);
  }

  /** Stop the queue (running trainers checkpoint and end as interrupted), then the store. */
  async close(graceMs?: number): Promise<void> {
    this.closing = true;
    for (const job of this.episodeJobs.values()) job.abort();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.queue?.close(graceMs);
    this.store.close();
    this.lock?.release();
  }

  private async runConfigs(
    base: ExperimentConfig,
    input: { learners?: LearnerName[]; seeds?: number[]; variants?: Array<Record<string, unknown>> },
  ): Promise<ExperimentConfig[]> {
    const seeds = input.seeds?.length ? [...new Set(input.seeds)] : [base.seed];
    const variants: Array<Record<string, unknown>> = input.variants?.length
      ? input.variants
      : (input.learners?.length ? [...new Set(input.learners)] : [base.learner]).map((learner) => ({
          learner,
        }));
    const configs = variants.flatMap((variant) =>
      seeds.map((seed) => parseExperimentConfig({ ...mergeConfig(base, variant), seed })),
    );
    for (const config of configs) await resolveTrainingData(config, this.load);
    return configs;
  }
}

/**
 * Trainers side by side share the cores: each gets its share as DEML_THREADS (at least one),
 * unless the user set DEML_THREADS. Otherwise every trainer would start a worker per core, and N
 * trainers would run N threads per core.
 */
export function sharedThreads(
  concurrency: number,
  env: NodeJS.ProcessEnv = process.env,
  cores = availableParallelism(),
): NodeJS.ProcessEnv {
  if (concurrency <= 1 || env.DEML_THREADS?.trim()) return {};
  return { DEML_THREADS: String(Math.max(1, Math.floor(cores / concurrency))) };
}
