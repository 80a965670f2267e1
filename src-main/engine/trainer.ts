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
import { metaStep } from './training/metaStep';
import type { TrainOptions, ValidationProgress } from './training/options';
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

async function train(s: TrainingSession, options: TrainOptions, started: number): Promise<TrainResult> {
  const { config, callbacks = {}, signal, checkpointDir } = options;
  const record = {
    lossCurve: [] as number[],
    accuracyCurve: [] as number[],
    validations: [] as ValidationProgress[],
    lastCheckpoint: s.resumedFrom,
  };
  const result = (status: TrainResult['status'], test: EvaluationResult | null): TrainResult => ({
    status,
    iterations: s.state.iteration,
    ...record,
    test,
    durationMs: performance.now() - started,
    network: s.model.description,
    parameters: s.model.parameters,
  });
  const checkpoint = async () => {
    if (!checkpointDir) return;
    record.lastCheckpoint = await checkpointSession(s, checkpointDir, options.keepCheckpoints ?? 2);
    await callbacks.onCheckpoint?.(record.lastCheckpoint, s.state.iteration);
  };
  // What evaluating a task costs, measured at the latest validation (the first also pays for
  // setting up its kernels): it prices the ETA's evaluations.
  const evaluated = { ms: 0, tasks: 0 };
  const validate = async () => {
    const t0 = performance.now();
    const v = {
      ...(await evaluateSession(s, 'val', config.valTasks, { signal })),
      iteration: s.state.iteration,
    };
    evaluated.ms = performance.now() - t0;
    evaluated.tasks = config.valTasks;
    record.validations.push(v);
    await callbacks.onValidation?.(v);
  };

  try {
    if (!s.resumedFrom && !(await pretrain(s, callbacks.onPretrain, signal)))
      return result('cancelled', null);
    // A cancel during a validation checkpoints before it is recorded: run it again first.
    const at = s.state.iteration;
    if (s.resumedFrom && validationDue(s, at) && options.hasValidation && !options.hasValidation(at)) {
      await validate();
    }
    const pace = new IterationPace();
    while (s.state.iteration < config.iterations) {
      if (signal?.aborted) {
        await checkpoint();
        return result('cancelled', null);
      }
      const step = await metaStep(s, signal);
      const { iteration } = s.state;
      // A NaN or infinite loss means the parameters are gone too: stop here, with the last good
      // checkpoint untouched, rather than train on and report chance as a result.
      const diverged = !Number.isFinite(step.loss)
        ? `the meta-loss is ${step.loss}`
        : step.discrimination && !Number.isFinite(step.discrimination.loss)
          ? `the discriminator's loss is ${step.discrimination.loss}`
          : null;
      if (diverged) {
        throw new DivergenceError(
          `training diverged at iteration ${iteration}: ${diverged}` +
            (record.lastCheckpoint
              ? `; the last good checkpoint (${basename(record.lastCheckpoint)}) is kept`
              : '; no checkpoint had been saved') +
            ' (a smaller learning rate, inner or meta, usually helps)',
          iteration,
        );
      }
      pace.add(step.ms);
      record.lossCurve.push(step.loss);
      record.accuracyCurve.push(step.accuracy);
      await callbacks.onIteration?.({
        iteration,
        iterations: config.iterations,
        loss: step.loss,
        accuracy: step.accuracy,
        tasksPerSecond: (config.metaBatch * 1000) / step.ms,
        elapsedMs: performance.now() - started,
        etaMs: remainingMs({
          iteration,
          iterations: config.iterations,
          msPerIteration: pace.msPerIteration,
          metaBatch: config.metaBatch,
          valEvery: config.valEvery,
          valTasks: config.valTasks,
          validates: s.splits.val.length > 0,
          testTasks: options.skipTest ? 0 : config.evalTasks,
          msPerEvaluatedTask: evaluated.tasks > 0 ? evaluated.ms / evaluated.tasks : null,
        }),
        ...(step.discrimination
          ? {
              discriminationLoss: step.discrimination.loss,
              discriminationAccuracy: step.discrimination.accuracy,
            }
          : {}),
      });
      if (validationDue(s, iteration)) await validate();
      const every = config.checkpointEvery;
      if (every > 0 && iteration % every === 0 && iteration < config.iterations) await checkpoint();
    }
    await checkpoint();
    if (options.skipTest) return result('completed', null);
    const test = await evaluateSession(s, 'test', config.evalTasks, {
      signal,
      onProgress: callbacks.onEvaluationProgress,
    });
    return result('completed', test);
  } catch (e) {
    // Cancelled during a validation or the meta-test: the parameters are those of a completed
    // iteration, so checkpoint them as at any other cancellation.
    if (signal?.aborted) {
      await checkpoint();
      return result('cancelled', null);
    }
    throw e;
  }
}
