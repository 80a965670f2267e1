/** Human-readable progress for `deml train`: a bar on a terminal, plain lines otherwise. */
import type { IterationProgress } from '../engine';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m${String(sec).padStart(2, '0')}s`
      : `${sec}s`;
}

export function progressLine(p: IterationProgress, width = 24): string {
  const filled = Math.round((width * p.iteration) / Math.max(1, p.iterations));
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  return (
    `${bar} ${p.iteration}/${p.iterations}  loss ${p.loss.toFixed(3)}  acc ${(100 * p.accuracy).toFixed(1)}%  ` +
    `${p.tasksPerSecond.toFixed(1)} tasks/s  ETA ${formatDuration(p.etaMs)}`
  );
}

export class ProgressPrinter {
  private lastLineAt = 0;
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly interactive = stream.isTTY === true,
  ) {}

  iteration(p: IterationProgress): void {
    if (this.interactive) {
      this.stream.write(`\r${progressLine(p)}\x1b[K`);
      if (p.iteration === p.iterations) this.stream.write('\n');
      return;
    }
    // Logs and pipes get a line every 10 s and at the end, not a line per iteration.
    const now = Date.now();
    if (now - this.lastLineAt > 10_000 || p.iteration === p.iterations || p.iteration === 1) {
      this.lastLineAt = now;
      this.stream.write(`${progressLine(p)}\n`);
    }
  }

  line(text: string): void {
    this.stream.write(this.interactive ? `\r\x1b[K${text}\n` : `${text}\n`);
  }
}
