/**
 * Batches metric points into few transactions: a write per point would cost more than the
 * training step on small configs. Flushed when the batch is large or old, and always before a
 * checkpoint, so every committed checkpoint has its metrics committed too.
 */
import type { MetricRecord } from '../contract/records';
import { describeWriteError } from '../store/database';
import type { RunRecorder } from './runRecorder';

export class MetricWriteError extends Error {
  constructor(cause: unknown) {
    super(`metrics could not be written: ${describeWriteError(cause)}; the points already saved are kept`);
    this.name = 'MetricWriteError';
    this.cause = cause;
  }
}

export class MetricWriter {
  private pending: MetricRecord[] = [];
  private lastFlush = Date.now();
  private lastStep = 0;

  constructor(
    private readonly recorder: RunRecorder,
    private readonly onCommitted: (points: MetricRecord[]) => void,
    private readonly maxPoints = 256,
    private readonly maxAgeMs = 1000,
  ) {}

  add(key: string, step: number, value: number, time = Date.now()): void {
    if (!Number.isFinite(value)) return; // SQLite has no NaN; a diverged loss shows as a gap
    this.pending.push({ key, step, value, time });
    if (!key.startsWith('pretrain/')) this.lastStep = Math.max(this.lastStep, step);
  }

  /** Flush when the batch is big or old enough. */
  maybeFlush(now = Date.now()): void {
    if (this.pending.length >= this.maxPoints || now - this.lastFlush >= this.maxAgeMs) this.flush(now);
  }

  flush(now = Date.now()): void {
    this.lastFlush = now;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    try {
      this.recorder.metrics(batch, this.lastStep, now);
    } catch (e) {
      throw new MetricWriteError(e);
    }
    this.pending = [];
    this.onCommitted(batch);
  }

  /** Forget unflushed points (after a failed write, so a last flush does not retry them). */
  discard(): void {
    this.pending = [];
  }
}
