/**
 * The engine's public API. The CLI, the job process and the tests use only this module.
 *
 * Typical use:
 * ```ts
 * const config = parseExperimentConfig({ learner: 'metasgd', iterations: 1000 });
 * const backend = await selectBackend(config.backend); // also installs gradient completion
 * const result = await metaTrain({ config, dataset, callbacks: { onIteration: console.log } });
 * console.log(formatAccuracy(result.test!)); // "91.20 ± 0.85%"
 * ```
 * The engine knows nothing of Electron, SQLite or the UI: it takes a validated config and a
 * dataset and reports through callbacks.
 */

// Configuration
export {
  ConfigError,
  ExperimentConfigSchema,
  LEARNERS,
  BACKENDS,
  parseExperimentConfig,
  type ConfigIssue,
  type ExperimentConfig,
  type ExperimentConfigInput,
  type LearnerName,
  type BackendPreference,
  type ModelConfig,
  type ConceptConfig,
  type Space,
  SPACES,
} from '../contract/config';
export { validateAgainstDataset } from './validate';

// Backends and gradient completion
export {
  selectBackend,
  describeBackend,
  probeCudaLibraries,
  resolveBackendPreference,
  CUDA_LIBRARIES,
  type BackendDescription,
  type BackendName,
  type CudaProbe,
} from './backend';
export { installGradients, COMPLETED_GRADIENTS } from './autodiff/gradients';
export { installWasmKernels } from './autodiff/wasmKernels';

// Data the engine consumes
export { type ClassIndexedDataset, type SplitName, checkDataset, classCount, imagesInClass } from './dataset';
export { EpisodeSampler, splitClasses, type Episode, type EpisodeShape, type ClassSplits } from './episodes';
export { Rng } from './random';

// Networks (functional layers over explicit parameter lists)
export { conv4, conv4Embedding } from './nn/conv4';
export { conv4OutputSize, type ImageShape } from './nn/shapes';
export { mlp, linearHead } from './nn/mlp';
export { activate, batchNorm, conv2d, linear, maxPool2x2, flatten, type Activation } from './nn/layers';
export type { Network } from './nn/network';
export {
  initParams,
  disposeParams,
  mapParams,
  paramList,
  paramsFromList,
  countParameters,
  type ParamSpec,
  type Params,
} from './nn/params';
export { softmaxCrossEntropy, logSumExp, accuracy } from './losses';

// Learners
export {
  createGradientLearner,
  createMetricLearner,
  createReptileLearner,
  learnerDefinition,
  metricLogits,
  taskTensors,
  RATE_PREFIX,
  type Learner,
  type LearnerDefinition,
  type GradientLearnerOptions,
  type MetricKind,
  type MetricLearnerOptions,
  type TaskMetaGradient,
  type TaskEvaluation,
  type TaskTensors,
} from './learners';

// Models: pixel space (conv4) and concept space (ResNet G, discriminator D on external data)
export { buildModel, type Model } from './model';
export { resnet, type ResNetConfig } from './nn/resnet';
export { createDiscriminator, ExternalSampler, type Discriminator, type ExternalBatch } from './deml';

// Training, evaluation, checkpoints
export { metaTrain, DivergenceError, type TrainResult } from './trainer';
export type {
  TrainOptions,
  TrainCallbacks,
  TrainStartInfo,
  IterationProgress,
  ValidationProgress,
  PretrainProgress,
} from './training/options';
export { evaluate, type EpisodeSource, type EvaluateOptions, type EvaluationResult } from './evaluate';
export {
  evaluateCheckpoint,
  type CheckpointEvaluation,
  type CheckpointEvaluationOptions,
  type CheckpointEvaluationSettings,
} from './evaluateCheckpoint';
export { inspectEpisode, type InspectedEpisode } from './inspectEpisode';
export { initAdam, adamStep, ADAM_DEFAULTS, type AdamState, type AdamConfig } from './adam';
export {
  saveCheckpoint,
  loadCheckpoint,
  loadLatestCheckpoint,
  disposeCheckpoint,
  checkpointToResume,
  CheckpointError,
  type ResumePoint,
  type LoadedCheckpoint,
  type TrainingState,
} from './checkpoint';
export { listCheckpoints, readCheckpointHeader, type CheckpointHeader } from './checkpointHeader';
export { summarizeAccuracies, formatAccuracy, type AccuracySummary } from './stats';
export { tf } from './tf';
