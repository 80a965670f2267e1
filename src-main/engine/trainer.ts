/**
 * The meta-training loop: Adam on the mean meta-gradient of a meta-batch of tasks, progress
 * callbacks per iteration, periodic validation and checkpoints, cancellation at an iteration
 * boundary (with a checkpoint first), resume from the newest checkpoint, and the final meta-test.
 */
import type { ExperimentConfig } from '../contract/config';
import { type AdamState, ADAM_DEFAULTS, adamStep, initAdam } from './adam';
import { type LoadedCheckpoint, loadLatestCheckpoint, pruneCheckpoints, saveCheckpoint } from './checkpoint';
import type { ClassIndexedDataset } from './dataset';
import { type ClassSplits, EpisodeSampler, splitClasses } from './episodes';
import { type EvaluationResult, evaluate } from './evaluate';
import { createLearner } from './learners';
import type { Learner } from './learners/learner';
import { taskTensors } from './learners/task';
import { conv4 } from './nn/conv4';
import type { Network } from './nn/network';
import { type Params, countParameters, disposeParams } from './nn/params';
import { Rng } from './random';
import { tf } from './tf';
import type { Scalar } from './tf';
import { validateAgainstDataset } from './validate';

export interface IterationProgress {
  /** 1-based index of the iteration just finished. */
  iteration: number;
  iterations: number;
  /** Mean query loss after adaptation over the meta-batch. */
  loss: number;
  /** Mean query accuracy after adaptation over the meta-batch. */
  accuracy: number;
  /** Tasks per second over this iteration. */
  tasksPerSecond: number;
  elapsedMs: number;
  /** Estimated time to the end of meta-training (not counting the final evaluation). */
  etaMs: number;
}

export interface ValidationProgress extends EvaluationResult {
  iteration: number;
}

export interface TrainCallbacks {
  onStart?(info: TrainStartInfo): void | Promise<void>;
  onIteration?(progress: IterationProgress): void | Promise<void>;
  onValidation?(result: ValidationProgress): void | Promise<void>;
  onCheckpoint?(path: string, iteration: number): void | Promise<void>;
  /** Meta-test progress (tasks done / total). */
  onEvaluationProgress?(done: number, total: number): void;
}

export interface TrainStartInfo {
  network: string;
  parameters: number;
  metaParameters: number;
  splits: { train: number; val: number; test: number };
  startIteration: number;
  resumedFrom: string | null;
}

export interface TrainOptions {
  /** A parsed config (parseExperimentConfig); checked against the dataset before any work. */
  config: ExperimentConfig;
  dataset: ClassIndexedDataset;
  callbacks?: TrainCallbacks;
  /** Where checkpoints go; none are written without it. */
  checkpointDir?: string;
  /** Continue from the newest checkpoint in checkpointDir when there is one. */
  resume?: boolean;
  /** Checkpoints kept on disk (newest first). */
  keepCheckpoints?: number;
  /** Cancels at the next iteration boundary, after a checkpoint. */
  signal?: AbortSignal;
  /** Skip the final meta-test (e.g. when a caller evaluates separately). */
  skipTest?: boolean;
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

/** A learner and its network for a config and dataset: shared by training and evaluation. */
export function buildModel(
  config: ExperimentConfig,
  dataset: ClassIndexedDataset,
): { network: Network; learner: Learner } {
  const network = conv4(config.model, dataset, config.ways);
  return { network, learner: createLearner(config, network) };
}

/** Is a checkpoint from the same experiment (same learner and shapes)? */
function checkResumable(ckpt: LoadedCheckpoint, learner: Learner, config: ExperimentConfig): void {
  if (ckpt.header.learner !== learner.name) {
    throw new Error(
      `cannot resume: the checkpoint is from learner '${ckpt.header.learner}', not '${learner.name}'`,
    );
  }
  for (const spec of learner.metaSpecs) {
    const t = ckpt.meta[spec.name];
    if (t == null || t.shape.join('×') !== spec.shape.join('×')) {
      throw new Error(
        `cannot resume: parameter '${spec.name}' differs between the checkpoint and this config`,
      );
    }
  }
  if (ckpt.iteration > config.iterations) {
    throw new Error(
      `cannot resume: the checkpoint is at iteration ${ckpt.iteration}, past the ${config.iterations} configured`,
    );
  }
}

export async function metaTrain(options: TrainOptions): Promise<TrainResult> {
  const { config, dataset, callbacks = {}, checkpointDir, signal } = options;
  validateAgainstDataset(config, dataset);
  const started = performance.now();
  const splits: ClassSplits = splitClasses(dataset, config.split, config.evalSeed);
  const { network, learner } = buildModel(config, dataset);
  const imageShape: [number, number, number] = [dataset.height, dataset.width, dataset.channels];
  const episodeRng = Rng.derive(config.seed, 'episodes:train');
  const sampler = new EpisodeSampler(dataset, splits.train, config, episodeRng);

  let meta: Params;
  let adam: AdamState;
  let iteration = 0;
  let resumedFrom: string | null = null;
  const ckpt = options.resume && checkpointDir ? await loadLatestCheckpoint(checkpointDir) : null;
  if (ckpt) {
    try {
      checkResumable(ckpt, learner, config);
    } catch (e) {
      disposeParams(ckpt.meta);
      disposeParams(ckpt.adam.m);
      disposeParams(ckpt.adam.v);
      throw e;
    }
    meta = ckpt.meta;
    adam = ckpt.adam;
    iteration = ckpt.iteration;
    episodeRng.setState(ckpt.rngState);
    resumedFrom = ckpt.path;
  } else {
    meta = learner.initMetaParams(Rng.derive(config.seed, 'init'));
    adam = initAdam(meta);
  }

  await callbacks.onStart?.({
    network: network.description,
    parameters: countParameters(network.specs),
    metaParameters: countParameters(learner.metaSpecs),
    splits: { train: splits.train.length, val: splits.val.length, test: splits.test.length },
    startIteration: iteration,
    resumedFrom,
  });

  const adamConfig = { ...ADAM_DEFAULTS, learningRate: config.metaLr };
  const lossCurve: number[] = [];
  const accuracyCurve: number[] = [];
  const validations: ValidationProgress[] = [];
  let lastCheckpoint: string | null = resumedFrom;
  let trainMs = 0;
  const startIteration = iteration;

  const checkpoint = async (): Promise<void> => {
    if (!checkpointDir) return;
    lastCheckpoint = await saveCheckpoint(
      checkpointDir,
      { iteration, meta, adam, rngState: episodeRng.getState() },
      { learner: learner.name, config },
    );
    await pruneCheckpoints(checkpointDir, options.keepCheckpoints ?? 2);
    await callbacks.onCheckpoint?.(lastCheckpoint, iteration);
  };

  const evaluateOn = (split: 'val' | 'test', tasks: number, onProgress?: (d: number, t: number) => void) =>
    evaluate({
      learner,
      meta,
      dataset,
      classIds: splits[split],
      split,
      shape: config,
      tasks,
      innerSteps: config.testInnerSteps,
      episodeSeed: config.evalSeed,
      onProgress,
      signal,
    });

  try {
    while (iteration < config.iterations) {
      if (signal?.aborted) {
        await checkpoint();
        return result('cancelled', null);
      }
      const t0 = performance.now();
      const step = metaBatchGradient(learner, meta, sampler, imageShape, config.metaBatch);
      const next = adamStep(meta, step.grads, adam, adamConfig);
      disposeParams(step.grads);
      meta = next.params;
      adam = next.state;
      // One host read per iteration, after the update is queued (async: no pipeline stall on GPU).
      const [loss, acc] = await Promise.all([step.loss.data(), step.accuracy.data()]);
      // On CPU backends data() resolves as a microtask; give signals, IPC and pipes their turn.
      await yieldToEventLoop();
      step.loss.dispose();
      step.accuracy.dispose();
      iteration++;
      const ms = performance.now() - t0;
      trainMs += ms;
      lossCurve.push(loss[0]!);
      accuracyCurve.push(acc[0]!);
      const perIteration = trainMs / (iteration - startIteration);
      await callbacks.onIteration?.({
        iteration,
        iterations: config.iterations,
        loss: loss[0]!,
        accuracy: acc[0]!,
        tasksPerSecond: (config.metaBatch * 1000) / ms,
        elapsedMs: performance.now() - started,
        etaMs: perIteration * (config.iterations - iteration),
      });
      if (config.valEvery > 0 && splits.val.length > 0 && iteration % config.valEvery === 0) {
        const v = { ...(await evaluateOn('val', config.valTasks)), iteration };
        validations.push(v);
        await callbacks.onValidation?.(v);
      }
      if (
        config.checkpointEvery > 0 &&
        iteration % config.checkpointEvery === 0 &&
        iteration < config.iterations
      ) {
        await checkpoint();
      }
    }
    await checkpoint();
    if (options.skipTest) return result('completed', null);
    const test = await evaluateOn('test', config.evalTasks, callbacks.onEvaluationProgress);
    return result('completed', test);
  } catch (e) {
    // Cancelled during a validation or the meta-test: the parameters are those of a completed
    // iteration, so checkpoint them as at any other cancellation.
    if (signal?.aborted) {
      await checkpoint();
      return result('cancelled', null);
    }
    throw e;
  } finally {
    disposeParams(meta);
    disposeParams(adam.m);
    disposeParams(adam.v);
  }

  function result(status: TrainResult['status'], test: EvaluationResult | null): TrainResult {
    return {
      status,
      iterations: iteration,
      lossCurve,
      accuracyCurve,
      validations,
      test,
      durationMs: performance.now() - started,
      network: network.description,
      parameters: countParameters(network.specs),
      lastCheckpoint,
    };
  }
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Mean meta-gradient, loss and accuracy over a meta-batch; one tidy per task keeps memory flat. */
function metaBatchGradient(
  learner: Learner,
  meta: Params,
  sampler: EpisodeSampler,
  imageShape: [number, number, number],
  metaBatch: number,
): { grads: Params; loss: Scalar; accuracy: Scalar } {
  type Sum = { grads: Params; loss: Scalar; accuracy: Scalar };
  let sum: Sum | null = null;
  for (let i = 0; i < metaBatch; i++) {
    const episode = sampler.next();
    const previous: Sum | null = sum;
    sum = tf.tidy((): Sum => {
      const g = learner.metaGradient(meta, taskTensors(episode, imageShape));
      if (previous == null) return g;
      const grads: Params = {};
      for (const name of Object.keys(g.grads)) grads[name] = tf.add(previous.grads[name]!, g.grads[name]!);
      return { grads, loss: tf.add(previous.loss, g.loss), accuracy: tf.add(previous.accuracy, g.accuracy) };
    });
    if (previous) {
      disposeParams(previous.grads);
      previous.loss.dispose();
      previous.accuracy.dispose();
    }
  }
  const total = sum!;
  const mean = tf.tidy(() => {
    const grads: Params = {};
    for (const name of Object.keys(total.grads)) grads[name] = tf.div(total.grads[name]!, metaBatch);
    return {
      grads,
      loss: tf.div(total.loss, metaBatch) as Scalar,
      accuracy: tf.div(total.accuracy, metaBatch) as Scalar,
    };
  });
  disposeParams(total.grads);
  total.loss.dispose();
  total.accuracy.dispose();
  return mean;
}
