/**
 * The job queue: queued runs (rows in the store, oldest first) are started in trainer processes
 * up to a concurrency limit. The queue lives in the store, so a run queued by another process
 * (`deml resume` while the app runs) is picked up at the next poll. The queue watches its
 * trainers: a trainer that dies without saying goodbye marks its run failed with the reason, and
 * runs left "running" by a crashed app are swept to "interrupted".
 */
import { type WriteStream, createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MetricRecord, RunProgress, RunSummary } from '../contract/records';
import { trainerLogPath } from '../layout/dataDirectory';
import { describeWriteError } from '../store/database';
import { processAlive } from '../store/instanceLock';
import type { Store } from '../store/store';
import type { TrainerLauncher, TrainerProcess } from './launcher';

export interface QueueListener {
  onStatus?(run: RunSummary): void;
  onProgress?(progress: RunProgress): void;
  onMetrics?(runId: number, points: MetricRecord[]): void;
  onLog?(runId: number, line: string): void;
}

export interface JobQueueOptions {
  store: Store;
  dataDir: string;
  launch: TrainerLauncher;
  /** Trainers at once (default 1: one device, one job). */
  concurrency?: number;
  /** How often the store is polled for runs queued by other processes and for stale runs. */
  pollMs?: number;
  /** A running run without a heartbeat for this long, and no live trainer here, is interrupted. */
  staleMs?: number;
  listener?: QueueListener;
}

interface ActiveJob {
  process: TrainerProcess;
  log: WriteStream;
  /** The last lines the trainer printed, for the error of a trainer that dies. */
  tail: string[];
  exited: Promise<void>;
}

const TAIL_LINES = 20;

export class JobQueue {
  private readonly active = new Map<number, ActiveJob>();
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly concurrency: number;

  constructor(private readonly o: JobQueueOptions) {
    this.concurrency = Math.max(1, o.concurrency ?? 1);
  }

  get activeRunIds(): number[] {
    return [...this.active.keys()];
  }

  start(): void {
    this.sweep();
    this.pump();
    this.timer = setInterval(() => {
      this.sweep();
      this.pump();
    }, this.o.pollMs ?? 1000);
    this.timer.unref();
  }

  /** Start queued runs while there is room. */
  pump(): void {
    const { store } = this.o;
    while (!this.closing && this.active.size < this.concurrency) {
      const run = store.runs.nextQueued();
      if (!run) return;
      // Claimed atomically: if another scheduler took it first, try the next one.
      if (!store.runs.markStarted(run.id, null)) continue;
      this.launch(run.id);
    }
  }

  /** Cancel a queued or running run. Returns false for an unknown run. */
  cancel(runId: number): boolean {
    const status = this.o.store.runs.requestCancel(runId);
    if (status == null) return false;
    this.active.get(runId)?.process.send({ type: 'cancel' });
    this.emitStatus(runId);
    return true;
  }

  /**
   * Runs left "running" by a previous instance: interrupted when their process is gone or they
   * stopped beating. Runs this queue watches are never swept (a long iteration is not a crash).
   */
  sweep(now = Date.now()): number[] {
    const staleBefore = now - (this.o.staleMs ?? 60_000);
    const swept: number[] = [];
    for (const r of this.o.store.runs.running()) {
      if (this.active.has(r.id)) continue;
      const dead = r.pid != null && !processAlive(r.pid);
      const silent = (r.heartbeat ?? 0) < staleBefore;
      if (!dead && !silent) continue;
      const reason = dead
        ? 'the trainer process was gone when the workbench restarted'
        : 'the trainer stopped responding (the app, server or machine stopped while it ran)';
      if (this.o.store.runs.markInterrupted(r.id, reason, now)) {
        swept.push(r.id);
        this.emitStatus(r.id);
      }
    }
    return swept;
  }

  /** Stop: running trainers checkpoint and end as "interrupted" (resumable); killed after a grace period. */
  async close(graceMs = 30_000): Promise<void> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    const jobs = [...this.active.values()];
    for (const job of jobs) job.process.send({ type: 'shutdown' });
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    const all = Promise.all(jobs.map((j) => j.exited));
    if ((await Promise.race([all, timeout])) === 'timeout') {
      for (const job of this.active.values()) job.process.kill('SIGKILL');
      await all;
    }
  }

  /** Resolves when none of the given runs (or none at all) is active or queued. */
  async idle(runIds?: readonly number[], pollMs = 200): Promise<void> {
    const busy = () => {
      const ids = runIds ?? [
        ...this.active.keys(),
        ...this.o.store.runs.list({ status: 'queued' }).map((r) => r.id),
      ];
      return ids.some((id) => {
        const s = this.o.store.runs.get(id)?.status;
        return s === 'queued' || s === 'running' || this.active.has(id);
      });
    };
    while (busy()) await new Promise((r) => setTimeout(r, pollMs));
  }

  private launch(runId: number): void {
    const { store, dataDir } = this.o;
    let log: WriteStream;
    let proc: TrainerProcess;
    try {
      const logPath = trainerLogPath(dataDir, runId);
      mkdirSync(dirname(logPath), { recursive: true });
      log = createWriteStream(logPath, { flags: 'a' });
      proc = this.o.launch({ runId, dataDir });
    } catch (e) {
      store.runs.finish(runId, 'failed', `could not start the trainer process: ${(e as Error).message}`);
      this.emitStatus(runId);
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
        this.o.listener?.onLog?.(runId, line);
      }
    };
    proc.stdout?.on('data', onOutput);
    proc.stderr?.on('data', onOutput);
    let resolveExit!: () => void;
    const exited = new Promise<void>((r) => (resolveExit = r));
    this.active.set(runId, { process: proc, log, tail, exited });
    try {
      store.runs.setPid(runId, proc.pid ?? null);
    } catch {
      // The pid only helps the sweep; the heartbeat covers it.
    }
    this.emitStatus(runId);

    proc.onMessage((m) => {
      switch (m.type) {
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
      }
    });
    proc.onExit((code, signal) => {
      this.active.delete(runId);
      try {
        if (store.runs.get(runId)?.status === 'running') {
          const how = signal?.startsWith('not started')
            ? `could not start (${signal.slice('not started: '.length)})`
            : signal
              ? `was killed (${signal})`
              : `exited with code ${code}`;
          const last = tail.length ? `; its last output: ${tail.slice(-5).join(' | ')}` : '';
          store.runs.finish(runId, 'failed', `the trainer process ${how} before the run ended${last}`);
        }
      } catch (e) {
        this.o.listener?.onLog?.(runId, `could not record the trainer's end: ${describeWriteError(e)}`);
      }
      log.end();
      this.emitStatus(runId);
      resolveExit();
      this.pump();
    });
  }

  private emitStatus(runId: number): void {
    if (!this.o.listener?.onStatus) return;
    const run = this.o.store.runs.summary(runId);
    if (run) this.o.listener.onStatus(run);
  }
}
