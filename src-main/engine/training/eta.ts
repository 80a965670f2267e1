/**
 * Time left in a run: the training iterations still to do, and the validations and the meta-test
 * that follow them. Evaluation runs the same per-task code at validation and at meta-test, so the
 * time per task measured at the validations so far prices both; before the first validation, a
 * training iteration's time per task stands in (it does at least the work of evaluating one).
 */
export interface EtaInput {
  iteration: number;
  iterations: number;
  /** Mean wall time of a training iteration so far (this attempt). */
  msPerIteration: number;
  metaBatch: number;
  /** Validate every this many iterations (0: never) with this many tasks; false without a val split. */
  valEvery: number;
  valTasks: number;
  validates: boolean;
  /** Meta-test tasks at the end (0 when the run skips its meta-test). */
  testTasks: number;
  /** Time per evaluated task measured so far, or null before the first validation. */
  msPerEvaluatedTask: number | null;
}

/**
 * The pace of training iterations for the ETA: the mean of the latest `window` iterations, leaving
 * out an attempt's first as soon as there is another (it pays for kernel set-up, workers, shader
 * compilation: 1 h 15 min was read at iteration 1 of a 10-minute run). A window, not the mean of
 * all, so that a machine that slows down or speeds up is followed.
 */
export class IterationPace {
  private readonly samples: number[] = [];
  private first: number | null = null;
  constructor(private readonly window = 50) {}

  add(ms: number): void {
    if (this.first === null) {
      this.first = ms;
      return;
    }
    this.samples.push(ms);
    if (this.samples.length > this.window) this.samples.shift();
  }

  /** ms per iteration; the first's alone until a second comes. NaN before any. */
  get msPerIteration(): number {
    if (this.samples.length === 0) return this.first ?? Number.NaN;
    return this.samples.reduce((a, b) => a + b, 0) / this.samples.length;
  }
}

export function remainingMs(p: EtaInput): number {
  const left = Math.max(0, p.iterations - p.iteration);
  const validations =
    p.validates && p.valEvery > 0
      ? Math.floor(p.iterations / p.valEvery) - Math.floor(p.iteration / p.valEvery)
      : 0;
  const perTask = p.msPerEvaluatedTask ?? p.msPerIteration / Math.max(1, p.metaBatch);
  return left * p.msPerIteration + (validations * p.valTasks + p.testTasks) * perTask;
}
