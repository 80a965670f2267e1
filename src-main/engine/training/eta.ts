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

export function remainingMs(p: EtaInput): number {
  const left = Math.max(0, p.iterations - p.iteration);
  const validations =
    p.validates && p.valEvery > 0
      ? Math.floor(p.iterations / p.valEvery) - Math.floor(p.iteration / p.valEvery)
      : 0;
  const perTask = p.msPerEvaluatedTask ?? p.msPerIteration / Math.max(1, p.metaBatch);
  return left * p.msPerIteration + (validations * p.valTasks + p.testTasks) * perTask;
}
