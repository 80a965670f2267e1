/**
 * The meta-training loop: Adam on the mean meta-gradient of a meta-batch of tasks, progress
 * callbacks per iteration, periodic validation and checkpoints, cancellation at an iteration
 * boundary (with a checkpoint first), resume from the newest checkpoint, and the final meta-test.
 */
import type { ExperimentConfig } from '../contract/config';
import { type AdamState, ADAM_DEFAULTS, adamStep, initAdam } from './adam';
import { type LoadedCheckpoint, loadLatestCheckpoint, pruneCheckpoints, saveCheckpoint } from './checkpoint';
import type { ClassIndexedDataset } from './dataset';
import { type ClassSplits, type Episode, EpisodeSampler, splitClasses } from './episodes';
import { type EvaluationResult, evaluate } from './evaluate';
import { ExternalSampler } from './deml';
import type { Learner } from './learners/learner';
import { taskTensors } from './learners/task';
import { type Model, buildModel } from './model';
import { type Params, disposeParams } from './nn/params';
import type { TaskGradient } from './parallel/messages';
import { TaskPool } from './parallel/taskPool';
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
  /** Concept space: the discrimination loss (unweighted) and accuracy on this iteration's external batch. */
  discriminationLoss?: number;
  discriminationAccuracy?: number;
}

export interface PretrainProgress {
  iteration: number;
  iterations: number;
  loss: number;
  accuracy: number;
}

export interface ValidationProgress extends EvaluationResult {
  iteration: number;
}

export interface TrainCallbacks {
  onStart?(info: TrainStartInfo): void | Promise<void>;
  onIteration?(progress: IterationProgress): void | Promise<void>;
  onValidation?(result: ValidationProgress): void | Promise<void>;
  onCheckpoint?(path: string, iteration: number): void | Promise<void>;
  /** Concept space: G + D pretraining on the external data, before meta-training. */
  onPretrain?(progress: PretrainProgress): void | Promise<void>;
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
  /** Threads the tasks run on (the trainer's and its task workers). */
  threads: number;
}

export interface TrainOptions {
  /** A parsed config (parseExperimentConfig); checked against the dataset before any work. */
  config: ExperimentConfig;
  dataset: ClassIndexedDataset;
  /** The external labelled dataset of the concept discriminator (concept space only). */
  external?: ClassIndexedDataset | null;
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
  /**
   * On resume at an iteration that is due a validation: was that validation recorded? A cancel
   * during a validation checkpoints before it finishes; answering false runs it again first.
   */
  hasValidation?: (iteration: number) => boolean;
  /**
   * Threads for the tasks of a meta-batch and of a meta-test (wasm and cpu; default 1). The
   * results do not depend on it: the same run on 1 or N threads is identical bit for bit.
   */
  threads?: number;
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

/** Is a checkpoint from the same experiment (same learner and shapes)? */
function checkResumable(ckpt: LoadedCheckpoint, model: Model, config: ExperimentConfig): void {
  const learner: Learner = model.learner;
  if (ckpt.header.learner !== learner.name) {
    throw new Error(
      `cannot resume: the checkpoint is from learner '${ckpt.header.learner}', not '${learner.name}'`,
    );
  }
  const conceptWeight = ckpt.meta['G.concept.weight'];
  if (
    config.space === 'concept' &&
    conceptWeight &&
    conceptWeight.shape[1] !== config.concept.generator.conceptSize
  ) {
    throw new Error(
      `cannot resume: concept size mismatch: the checkpoint's generator makes ${conceptWeight.shape[1]}-d concepts, ` +
        `this config ${config.concept.generator.conceptSize}-d`,
    );
  }
  for (const spec of model.specs) {
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
  const external = config.space === 'concept' ? (options.external ?? null) : null;
  validateAgainstDataset(config, dataset, external);
  const started = performance.now();
  const splits: ClassSplits = splitClasses(dataset, config.split, config.evalSeed);
  const model = buildModel(config, dataset, external);
  const { learner, discriminator } = model;
  const imageShape: [number, number, number] = [dataset.height, dataset.width, dataset.channels];
  const episodeRng = Rng.derive(config.seed, 'episodes:train');
  const sampler = new EpisodeSampler(dataset, splits.train, config, episodeRng);
  const externalRng = Rng.derive(config.seed, 'external');
  const externalSampler = external ? new ExternalSampler(external, externalRng) : null;
  const lambda = config.concept.lambda;

  let meta: Params;
  let adam: AdamState;
  let iteration = 0;
  let resumedFrom: string | null = null;
  const ckpt = options.resume && checkpointDir ? await loadLatestCheckpoint(checkpointDir) : null;
  if (ckpt) {
    try {
      checkResumable(ckpt, model, config);
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
    if (ckpt.externalRngState) externalRng.setState(ckpt.externalRngState);
    resumedFrom = ckpt.path;
  } else {
    meta = model.init(Rng.derive(config.seed, 'init'));
    adam = initAdam(meta);
  }

  // Workers for the other tasks of a meta-batch, on the backends that compute on this thread.
  const backendName = tf.getBackend();
  const threads = Math.min(options.threads ?? 1, config.metaBatch);
  const pool =
    threads > 1 && (backendName === 'wasm' || backendName === 'cpu')
      ? await TaskPool.start({
          threads,
          backend: backendName,
          config,
          image: dataset,
          externalClasses: external ? external.classNames.length : null,
        }).catch((e: unknown) => {
          disposeParams(meta);
          disposeParams(adam.m);
          disposeParams(adam.v);
          throw e;
        })
      : null;
  const release = async (): Promise<void> => {
    disposeParams(meta);
    disposeParams(adam.m);
    disposeParams(adam.v);
    await pool?.close();
  };

  // A failing callback must not leave the workers running.
  await (async () =>
    callbacks.onStart?.({
      network: model.description,
      parameters: model.parameters,
      metaParameters: model.parameters,
      splits: { train: splits.train.length, val: splits.val.length, test: splits.test.length },
      startIteration: iteration,
      resumedFrom,
      threads: pool?.threads ?? 1,
    }))().catch(async (e: unknown) => {
    await release();
    throw e;
  });

  const adamConfig = { ...ADAM_DEFAULTS, learningRate: model.learningRate };
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
      { iteration, meta, adam, rngState: episodeRng.getState(), externalRngState: externalRng.getState() },
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
      // Metric learners adapt nothing at test time.
      innerSteps:
        config.learner === 'protonet' || config.learner === 'matchingnet' ? 0 : config.testInnerSteps,
      episodeSeed: config.evalSeed,
      onProgress,
      signal,
      pool,
    });

  try {
    // Concept space: G and D first learn the external classes, when asked to (a fresh run only).
    if (discriminator && externalSampler && !ckpt && config.concept.pretrainIterations > 0) {
      const total = config.concept.pretrainIterations;
      for (let i = 1; i <= total; i++) {
        if (signal?.aborted) return result('cancelled', null);
        const out = tf.tidy(() =>
          discriminator.gradient(meta, externalSampler.next(config.concept.externalBatch), 1, true),
        );
        const next = adamStep(meta, out.grads, adam, adamConfig);
        disposeParams(out.grads);
        meta = next.params;
        adam = next.state;
        const [l, a] = await Promise.all([out.loss.data(), out.accuracy.data()]);
        out.loss.dispose();
        out.accuracy.dispose();
        await yieldToEventLoop();
        await callbacks.onPretrain?.({ iteration: i, iterations: total, loss: l[0]!, accuracy: a[0]! });
      }
    }
    if (
      ckpt &&
      options.hasValidation &&
      config.valEvery > 0 &&
      splits.val.length > 0 &&
      iteration > 0 &&
      iteration % config.valEvery === 0 &&
      !options.hasValidation(iteration)
    ) {
      const v = { ...(await evaluateOn('val', config.valTasks)), iteration };
      validations.push(v);
      await callbacks.onValidation?.(v);
    }
    while (iteration < config.iterations) {
      if (signal?.aborted) {
        await checkpoint();
        return result('cancelled', null);
      }
      const t0 = performance.now();
      const episodes = Array.from({ length: config.metaBatch }, () => sampler.next());
      // DEML: Σ L_query + λ·ℓ_D. D's gradient comes only from ℓ_D, M's only from the meta loss,
      // G's from both (the two gradients simply add: each loss is a function of its own params).
      // The external batch runs on this thread while the workers finish their tasks (it used to
      // follow them: a third of a concept-space iteration); its values do not depend on when.
      const held: { aux: GradientSum | null } = { aux: null };
      let step: GradientSum;
      try {
        step = await metaBatchGradient(learner, meta, episodes, imageShape, pool, () => {
          if (!(discriminator && externalSampler && model.trainGenerator && lambda > 0)) return;
          held.aux = tf.tidy(() =>
            discriminator.gradient(meta, externalSampler.next(config.concept.externalBatch), lambda, true),
          );
        });
      } catch (e) {
        if (held.aux) disposeGradientSum(held.aux);
        throw e;
      }
      let disc: { loss: Scalar; accuracy: Scalar } | null = null;
      const aux = held.aux;
      if (aux) {
        for (const [name, g] of Object.entries(aux.grads)) {
          const previous = step.grads[name];
          step.grads[name] = previous ? tf.add(previous, g) : tf.clone(g);
          previous?.dispose();
        }
        disposeParams(aux.grads);
        disc = { loss: tf.div(aux.loss, lambda) as Scalar, accuracy: aux.accuracy };
        aux.loss.dispose();
      }
      const next = adamStep(meta, step.grads, adam, adamConfig);
      disposeParams(step.grads);
      meta = next.params;
      adam = next.state;
      // One host read per iteration, after the update is queued (async: no pipeline stall on GPU).
      const [loss, acc, dLoss, dAcc] = await Promise.all([
        step.loss.data(),
        step.accuracy.data(),
        disc?.loss.data(),
        disc?.accuracy.data(),
      ]);
      // On CPU backends data() resolves as a microtask; give signals, IPC and pipes their turn.
      await yieldToEventLoop();
      step.loss.dispose();
      step.accuracy.dispose();
      disc?.loss.dispose();
      disc?.accuracy.dispose();
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
        ...(dLoss && dAcc ? { discriminationLoss: dLoss[0]!, discriminationAccuracy: dAcc[0]! } : {}),
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
    await release();
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
      network: model.description,
      parameters: model.parameters,
      lastCheckpoint,
    };
  }
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

type GradientSum = { grads: Params; loss: Scalar; accuracy: Scalar };

/** sum + g (sum may be null), in its own tidy; the old sum is disposed. */
function accumulate(sum: GradientSum | null, g: () => GradientSum): GradientSum {
  const next = tf.tidy((): GradientSum => {
    const t = g();
    if (sum == null) return t;
    const grads: Params = {};
    for (const name of Object.keys(t.grads)) grads[name] = tf.add(sum.grads[name]!, t.grads[name]!);
    return { grads, loss: tf.add(sum.loss, t.loss), accuracy: tf.add(sum.accuracy, t.accuracy) };
  });
  disposeGradientSum(sum);
  return next;
}

/**
 * Mean meta-gradient, loss and accuracy over a meta-batch; one tidy per task keeps memory flat.
 * With a pool, workers compute the later tasks while this thread computes the first ones, then
 * `meanwhile`; the sum still runs task by task in order, so the result is the same bit for bit.
 */
async function metaBatchGradient(
  learner: Learner,
  meta: Params,
  episodes: readonly Episode[],
  imageShape: [number, number, number],
  pool: TaskPool | null,
  meanwhile: () => void,
): Promise<GradientSum> {
  const { local, remote } = pool
    ? pool.gradients(meta, episodes)
    : { local: episodes, remote: Promise.resolve([] as TaskGradient[]) };
  let sum: GradientSum | null = null;
  let others: TaskGradient[];
  try {
    for (const episode of local) {
      sum = accumulate(sum, () => learner.metaGradient(meta, taskTensors(episode, imageShape)));
    }
    meanwhile();
    others = await remote;
  } catch (e) {
    disposeGradientSum(sum);
    // Where this thread failed first, nothing awaits the workers' answer any more: a failure
    // there must not surface later as an unhandled rejection.
    remote.catch(() => undefined);
    throw e;
  }
  for (const r of others) {
    sum = accumulate(sum, () => ({
      grads: Object.fromEntries(
        Object.entries(r.grads).map(([name, v]) => [name, tf.tensor(v, meta[name]!.shape)]),
      ),
      loss: tf.scalar(r.loss),
      accuracy: tf.scalar(r.accuracy),
    }));
  }
  const total = sum!;
  const n = episodes.length;
  const mean = tf.tidy(() => {
    const grads: Params = {};
    for (const name of Object.keys(total.grads)) grads[name] = tf.div(total.grads[name]!, n);
    return {
      grads,
      loss: tf.div(total.loss, n) as Scalar,
      accuracy: tf.div(total.accuracy, n) as Scalar,
    };
  });
  disposeGradientSum(total);
  return mean;
}

function disposeGradientSum(sum: GradientSum | null): void {
  if (!sum) return;
  disposeParams(sum.grads);
  sum.loss.dispose();
  sum.accuracy.dispose();
}
