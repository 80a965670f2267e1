/**
 * The meta-training loop, as a short sequence of named steps (training/): set up or resume the
 * session, pretrain G and D (concept space, when asked), then meta-steps (DEML's joint step:
 * deml.ts) with periodic validation and checkpoints, and the final meta-test. Progress goes out
 * through callbacks; a cancellation stops at an iteration boundary, after a checkpoint.
 */
import { basename } from 'node:path';
import { classSplitSummary, describeClassSplit } from './episodes';
import type { EvaluationResult } from './evaluate';
import { IterationPace, remainingMs } from './training/eta';
import { type MetaStepResult, metaStep } from './training/metaStep';
import type { IterationProgress, TrainOptions, ValidationProgress } from './training/options';
import { pretrain } from './training/pretrain';
import {
  type TrainingSession,
  checkpointSession,
  closeSession,
  evaluateSession,
  openSession,
  validationDue,
} from './training/session';

/** Training produced a non-finite loss: the run stops with the iteration and keeps its last good checkpoint. */
export class DivergenceError extends Error {
  constructor(
    message: string,
    readonly iteration: number,
  ) {
    super(message);
    this.name = 'DivergenceError';
  }
}

export interface TrainResult {
  status: 'completed' | 'cancelled';
  /** Iterations completed in total (including those before a resume). */
  iterations: number;
  /** Loss and accuracy per iteration run in this call. */
  lossCurve: number[];
  accuracyCurve: number[];
  validations: ValidationProgress[];
  test: EvaluationResult | null;
  durationMs: number;
  network: string;
  parameters: number;
  lastCheckpoint: string | null;
}

export async function metaTrain(options: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const s = await openSession(options);
  try {
    await options.callbacks?.onStart?.({
      network: s.model.description,
      parameters: s.model.parameters,
      metaParameters: s.model.parameters,
      splits: { train: s.splits.train.length, val: s.splits.val.length, test: s.splits.test.length },
      classSplit: describeClassSplit(classSplitSummary(options.dataset, s.config.split, s.config.evalSeed)),
      startIteration: s.startIteration,
      resumedFrom: s.resumedFrom,
      threads: s.pool?.threads ?? 1,
    });
    return await train(s, options, started);
  } finally {
    await closeSession(s);
  }
}

/**
 * One call of train as it goes: the session it trains, the curves, validations and last
 * checkpoint its result reports, and the pace and evaluation cost that price its ETA.
 */
interface TrainingRun {
  readonly s: TrainingSession;
  readonly options: TrainOptions;
  /** When metaTrain was called: durations and elapsed times count from it. */
  readonly started: number;
  readonly lossCurve: number[];
  readonly accuracyCurve: number[];
  readonly validations: ValidationProgress[];
  lastCheckpoint: string | null;
  readonly pace: IterationPace;
  /**
   * What evaluating a task costs, measured at the latest validation (the first also pays for
   * setting up its kernels): it prices the ETA's evaluations.
   */
  readonly evaluated: { ms: number; tasks: number };
}

/** Pretraining (a fresh run), the meta-steps, the last checkpoint and the meta-test, in order. */
async function train(s: TrainingSession, options: TrainOptions, started: number): Promise<TrainResult> {
  const run: TrainingRun = {
    s,
    options,
    started,
    lossCurve: [],
    accuracyCurve: [],
    validations: [],
    lastCheckpoint: s.resumedFrom,
    pace: new IterationPace(),
    evaluated: { ms: 0, tasks: 0 },
  };
  const { signal } = options;
  try {
    if (!s.resumedFrom && !(await pretrain(s, options.callbacks?.onPretrain, signal))) {
      return trainResult(run, 'cancelled', null);
    }
    await validateIfMissed(run);
    if (!(await metaStepsToTheEnd(run))) return trainResult(run, 'cancelled', null);
    await checkpoint(run);
    return trainResult(run, 'completed', await metaTest(run));
  } catch (e) {
    // Cancelled during a validation or the meta-test: the parameters are those of a completed
    // iteration, so checkpoint them as at any other cancellation.
    if (signal?.aborted) {
      await checkpoint(run);
      return trainResult(run, 'cancelled', null);
    }
    throw e;
  }
}

function trainResult(
  run: TrainingRun,
  status: TrainResult['status'],
  test: EvaluationResult | null,
): TrainResult {
  const { s } = run;
  return {
    status,
    iterations: s.state.iteration,
    lossCurve: run.lossCurve,
    accuracyCurve: run.accuracyCurve,
    validations: run.validations,
    lastCheckpoint: run.lastCheckpoint,
    test,
    durationMs: performance.now() - run.started,
    network: s.model.description,
    parameters: s.model.parameters,
  };
}

/**
 * Meta-steps until the configured iterations are done, validating and checkpointing when due;
 * false when cancelled, which stops at an iteration boundary after a checkpoint.
 */
async function metaStepsToTheEnd(run: TrainingRun): Promise<boolean> {
  const { s } = run;
  const { config, signal } = run.options;
  while (s.state.iteration < config.iterations) {
    if (signal?.aborted) {
      await checkpoint(run);
      return false;
    }
    const step = await metaStep(s, signal);
    const { iteration } = s.state;
    stopIfDiverged(run, step, iteration);
    await recordIteration(run, step, iteration);
    if (validationDue(s, iteration)) await validate(run);
    const every = config.checkpointEvery;
    if (every > 0 && iteration % every === 0 && iteration < config.iterations) await checkpoint(run);
  }
  return true;
}

/**
 * A NaN or infinite loss means the parameters are gone too: stop here, with the last good
 * checkpoint untouched, rather than train on and report chance as a result.
 */
function stopIfDiverged(run: TrainingRun, step: MetaStepResult, iteration: number): void {
  const diverged = !Number.isFinite(step.loss)
    ? `the meta-loss is ${step.loss}`
    : step.discrimination && !Number.isFinite(step.discrimination.loss)
      ? `the discriminator's loss is ${step.discrimination.loss}`
      : null;
  if (!diverged) return;
  throw new DivergenceError(
    `training diverged at iteration ${iteration}: ${diverged}` +
      (run.lastCheckpoint
        ? `; the last good checkpoint (${basename(run.lastCheckpoint)}) is kept`
        : '; no checkpoint had been saved') +
      ' (a smaller learning rate, inner or meta, usually helps)',
    iteration,
  );
}

/** Keeps the iteration's loss, accuracy and time, and reports them with the ETA. */
async function recordIteration(run: TrainingRun, step: MetaStepResult, iteration: number): Promise<void> {
  run.pace.add(step.ms);
  run.lossCurve.push(step.loss);
  run.accuracyCurve.push(step.accuracy);
  await run.options.callbacks?.onIteration?.(iterationProgress(run, step, iteration));
}

function iterationProgress(run: TrainingRun, step: MetaStepResult, iteration: number): IterationProgress {
  const { config, skipTest } = run.options;
  return {
    iteration,
    iterations: config.iterations,
    loss: step.loss,
    accuracy: step.accuracy,
    tasksPerSecond: (config.metaBatch * 1000) / step.ms,
    elapsedMs: performance.now() - run.started,
    etaMs: remainingMs({
      iteration,
      iterations: config.iterations,
      msPerIteration: run.pace.msPerIteration,
      metaBatch: config.metaBatch,
      valEvery: config.valEvery,
      valTasks: config.valTasks,
      validates: run.s.splits.val.length > 0,
      testTasks: skipTest ? 0 : config.evalTasks,
      msPerEvaluatedTask: run.evaluated.tasks > 0 ? run.evaluated.ms / run.evaluated.tasks : null,
    }),
    ...(step.discrimination
      ? {
          discriminationLoss: step.discrimination.loss,
          discriminationAccuracy: step.discrimination.accuracy,
        }
      : {}),
  };
}

/** A checkpoint of the current iteration, when the run has somewhere to keep it. */
async function checkpoint(run: TrainingRun): Promise<void> {
  const { checkpointDir, callbacks } = run.options;
  if (!checkpointDir) return;
  const kept = run.s.config.checkpointsKept;
  run.lastCheckpoint = await checkpointSession(run.s, checkpointDir, kept === 0 ? Infinity : kept);
  await callbacks?.onCheckpoint?.(run.lastCheckpoint, run.s.state.iteration);
}

/** A validation on the meta-validation split, timed for the ETA. */
async function validate(run: TrainingRun): Promise<void> {
  const { s } = run;
  const { config, signal, callbacks } = run.options;
  const t0 = performance.now();
  const v = {
    ...(await evaluateSession(s, 'val', config.valTasks, { signal })),
    iteration: s.state.iteration,
  };
  run.evaluated.ms = performance.now() - t0;
  run.evaluated.tasks = config.valTasks;
  run.validations.push(v);
  await callbacks?.onValidation?.(v);
}

/**
 * A cancel during a validation checkpoints before the validation is recorded: on resume at that
 * iteration, run it again first.
 */
async function validateIfMissed(run: TrainingRun): Promise<void> {
  const { s, options } = run;
  const at = s.state.iteration;
  if (s.resumedFrom && validationDue(s, at) && options.hasValidation && !options.hasValidation(at)) {
    await validate(run);
  }
}

/** The final meta-test, unless the caller evaluates separately (skipTest). */
async function metaTest(run: TrainingRun): Promise<EvaluationResult | null> {
  const { config, skipTest, signal, callbacks } = run.options;
  if (skipTest) return null;
  return evaluateSession(run.s, 'test', config.evalTasks, {
    signal,
    onProgress: callbacks?.onEvaluationProgress,
  });
}
