/**
 * The job queue: queued runs and evaluation requests (rows in the store, oldest first, evaluations
 * before runs: they are short and someone is waiting) are started in trainer processes up to a
 * concurrency limit. The queue lives in the store, so a job queued by another process (`deml
 * resume` while the app runs) is picked up at the next poll. The queue watches its trainers: a
 * trainer that dies without saying goodbye fails its job with the reason, and runs left "running"
 * by a crashed app are swept to "interrupted" (evaluations back to "queued": they give the same
 * result when run again).
 */
import { type WriteStream, createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EvaluationRequestRecord } from '../contract/records';
import { evaluationLogPath, projectionLogPath, trainerLogPath } from '../layout/dataDirectory';
import { describeWriteError } from '../store/database';
import { processAlive } from '../store/instanceLock';
import type { Store } from '../store/store';
import type { QueueListener } from './jobEvents';
import type { SlurmExecutor } from './slurm/executor';
import { type TrainerJobSpec, type TrainerLauncher, type TrainerProcess, describeJob } from './launcher';

/** The jobs the queue runs (the service starts episode jobs itself), one type per kind so that testing `kind` narrows a job. */
type QueuedKind = Exclude<TrainerJobSpec['kind'], 'episode'>;
type Job = { [K in QueuedKind]: { kind: K; id: number } }[QueuedKind];
/** A request carried out by a trainer process: an evaluation or a projection. */
type RequestJob = Exclude<Job, { kind: 'run' }>;
const keyOf = (job: Job) => `${job.kind}:${job.id}`;

/** What the queue does with a request job (an evaluation or a projection): the rows' shared moves. */
interface RequestRows {
  get(id: number): { status: string } | null;
  setPid(id: number, pid: number | null): void;
  finish(id: number, status: 'failed' | 'cancelled', error: string | null): boolean;
  requeue(id: number, now?: number): boolean;
  running(): Array<{ id: number; pid: number | null; heartbeat: number | null }>;
}

export interface JobQueueOptions {
  store: Store;
  dataDir: string;
  launch: TrainerLauncher;
  /** Trainers at once (default 1: one device, one job). */
  concurrency?: number;
  /** How often the store is polled for jobs queued by other processes and for stale ones. */
  pollMs?: number;
  /** A running job without a heartbeat for this long, and no live trainer here, is swept. */
  staleMs?: number;
  /**
   * How long a trainer asked to stop (cancel, shutdown) may stay silent before it is killed. A
   * trainer answers between tasks, then checkpoints with no deadline; one task of a huge config
   * (thousands of inner steps) can be minutes of synchronous work that no message or signal
   * reaches. Default 10 s.
   */
  stopGraceMs?: number;
  listener?: QueueListener;
  /** Runs that asked for a cluster go here (one Slurm job each); evaluations stay local. */
  slurm?: SlurmExecutor;
}

interface ActiveJob {
  job: Job;
  process: TrainerProcess;
  log: WriteStream;
  /** The last lines the trainer printed, for the error of a trainer that dies. */
  tail: string[];
  exited: Promise<void>;
  /** Set when the job was asked to stop: why, and the timer that kills it if it does not. */
  stop?: {
    reason: 'cancelled' | 'interrupted';
    graceMs: number;
    deadline: NodeJS.Timeout;
    killed: boolean;
    /** It said it was stopping (then it was checkpointing when killed). */
    answered?: boolean;
  };
}

const TAIL_LINES = 20;

/**
 * Runs the store says are running whose trainer is gone (its process dead, or silent for
 * `staleMs`): marked interrupted, resumable, with the reason. Cluster runs are left to the slurm
 * executor, and `watched` ones to the queue that runs them (a long iteration is not a crash).
 */
export function interruptLostRuns(
  store: Store,
  o: { now?: number; staleMs?: number; watched?: (id: number) => boolean; gone: string },
): number[] {
  const now = o.now ?? Date.now();
  const staleBefore = now - (o.staleMs ?? 60_000);
  const swept: number[] = [];
  for (const r of store.runs.running()) {
    if (o.watched?.(r.id) || r.cluster) continue;
    const dead = r.pid != null && !processAlive(r.pid);
    const silent = (r.heartbeat ?? 0) < staleBefore;
    if (!dead && !silent) continue;
    const reason = dead
      ? o.gone
      : 'the trainer stopped responding (the app, server or machine stopped while it ran)';
    if (store.runs.markInterrupted(r.id, reason, now)) swept.push(r.id);
  }
  return swept;
}

export class JobQueue {
  /** By job key ("run:3", "evaluation:7"). */
  private readonly active = new Map<string, ActiveJob>();
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly concurrency: number;

  constructor(private readonly o: JobQueueOptions) {
    this.concurrency = Math.max(1, o.concurrency ?? 1);
  }

  /**
   * The last store write that failed in the queue's own bookkeeping (a full disk, say), in words,
   * or null. Timers and exit callbacks must never throw: the failure is kept here for the owner to
   * report, and the queue carries on.
   */
  storeError: string | null = null;
  /** Jobs whose process this queue saw exit (their store status may lag when the disk is full). */
  private readonly exited = new Set<string>();
  /**
   * A run's end that could not be written (a full disk): written as soon as the store takes it,
   * and meanwhile what the run says (endOf), so the run neither reads "running" until space
   * returns nor is then swept as "interrupted" with its cause lost.
   */
  private readonly unrecordedEnds = new Map<number, { status: 'failed'; error: string; attempt: number }>();

  /** The end of a run this queue saw but could not write yet, if any. */
  endOf(runId: number): { status: 'failed'; error: string } | null {
    const end = this.unrecordedEnds.get(runId);
    return end ? { status: end.status, error: end.error } : null;
  }

  /** Write the ends kept while the store refused them; each that goes in is announced. */
  private recordUnrecordedEnds(): void {
    for (const [id, end] of this.unrecordedEnds) {
      // Of the attempt that ended only: never a later one.
      this.o.store.runs.finish(id, end.status, end.error, { attempt: end.attempt });
      this.unrecordedEnds.delete(id);
      this.emitStatus(id);
    }
  }

  private safely(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.storeError = describeWriteError(e);
    }
  }

  start(): void {
    this.sweep();
    this.pump();
    void this.o.slurm?.poll();
    this.timer = setInterval(() => {
      this.safely(() => {
        this.recordUnrecordedEnds();
        this.sweep();
        this.watchCancels();
        this.pump();
      });
      void this.o.slurm?.poll();
    }, this.o.pollMs ?? 1000);
    this.timer.unref();
  }

  /** Start queued evaluations, then queued runs, while there is room; submit cluster runs. */
  pump(): void {
    const { store } = this.o;
    this.o.slurm?.submitQueued();
    while (!this.closing && this.active.size < this.concurrency) {
      const evaluation = store.evaluationRequests.nextQueued();
      if (evaluation) {
        // Claimed atomically: if another scheduler took it first, try the next one.
        if (store.evaluationRequests.markStarted(evaluation.id, null))
          this.launch({ kind: 'evaluation', id: evaluation.id }, evaluation.runId);
        continue;
      }
      const projection = store.projections.nextQueued();
      if (projection) {
        if (store.projections.markStarted(projection.id, null))
          this.launch({ kind: 'projection', id: projection.id }, projection.runId);
        continue;
      }
      const run = store.runs.nextQueued();
      if (!run) return;
      if (!store.runs.markStarted(run.id, null)) continue;
      this.launch({ kind: 'run', id: run.id }, run.id);
    }
  }

  /** Cancel a queued or running run. Returns false for an unknown run. */
  cancel(runId: number): boolean {
    const status = this.o.store.runs.requestCancel(runId);
    if (status == null) return false;
    if (this.o.slurm?.owns(runId)) this.o.slurm.cancel(runId);
    this.askToStop(keyOf({ kind: 'run', id: runId }), 'cancelled');
    this.emitStatus(runId);
    return true;
  }

  /** Cancel a queued or running evaluation request. Returns false for an unknown one. */
  cancelEvaluation(requestId: number): boolean {
    const status = this.o.store.evaluationRequests.requestCancel(requestId);
    if (status == null) return false;
    this.askToStop(keyOf({ kind: 'evaluation', id: requestId }), 'cancelled');
    this.emitEvaluation(requestId);
    return true;
  }

  /** Cancel a queued or running projection. Returns false for an unknown one. */
  cancelProjection(projectionId: number): boolean {
    if (this.o.store.projections.requestCancel(projectionId) == null) return false;
    this.askToStop(keyOf({ kind: 'projection', id: projectionId }), 'cancelled');
    this.emitRequest({ kind: 'projection', id: projectionId });
    return true;
  }

  /**
   * Cancels asked for by another process (`deml cancel`) reach the trainer through the store; the
   * deadline that kills a trainer stuck in one long task is started here, where they are seen.
   */
  private watchCancels(): void {
    for (const { job, stop } of this.active.values()) {
      if (stop || job.kind !== 'run') continue;
      if (this.o.store.runs.get(job.id)?.cancelRequested) this.askToStop(keyOf(job), 'cancelled');
    }
  }

  /**
   * Runs left "running" by a previous instance: interrupted when their process is gone or they
   * stopped beating. Runs this queue watches are never swept (a long iteration is not a crash).
   */
  sweep(now = Date.now()): number[] {
    const staleMs = this.o.staleMs ?? 60_000;
    const staleBefore = now - staleMs;
    const swept = interruptLostRuns(this.o.store, {
      now,
      staleMs,
      watched: (id) => this.active.has(keyOf({ kind: 'run', id })) || this.unrecordedEnds.has(id),
      gone: 'the trainer process was gone when the workbench restarted',
    });
    for (const id of swept) this.emitStatus(id);
    for (const kind of ['evaluation', 'projection'] as const) {
      for (const r of this.requestRows({ kind }).running()) {
        const job = { kind, id: r.id };
        if (this.active.has(keyOf(job))) continue;
        const dead = r.pid != null && !processAlive(r.pid);
        if (!dead && (r.heartbeat ?? 0) >= staleBefore) continue;
        // Nothing of it was stored, and it gives the same result again: it simply runs again.
        if (this.requestRows(job).requeue(r.id, now)) this.emitRequest(job);
      }
    }
    return swept;
  }

  /** Stop: running trainers checkpoint and end as "interrupted" (resumable); killed after a grace period. */
  async close(graceMs = 30_000): Promise<void> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    const jobs = [...this.active.values()];
    // Each is killed at its deadline if it stays silent (see askToStop); one that answered but
    // has not exited after twice the grace (a checkpoint that never ends) is killed too: closing
    // the app must not hang.
    for (const job of jobs) this.askToStop(keyOf(job.job), 'interrupted', graceMs);
    const all = Promise.all(jobs.map((j) => j.exited));
    const hard = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 2 * graceMs).unref());
    if ((await Promise.race([all, hard])) === 'timeout') {
      for (const job of this.active.values()) {
        if (job.stop) job.stop.killed = true;
        job.process.kill('SIGKILL');
      }
      await all;
    }
    // Cluster jobs run on: the next workbench on this directory follows them again.
    await this.o.slurm?.close();
  }

  /** Resolves when none of the given runs (or no job at all) is active or queued. */
  async idle(runIds?: readonly number[], pollMs = 200): Promise<void> {
    const busy = () => {
      if (
        !runIds &&
        (this.active.size > 0 ||
          this.o.store.evaluationRequests.nextQueued() ||
          this.o.store.projections.nextQueued())
      )
        return true;
      const ids = runIds ?? this.o.store.runs.list({ status: 'queued' }).map((r) => r.id);
      return ids.some((id) => {
        const s = this.o.store.runs.get(id)?.status;
        const key = keyOf({ kind: 'run', id });
        // A run whose trainer this queue saw exit is done, even when its final status could not
        // be written (a full disk): waiting for the store would wait forever.
        return s === 'queued' || (s === 'running' && !this.exited.has(key)) || this.active.has(key);
      });
    };
    while (busy()) await new Promise((r) => setTimeout(r, pollMs));
  }

  /** Whether runs other than `runIds`, or any evaluation, are queued or running on the directory. */
  busyBesides(runIds: readonly number[]): boolean {
    const { store } = this.o;
    const other = (r: { id: number }) => !runIds.includes(r.id);
    return (
      store.runs.list({ status: 'queued' }).some(other) ||
      store.runs.list({ status: 'running' }).some(other) ||
      store.evaluationRequests.nextQueued() != null ||
      store.projections.nextQueued() != null
    );
  }

  /** Resolves when the evaluation request has ended (completed, failed or cancelled). */
  async settled(requestId: number, pollMs = 200): Promise<EvaluationRequestRecord | null> {
    for (;;) {
      const r = this.o.store.evaluationRequests.get(requestId);
      const active = this.active.has(keyOf({ kind: 'evaluation', id: requestId }));
      if (!r || (!active && r.status !== 'queued' && r.status !== 'running')) return r;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  private get stopGraceMs(): number {
    return this.o.stopGraceMs ?? 10_000;
  }

  /**
   * Tell a trainer to stop (it checkpoints first), and kill it if it has not exited by the
   * deadline: its run then ends with the reason asked for, from its last checkpoint.
   */
  private askToStop(key: string, reason: 'cancelled' | 'interrupted', graceMs = this.stopGraceMs): void {
    const job = this.active.get(key);
    if (!job) return;
    job.process.send({ type: reason === 'cancelled' ? 'cancel' : 'shutdown' });
    if (job.stop) {
      // Closing while a cancel is pending: the shorter deadline wins.
      if (graceMs >= job.stop.graceMs) return;
      clearTimeout(job.stop.deadline);
    }
    const deadline = setTimeout(() => {
      if (!this.active.has(key)) return;
      job.stop!.killed = true;
      job.process.kill('SIGKILL');
    }, graceMs);
    deadline.unref();
    job.stop = { reason: job.stop?.reason ?? reason, graceMs, deadline, killed: false };
  }

  /** Start a trainer for the job; `runId` is the job's run (its folder holds the job's log). */
  private launch(job: Job, runId: number): void {
    const { store, dataDir } = this.o;
    const fail = (reason: string): void => {
      if (job.kind === 'run') {
        store.runs.finish(job.id, 'failed', reason);
        this.emitStatus(job.id);
      } else {
        this.requestRows(job).finish(job.id, 'failed', reason);
        this.emitRequest(job);
      }
    };
    let log: WriteStream;
    let proc: TrainerProcess;
    try {
      const logPath =
        job.kind === 'run'
          ? trainerLogPath(dataDir, runId)
          : job.kind === 'evaluation'
            ? evaluationLogPath(dataDir, runId, job.id)
            : projectionLogPath(dataDir, runId, job.id);
      mkdirSync(dirname(logPath), { recursive: true });
      log = createWriteStream(logPath, { flags: 'a' });
      proc = this.o.launch({ ...job, dataDir });
    } catch (e) {
      fail(`could not start the trainer process: ${(e as Error).message}`);
      return;
    }
    log.on('error', () => undefined); // a full disk must not take the service down
    const tail: string[] = [];
    const onOutput = (chunk: Buffer | string) => {
      log.write(chunk);
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        if (job.kind === 'run') this.o.listener?.onLog?.(runId, line);
      }
    };
    proc.stdout?.on('data', onOutput);
    proc.stderr?.on('data', onOutput);
    let resolveExit!: () => void;
    const exited = new Promise<void>((r) => (resolveExit = r));
    this.active.set(keyOf(job), { job, process: proc, log, tail, exited });
    try {
      if (job.kind === 'run') store.runs.setPid(job.id, proc.pid ?? null);
      else this.requestRows(job).setPid(job.id, proc.pid ?? null);
    } catch {
      // The pid only helps the sweep; the heartbeat covers it.
    }
    if (job.kind === 'run') this.emitStatus(job.id);
    else this.emitRequest(job);

    proc.onMessage((m) => {
      switch (m.type) {
        case 'stopping': {
          const stop = this.active.get(keyOf(job))?.stop;
          if (stop) {
            clearTimeout(stop.deadline);
            stop.answered = true;
          }
          break;
        }
        case 'progress':
          this.o.listener?.onProgress?.(m.progress);
          break;
        case 'metrics':
          this.o.listener?.onMetrics?.(m.runId, m.points);
          break;
        case 'backend':
        case 'checkpoint':
        case 'evaluation':
        case 'finished':
          this.emitStatus(runId);
          break;
        case 'evaluation-progress':
        case 'evaluation-finished':
          this.emitEvaluation(m.requestId);
          break;
        case 'projection-finished':
          this.emitRequest({ kind: 'projection', id: m.projectionId });
          break;
      }
    });
    proc.onExit((code, signal) => {
      const stop = this.active.get(keyOf(job))?.stop;
      if (stop) clearTimeout(stop.deadline);
      this.active.delete(keyOf(job));
      this.exited.add(keyOf(job));
      try {
        const stillRunning =
          job.kind === 'run'
            ? store.runs.get(job.id)?.status === 'running'
            : this.requestRows(job).get(job.id)?.status === 'running';
        if (stillRunning && stop?.killed) {
          // Asked to stop, and stopped by force: the job ends as asked. A run resumes from its
          // last checkpoint (resume drops what was written after it); an interrupted evaluation
          // simply runs again.
          const late = stop.answered
            ? `the trainer was still stopping ${Math.round((2 * stop.graceMs) / 1000)} s after it was asked (the workbench was closing) and was killed`
            : `the trainer did not stop within ${Math.round(stop.graceMs / 1000)} s of being asked (it was inside one long task) and was killed`;
          if (job.kind === 'run') {
            const last = store.checkpoints.list(job.id).at(-1)?.step;
            store.runs.finish(
              job.id,
              stop.reason,
              `${late}; ${last != null ? `resume continues from its checkpoint at iteration ${last}` : 'it had no checkpoint yet'}`,
            );
          } else if (stop.reason === 'cancelled') this.requestRows(job).finish(job.id, 'cancelled', late);
          else this.requestRows(job).requeue(job.id, Date.now());
        } else if (stillRunning) {
          const how = signal?.startsWith('not started')
            ? `could not start (${signal.slice('not started: '.length)})`
            : signal
              ? `was killed (${signal})`
              : `exited with code ${code}`;
          const last = tail.length ? `; its last output: ${tail.slice(-5).join(' | ')}` : '';
          const what = `the ${job.kind}`;
          if (job.kind === 'run') {
            const error = `the trainer process ${how} before ${what} ended${last}`;
            try {
              store.runs.finish(job.id, 'failed', error);
            } catch (e) {
              this.unrecordedEnds.set(job.id, {
                status: 'failed',
                error: `${error} (written late: ${describeWriteError(e)} when it ended)`,
                attempt: store.runs.get(job.id)?.attempt ?? -1,
              });
              throw e;
            }
          } else
            this.requestRows(job).finish(
              job.id,
              'failed',
              `the trainer process ${how} before ${what} ended${last}`,
            );
        }
      } catch (e) {
        this.storeError = describeWriteError(e);
        this.o.listener?.onLog?.(
          runId,
          `could not record the end of ${describeJob(job)}: ${describeWriteError(e)}`,
        );
      }
      log.end();
      resolveExit();
      this.safely(() => {
        if (job.kind === 'run') this.emitStatus(job.id);
        else this.emitRequest(job);
        this.pump();
      });
    });
  }

  private requestRows(job: Pick<RequestJob, 'kind'>): RequestRows {
    return job.kind === 'projection' ? this.o.store.projections : this.o.store.evaluationRequests;
  }

  /** An evaluation's or a projection's row moved: tell the listener. */
  private emitRequest(job: RequestJob): void {
    if (job.kind === 'evaluation') return this.emitEvaluation(job.id);
    const r = this.o.store.projections.get(job.id);
    if (r) this.o.listener?.onProjection?.(r);
  }

  private emitEvaluation(requestId: number): void {
    if (!this.o.listener?.onEvaluation) return;
    const r = this.o.store.evaluationRequests.get(requestId);
    if (r) this.o.listener.onEvaluation(r);
  }

  private emitStatus(runId: number): void {
    if (!this.o.listener?.onStatus) return;
    const run = this.o.store.runs.summary(runId);
    if (run) this.o.listener.onStatus(run);
  }
}
