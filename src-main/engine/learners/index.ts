export type { Learner, TaskEvaluation, TaskMetaGradient } from './learner';
export { createGradientLearner, RATE_PREFIX } from './gradientLearner';
export type { GradientLearnerOptions } from './gradientLearner';
export { createMetricLearner, metricLogits } from './metricLearner';
export type { MetricKind, MetricLearnerOptions } from './metricLearner';
export { taskTensors } from './task';
export type { TaskTensors } from './task';
