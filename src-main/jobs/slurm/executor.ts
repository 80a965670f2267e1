/**
 * The slurm executor: each run that asked for a cluster becomes one batch job (one per attempt),
 * and the workbench follows it. Submitting: the run's spec, script and files go into its
 * attempt folder on the shared filesystem, then sbatch. Following, at each poll: the job's
 * events file is ingested into the store (runEvents.ts), its state is read from squeue (PENDING
 * with its reason, RUNNING on which node), and its log is streamed. Ending: once Slurm says the
 * job is over and its last records are in, the run gets its final status from the trainer's own
 * word and Slurm's state together (TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, CANCELLED, each with the
 * reason). All of it is in the store, so a restarted workbench picks its jobs up where it left.
 *
 * Many jobs rather than a job array: each run is cancelled, resumed (a new job from its newest
 * checkpoint) and given its own options on its own; submission time is measured in the README.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { type ExecutorChoice, type SlurmOptions, describeSlurmJob } from '../../contract/executor';
import { trainerLogPath } from '../../layout/dataDirectory';
import { describeWriteError } from '../../store/database';
import type { SlurmJobRecord } from '../../store/slurmJobs';
import type { Store } from '../../store/store';
import type { QueueListener } from '../jobEvents';
import { RunEventsError, ingestRunEvents } from '../runEvents';
import { runSpecFromStore } from '../runRecorder';
import { clusterJobFiles, writeClusterJob } from './clusterJob';
import { ENDED_STATES, SlurmError, type SlurmCommands, type SlurmJobStatus, jobDetails } from './commands';
import { type TrainerCommandLine, probeScript, runJobScript } from './script';

export interface SlurmExecutorOptions {
  store: Store;
  dataDir: string;
  commands: SlurmCommands;
  /** The command line that starts the trainer entry (resolved at submission). */
  command: () => TrainerCommandLine;
  electron?: boolean;
  listener?: QueueListener;
  /** How long the probe job may wait and run before the runs are refused (default 120 s). */
  probeTimeoutMs?: number;
  /** Skip the probe (a cluster whose nodes are known to share the filesystem). */
  probe?: boolean;
}

const slurmOf = (e: ExecutorChoice | null): SlurmOptions | null => (e?.kind === 'slurm' ? e.slurm : null);

export class SlurmExecutor {
  /** Probes by options (partition and account decide where a job runs): done, or under way. */
  private readonly probes = new Map<string, Promise<void>>();
  /** Runs being submitted now (claimed in the store, no job row yet). */
  private readonly submitting = new Set<number>();
  /** Queued runs waiting for their probe. */
  private readonly waiting = new Set<number>();
  /** Cancels already sent to Slurm, by job row. */
  private readonly cancelled = new Set<number>();
  /** How much of each run's log has been streamed (from where it was when first seen). */
  private readonly logOffsets = new Map<number, number>();
  private polling: Promise<void> | null = null;
  private closed = false;
  /** The last failure of the executor's own bookkeeping, in words (for the owner to report). */
  error: string | null = null;

  constructor(private readonly o: SlurmExecutorOptions) {}

  /** Claim the queued cluster runs and submit each (in the background; failures fail the run). */
  submitQueued(): void {
    if (this.closed) return;
    for (const run of this.o.store.runs.list({ status: 'queued' })) {
      const options = slurmOf(run.executor);
      if (!options || this.submitting.has(run.id) || this.waiting.has(run.id)) continue;
      this.waiting.add(run.id);
      // Runs stay queued until the probe has said the nodes see the data directory.
      void this.probe(options)
        .then(
          () => this.submit(run.id, options),
          (e: unknown) => this.refuse(run.id, e),
        )
        .finally(() => this.waiting.delete(run.id));
    }
  }

  /**
   * One job for the run's current attempt. Nothing is left half-submitted: the run is claimed
   * first (queued → running), and any failure before the job row is stored fails the run with
   * the reason; a job that sbatch accepted but the store could not record is cancelled again.
   */
  private async submit(runId: number, options: SlurmOptions): Promise<void> {
    if (this.closed || this.submitting.has(runId)) return;
    const { store, dataDir } = this.o;
    if (!store.runs.markStarted(runId, null)) return; // cancelled meanwhile, or claimed elsewhere
    this.submitting.add(runId);
    let jobId: string | null = null;
    try {
      const spec = runSpecFromStore(store, runId);
      const files = clusterJobFiles(dataDir, runId, spec.attempt);
      mkdirSync(files.dir, { recursive: true });
      rmSync(files.eventsFile, { force: true });
      rmSync(files.cancelFile, { force: true });
      writeClusterJob(files.jobFile, {
        version: 1,
        dataDir,
        spec,
        eventsFile: files.eventsFile,
        cancelFile: files.cancelFile,
      });
      writeFileSync(
        files.script,
        runJobScript({
          runId,
          attempt: spec.attempt,
          options,
          logFile: trainerLogPath(dataDir, runId),
          jobFile: files.jobFile,
          workDir: files.dir,
          command: this.o.command(),
          electron: this.o.electron ?? false,
        }),
        { mode: 0o755 },
      );
      jobId = await this.o.commands.submit(files.script, { cwd: files.dir });
      store.slurmJobs.insert({ runId, attempt: spec.attempt, jobId, eventsFile: files.eventsFile });
      this.log(runId, `submitted to Slurm as job ${jobId}`);
    } catch (e) {
      if (jobId) void this.o.commands.cancel(jobId).catch(() => undefined);
      const why = e instanceof SlurmError ? e.message : describeWriteError(e);
      this.safely(() => store.runs.finish(runId, 'failed', `could not submit the run to Slurm: ${why}`));
    } finally {
      this.submitting.delete(runId);
      this.safely(() => this.emitStatus(runId));
    }
  }

  /** A run whose probe failed: refused with the probe's reason. */
  private refuse(runId: number, e: unknown): void {
    const { store } = this.o;
    this.safely(() => {
      if (!store.runs.markStarted(runId, null)) return;
      store.runs.finish(runId, 'failed', `could not submit the run to Slurm: ${(e as Error).message}`);
      this.emitStatus(runId);
    });
  }

  /**
   * The data directory must be visible to the nodes (the trainer reads its datasets and writes
   * the run's files there). A probe job reads a token from it and writes it back; it is run once
   * per partition and account, and again after a failure.
   */
  private probe(options: SlurmOptions): Promise<void> {
    if (this.o.probe === false) return Promise.resolve();
    const key = `${options.partition ?? ''}|${options.account ?? ''}|${(options.extra ?? []).join(' ')}`;
    const known = this.probes.get(key);
    if (known) return known;
    const result = this.runProbe(options);
    this.probes.set(key, result);
    // A failed probe is not cached: the next submission tries again (the admin may have fixed it).
    result.catch(() => this.probes.delete(key));
    return result;
  }

  private async runProbe(options: SlurmOptions): Promise<void> {
    const { dataDir, commands } = this.o;
    const dir = join(dataDir, 'slurm-probe');
    mkdirSync(dir, { recursive: true });
    const token = randomBytes(16).toString('hex');
    // Named by the token: probes for two partitions may run at once.
    const files = {
      token: join(dir, `token-${token}`),
      seen: join(dir, `seen-${token}`),
      output: join(dir, `probe-${token}.log`),
      script: join(dir, `probe-${token}.sh`),
    };
    writeFileSync(files.token, token);
    writeFileSync(files.script, probeScript({ options, ...files }), { mode: 0o755 });
    const jobId = await commands.submit(files.script, { cwd: dir });
    const deadline = Date.now() + (this.o.probeTimeoutMs ?? 120_000);
    let last: SlurmJobStatus | undefined;
    try {
      while (!this.closed) {
        last = (await commands.status([jobId])).get(jobId) ?? last;
        if (!last || ENDED_STATES.has(last.state)) break;
        if (Date.now() > deadline) {
          throw new SlurmError(
            `the probe job ${jobId}, which checks that the compute nodes see the data directory, is still ` +
              `${last.state}${last.reason ? ` (${last.reason})` : ''} after ${Math.round((this.o.probeTimeoutMs ?? 120_000) / 1000)} s; ` +
              'launch again when the partition has room',
          );
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      let seen = '';
      try {
        seen = readFileSync(files.seen, 'utf8').trim();
      } catch {
        // not written: the node could not read or write the directory
      }
      if (seen !== token) {
        throw new SlurmError(
          `the compute nodes cannot see the data directory ${dataDir}: the probe job ${jobId} ` +
            `(${last?.state ?? 'ended'}${last?.node ? ` on ${last.node}` : ''}) could not read it and write to it. ` +
            'Put the data directory on a filesystem the nodes share (--data-dir or DEML_DATA_DIR), ' +
            `and see ${files.output} for what the job said`,
        );
      }
      rmSync(files.output, { force: true });
    } finally {
      if (last && !ENDED_STATES.has(last.state)) void commands.cancel(jobId).catch(() => undefined);
      // The log stays when the probe failed: the message points at it.
      for (const f of [files.seen, files.token, files.script]) rmSync(f, { force: true });
    }
  }

  /** Ask the run's job to stop: the cancel file first (so the trainer knows why), then scancel. */
  cancel(runId: number): void {
    const job = this.o.store.slurmJobs.latest(runId);
    if (!job || job.endedAt != null || this.cancelled.has(job.id)) return;
    this.cancelled.add(job.id);
    try {
      writeFileSync(
        clusterJobFiles(this.o.dataDir, runId, job.attempt).cancelFile,
        `${new Date().toISOString()}\n`,
      );
    } catch {
      // scancel alone still stops it; the run is then ended as cancelled because it was asked
    }
    this.o.commands.cancel(job.jobId).catch((e: unknown) => {
      this.cancelled.delete(job.id);
      this.error = `could not cancel Slurm job ${job.jobId}: ${(e as Error).message}`;
      this.log(runId, this.error);
    });
  }

  /** Whether the run is in the executor's hands (being submitted, or a job not yet ended). */
  owns(runId: number): boolean {
    if (this.submitting.has(runId)) return true;
    const job = this.o.store.slurmJobs.latest(runId);
    return job != null && job.endedAt == null;
  }

  /** Follow every open job once; at most one poll at a time. */
  poll(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.polling ??= this.pollOnce()
      .catch((e: unknown) => {
        this.error = e instanceof SlurmError ? e.message : describeWriteError(e);
      })
      .finally(() => (this.polling = null));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const { store, commands } = this.o;
    // A cancel asked for by another process (deml cancel) is a flag in the store.
    for (const job of store.slurmJobs.open()) {
      if (!this.cancelled.has(job.id) && store.runs.get(job.runId)?.cancelRequested) this.cancel(job.runId);
    }
    this.sweepUnsubmitted();
    const open = store.slurmJobs.open();
    if (open.length === 0) return;
    const damaged = new Set<number>();
    for (const job of open) {
      try {
        this.ingest(job);
      } catch (e) {
        if (!(e instanceof RunEventsError)) throw e;
        // Nothing after the damage can be trusted: the run fails with where, keeping what came
        // before, and its job is stopped (resume starts a new one from the last checkpoint).
        damaged.add(job.id);
        void commands.cancel(job.jobId).catch(() => undefined);
        this.safely(() => {
          store.transaction(() => {
            store.runs.finish(job.runId, 'failed', e.message, { attempt: job.attempt });
            store.slurmJobs.end(job.id);
          });
          this.log(job.runId, e.message);
          this.emitStatus(job.runId);
        });
      }
    }
    if (damaged.size === open.length) return;
    const states = await commands.status(open.filter((j) => !damaged.has(j.id)).map((j) => j.jobId));
    for (const job of open) {
      if (damaged.has(job.id)) continue;
      const s = states.get(job.jobId) ?? (await jobDetails(job.jobId));
      this.streamLog(job.runId);
      if (!s) {
        // Slurm has forgotten it (it ended more than MinJobAge ago, while no workbench watched).
        this.finalize(job, { jobId: job.jobId, state: 'UNKNOWN', reason: null, node: job.node });
        continue;
      }
      if (s.state !== job.state || s.reason !== job.reason || s.node !== job.node) {
        // The attempt trains from when Slurm starts the job: its wait in the queue is not training time.
        if (job.state === 'PENDING' && s.state === 'RUNNING')
          this.safely(() => store.runs.attemptRunning(job.runId, job.attempt));
        this.safely(() => store.slurmJobs.setState(job.id, s));
        this.log(job.runId, describeSlurmJob(s));
        this.safely(() => this.emitStatus(job.runId));
      }
      if (ENDED_STATES.has(s.state)) this.finalize(job, s);
    }
  }

  /** Records written since the last poll go into the store, each exactly once. */
  private ingest(job: SlurmJobRecord): void {
    const { store, listener } = this.o;
    // The row as stored now: an ingestion earlier in this poll may have moved its offset.
    const offset = store.slurmJobs.get(job.id)?.ingestedBytes ?? job.ingestedBytes;
    const result = ingestRunEvents(
      store,
      { runId: job.runId, attempt: job.attempt, eventsFile: job.eventsFile, offset },
      (bytes, r) => {
        store.slurmJobs.setIngested(job.id, bytes, r.metrics.length ? Date.now() : null);
        if (r.finish) store.slurmJobs.setTrainerFinish(job.id, r.finish.status, r.finish.error);
      },
    );
    if (result.metrics.length) listener?.onMetrics?.(job.runId, result.metrics);
    if (result.progress) listener?.onProgress?.(result.progress);
    if (result.changed) this.emitStatus(job.runId);
  }

  /**
   * The job is over: its last records are ingested, then the run ends with the trainer's word
   * and Slurm's state together.
   */
  private finalize(job: SlurmJobRecord, s: SlurmJobStatus): void {
    const { store } = this.o;
    this.safely(() => {
      this.ingest(job);
      const latest = store.slurmJobs.get(job.id) ?? job;
      const run = store.runs.get(job.runId);
      const { status, error } = finalStatus(latest, s, {
        cancelAsked: this.cancelled.has(job.id) || run?.cancelRequested === true,
        checkpoint: store.checkpoints.list(job.runId).at(-1)?.step ?? null,
        iteration: run?.iteration ?? 0,
        time: slurmOf(run?.executor ?? null)?.time ?? null,
        logTail: this.logTail(job.runId),
      });
      store.transaction(() => {
        if (run?.status === 'running' && run.attempt === job.attempt)
          store.runs.finish(job.runId, status, error, { attempt: job.attempt });
        store.slurmJobs.end(job.id);
      });
      this.cancelled.delete(job.id);
      this.log(
        job.runId,
        `slurm job ${job.jobId} ended (${s.state}); run ${job.runId}: ${status}${error ? `: ${error}` : ''}`,
      );
      this.emitStatus(job.runId);
    });
  }

  /**
   * Cluster runs left "running" without a job: the workbench stopped between claiming and
   * submitting them. They are interrupted (resumable), as a local run left by a crash is.
   */
  private sweepUnsubmitted(): void {
    const { store } = this.o;
    for (const r of store.runs.running()) {
      if (!r.cluster || this.submitting.has(r.id)) continue;
      const job = store.slurmJobs.latest(r.id);
      if (job && job.attempt === r.attempt) continue;
      if (store.runs.markInterrupted(r.id, 'the workbench stopped before it could submit the run to Slurm'))
        this.emitStatus(r.id);
    }
  }

  /** The run's log lines since the last poll, to live viewers. */
  private streamLog(runId: number): void {
    const listener = this.o.listener?.onLog;
    if (!listener) return;
    const file = trainerLogPath(this.o.dataDir, runId);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return;
    }
    const from = this.logOffsets.get(runId) ?? size; // a restarted workbench does not replay the log
    this.logOffsets.set(runId, size);
    if (size <= from) return;
    const fd = openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(size - from, 1 << 20));
      const n = readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      for (const line of buffer.subarray(0, n).toString('utf8').split('\n'))
        if (line.trim()) listener(runId, line);
    } finally {
      closeSync(fd);
    }
  }

  private logTail(runId: number): string[] {
    try {
      const text = readFileSync(trainerLogPath(this.o.dataDir, runId), 'utf8');
      return text
        .split('\n')
        .filter((l) => l.trim())
        .slice(-5);
    } catch {
      return [];
    }
  }

  /** A line in the run's log (what the workbench did with its job), and to live viewers. */
  private log(runId: number, line: string): void {
    const text = `${new Date().toISOString()} workbench: ${line}`;
    try {
      const file = trainerLogPath(this.o.dataDir, runId);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, `${text}\n`, { flag: 'a' });
      // Our own line is not streamed again from the file.
      if (this.logOffsets.has(runId)) this.logOffsets.set(runId, statSync(file).size);
    } catch {
      // The log is a convenience; the store has the state.
    }
    this.o.listener?.onLog?.(runId, text);
  }

  private emitStatus(runId: number): void {
    if (!this.o.listener?.onStatus) return;
    const run = this.o.store.runs.summary(runId);
    if (run) this.o.listener.onStatus(run);
  }

  private safely(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.error = describeWriteError(e);
    }
  }

  /** Stop following (the jobs run on; a workbench started later picks them up). */
  async close(): Promise<void> {
    this.closed = true;
    await this.polling;
    while (this.submitting.size || this.waiting.size) await new Promise((r) => setTimeout(r, 50));
  }
}

/** A run's final status from its job's end: the trainer's own word, and Slurm's state. */
export function finalStatus(
  job: Pick<SlurmJobRecord, 'jobId' | 'trainerStatus' | 'trainerError' | 'node'>,
  s: SlurmJobStatus,
  context: {
    cancelAsked: boolean;
    checkpoint: number | null;
    iteration: number;
    time: string | null;
    logTail: string[];
  },
): { status: 'completed' | 'failed' | 'cancelled' | 'interrupted'; error: string | null } {
  const trainer = job.trainerStatus
    ? {
        status: job.trainerStatus as 'completed' | 'failed' | 'cancelled' | 'interrupted',
        error: job.trainerError,
      }
    : null;
  const resume =
    context.checkpoint != null
      ? `resume continues from its checkpoint at iteration ${context.checkpoint}`
      : 'it had no checkpoint yet (resume starts it again)';
  const where = s.node ?? job.node;
  const tail = context.logTail.length ? `; its last output: ${context.logTail.join(' | ')}` : '';
  switch (s.state) {
    case 'COMPLETED':
      return (
        trainer ?? {
          status: 'failed',
          error: `Slurm job ${job.jobId} ended without the trainer's final status${tail}`,
        }
      );
    case 'CANCELLED':
      if (context.cancelAsked) return { status: 'cancelled', error: null };
      return {
        status: 'failed',
        error: `Slurm job ${job.jobId} was cancelled outside the workbench (scancel by a user or an administrator) at iteration ${context.iteration}; ${resume}`,
      };
    case 'TIMEOUT':
      return {
        status: 'interrupted',
        error: `Slurm job ${job.jobId} reached its time limit${context.time ? ` (${context.time})` : ''} at iteration ${context.iteration}; ${resume}`,
      };
    case 'NODE_FAIL':
      return {
        status: 'interrupted',
        error: `the node${where ? ` ${where}` : ''} running Slurm job ${job.jobId} failed (NODE_FAIL) at iteration ${context.iteration}; ${resume}`,
      };
    case 'PREEMPTED':
      return {
        status: 'interrupted',
        error: `Slurm job ${job.jobId} was preempted at iteration ${context.iteration}; ${resume}`,
      };
    case 'OUT_OF_MEMORY':
      return {
        status: 'failed',
        error: `Slurm job ${job.jobId} ran out of the memory it was given (OUT_OF_MEMORY) at iteration ${context.iteration}: ask for more (--mem) and resume; ${resume}`,
      };
    case 'FAILED':
      if (trainer && trainer.status !== 'completed') return trainer;
      return {
        status: 'failed',
        error: `Slurm job ${job.jobId} failed${s.exitCode ? ` (exit code ${s.exitCode})` : ''}${where ? ` on ${where}` : ''} at iteration ${context.iteration}${tail}`,
      };
    case 'UNKNOWN':
      return (
        trainer ?? {
          status: 'failed',
          error: `Slurm no longer knows job ${job.jobId}, and its trainer left no final status; ${resume}`,
        }
      );
    default:
      return trainer ?? { status: 'failed', error: `Slurm job ${job.jobId} ended as ${s.state}; ${resume}` };
  }
}
