/**
 * What one call of metaTrain works with: the model, the class splits, the episode and external
 * samplers, the meta-parameters and Adam's state (fresh, or restored from the newest checkpoint),
 * and the task workers. `openSession` sets it all up or resumes it, `closeSession` releases it;
 * checkpoints and evaluations read the session's current state.
 */
import type { ExperimentConfig } from '../../contract/config';
import { type AdamConfig, type AdamState, ADAM_DEFAULTS, adamStep, disposeAdam, initAdam } from '../adam';
import {
  type LoadedCheckpoint,
  checkpointToResume,
  datasetFingerprint,
  dropCheckpointsAfter,
  pruneCheckpoints,
  saveCheckpoint,
} from '../checkpoint';
import type { ClassIndexedDataset } from '../dataset';
import { type DiscriminationTerm, ExternalSampler, discriminationTerm } from '../deml';
import { type ClassSplits, type EpisodeStream, splitClasses } from '../episodes';
import { taskStream } from '../taskStream';
import { type EvaluationResult, evaluate } from '../evaluate';
import { type Model, buildModel } from '../model';
import { type Params, disposeParams } from '../nn/params';
import { TaskPool } from '../parallel/taskPool';
import { Rng } from '../random';
import { tf } from '../tf';
import type { TrainOptions } from './options';
import { validateAgainstDataset } from '../validate';

export interface TrainingSession {
  readonly config: ExperimentConfig;
  readonly dataset: ClassIndexedDataset;
  readonly splits: ClassSplits;
  readonly model: Model;
  readonly imageShape: [number, number, number];
  readonly sampler: EpisodeStream;
  /** The concept discriminator's batches (concept space), else null. */
  readonly externalSampler: ExternalSampler | null;
  /** The generators of the two samplers, whose states checkpoints keep. */
  readonly rngs: { episodes: Rng; external: Rng };
  /** DEML's λ·ℓ_D term of each meta-training iteration, when the objective has one. */
  readonly discrimination: DiscriminationTerm | null;
  readonly adam: AdamConfig;
  /** Workers for the other tasks of a meta-batch and of an evaluation, or null (one thread). */
  readonly pool: TaskPool | null;
  /** The checkpoint this session continues from, or null for a fresh start. */
  readonly resumedFrom: string | null;
  /** The dataset's fingerprint, computed at the first checkpoint (about 50 ms for the glyphs). */
  datasetFingerprint?: string;
  /** Iterations done when the session opened. */
  readonly startIteration: number;
  /** The current state: replaced by every update, disposed by closeSession. */
  state: { iteration: number; meta: Params; adam: AdamState };
}

/** Validate, build the model, and start fresh or from the newest checkpoint, with the task workers. */
export async function openSession(options: TrainOptions): Promise<TrainingSession> {
  const { config, dataset } = options;
  const external = config.space === 'concept' ? (options.external ?? null) : null;
  validateAgainstDataset(config, dataset, external);
  const model = buildModel(config, dataset, external);
  const episodeRng = Rng.derive(config.seed, 'episodes:train');
  const externalRng = Rng.derive(config.seed, 'external');
  const splits = splitClasses(dataset, config.split, config.evalSeed);

  const ckpt =
    options.resume && options.checkpointDir
      ? await checkpointToResume(options.checkpointDir, options.resumePoint)
      : null;
  let state: TrainingSession['state'];
  if (ckpt) {
    try {
      checkResumable(ckpt, model, config);
      if (ckpt.header.datasetFingerprint && ckpt.header.datasetFingerprint !== datasetFingerprint(dataset)) {
        throw new Error(
          `cannot resume: dataset '${config.data}' is not the one this run trained on (its images or classes ` +
            'changed since the checkpoint: imported again?); import the original again, or start a new run',
        );
      }
    } catch (e) {
      disposeState(ckpt);
      throw e;
    }
    // Resuming from an older checkpoint than the newest: the later ones are superseded.
    if (options.resumePoint?.from != null) await dropCheckpointsAfter(options.checkpointDir!, ckpt.iteration);
    state = { iteration: ckpt.iteration, meta: ckpt.meta, adam: ckpt.adam };
    episodeRng.setState(ckpt.rngState);
    if (ckpt.externalRngState) externalRng.setState(ckpt.externalRngState);
  } else {
    // From scratch on request: the old checkpoints must not be taken for this run's later.
    if (options.resumePoint?.from === 0 && options.checkpointDir)
      await dropCheckpointsAfter(options.checkpointDir, 0);
    const meta = model.init(Rng.derive(config.seed, 'init'));
    state = { iteration: 0, meta, adam: initAdam(meta) };
  }

  const externalSampler = external ? new ExternalSampler(external, externalRng) : null;
  const term = discriminationTerm(model.discriminator, externalSampler, {
    ...config.concept,
    trainGenerator: model.trainGenerator,
  });
  let pool: TaskPool | null;
  try {
    pool = await startPool(options, external, term != null);
  } catch (e) {
    disposeState(state);
    throw e;
  }
  return {
    config,
    dataset,
    splits,
    model,
    imageShape: [dataset.height, dataset.width, dataset.channels],
    sampler: taskStream(dataset, splits.train, config, episodeRng, { pairs: true }),
    externalSampler,
    rngs: { episodes: episodeRng, external: externalRng },
    discrimination: term,
    adam: { ...ADAM_DEFAULTS, learningRate: model.learningRate, plainStep: model.plainStep },
    pool,
    resumedFrom: ckpt?.path ?? null,
    startIteration: state.iteration,
    state,
  };
}

/** One Adam update of the session's parameters with `grads` (left to the caller to dispose). */
export function updateParameters(s: TrainingSession, grads: Params): void {
  const next = adamStep(s.state.meta, grads, s.state.adam, s.adam);
  s.state = { ...s.state, meta: next.params, adam: next.state };
}

export async function closeSession(s: TrainingSession): Promise<void> {
  disposeState(s.state);
  await s.pool?.close();
}

/** Save the current state in `dir` (keeping the newest `keep`); returns the checkpoint's path. */
export async function checkpointSession(s: TrainingSession, dir: string, keep: number): Promise<string> {
  const path = await saveCheckpoint(
    dir,
    {
      ...s.state,
      rngState: s.rngs.episodes.getState(),
      externalRngState: s.rngs.external.getState(),
    },
    {
      learner: s.model.learner.name,
      config: s.config,
      image: s.dataset,
      datasetFingerprint: (s.datasetFingerprint ??= datasetFingerprint(s.dataset)),
    },
  );
  await pruneCheckpoints(dir, keep);
  return path;
}

/**
 * Meta-validation or meta-test at the current parameters: the split's seeded episodes (the same
 * for every run with this evalSeed), adapted with the test-time inner steps where the learner
 * adapts at all.
 */
export function evaluateSession(
  s: TrainingSession,
  split: 'val' | 'test',
  tasks: number,
  o: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<EvaluationResult> {
  const { learner } = s.model;
  return evaluate({
    learner,
    meta: s.state.meta,
    dataset: s.dataset,
    classIds: s.splits[split],
    split,
    shape: s.config,
    tasks,
    innerSteps: learner.adaptsAtTestTime ? s.config.testInnerSteps : 0,
    episodeSeed: s.config.evalSeed,
    onProgress: o.onProgress,
    signal: o.signal,
    pool: s.pool,
  });
}

/** Is a validation due after `iteration`? */
export function validationDue(s: TrainingSession, iteration: number): boolean {
  const every = s.config.valEvery;
  return every > 0 && s.splits.val.length > 0 && iteration > 0 && iteration % every === 0;
}

/** Workers for the other tasks of a meta-batch, on the backends that compute on this thread. */
async function startPool(
  options: TrainOptions,
  external: ClassIndexedDataset | null,
  /** An external batch runs on this thread each iteration, beside the tasks. */
  sideWork: boolean,
): Promise<TaskPool | null> {
  const backend = tf.getBackend();
  const threads = Math.min(options.threads ?? 1, options.config.metaBatch);
  if (threads <= 1 || (backend !== 'wasm' && backend !== 'cpu')) return null;
  return TaskPool.start({
    threads,
    backend,
    config: options.config,
    image: options.dataset,
    externalClasses: external ? external.classNames.length : null,
    sideWork,
  });
}

function disposeState(s: { meta: Params; adam: AdamState }): void {
  disposeParams(s.meta);
  disposeAdam(s.adam);
}

/** Is a checkpoint from the same experiment (same learner and shapes)? */
function checkResumable(ckpt: LoadedCheckpoint, model: Model, config: ExperimentConfig): void {
  const { learner } = model;
  if (ckpt.header.config.data !== config.data) {
    throw new Error(
      `cannot resume: the checkpoint was trained on '${ckpt.header.config.data}', not '${config.data}'`,
    );
  }
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
