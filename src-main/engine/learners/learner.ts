import type { Scalar, Tensor1D, Tensor2D } from '../tf';
import type { ParamSpec, Params } from '../nn/params';
import type { Rng } from '../random';
import type { LossAndGradients } from './differentiate';
import type { TaskTensors } from './task';

/**
 * One task's contribution to the outer update: ∂ L_query(θ′) / ∂ (every trainable
 * meta-parameter) by name, with the query loss and accuracy after adaptation.
 */
export type TaskMetaGradient = LossAndGradients;

export interface TaskEvaluation {
  loss: Scalar;
  accuracy: Scalar;
  /** Sequence learners (MANN): accuracy at each presentation of a class, 1st, 2nd, … */
  byInstance?: Tensor1D;
  /**
   * Each query's probability of each class [Q, N], summing to 1 per query (the episode viewer
   * shows them). Sequence learners (MANN), whose tasks have no queries: each step's [batch ×
   * steps, N], sequence-major, as the task's sequence holds its images.
   */
  probabilities?: Tensor2D;
}

/**
 * A meta-learner apart from the network and from the task sampler (learn2learn's shape): it owns
 * how a task is adapted to and how the outer gradient flows through that adaptation.
 * Tensors returned belong to the caller's tidy scope.
 */
export interface Learner {
  readonly name: string;
  /** Everything the outer loop learns (θ, and Meta-SGD's rates as "lr:<name>"). */
  readonly metaSpecs: readonly ParamSpec[];
  /** The meta-parameters that get gradients (a frozen encoder's do not). */
  readonly trainable: readonly string[];
  /**
   * Whether it takes inner steps on a task's support set at validation and test time
   * (optimisation-based learners). Metric learners adapt nothing: `evaluate` ignores `steps`.
   */
  readonly adaptsAtTestTime: boolean;
  initMetaParams(rng: Rng): Params;
  /** Meta-gradient of the query loss after `innerSteps` adaptation steps on the support set. */
  metaGradient(meta: Params, task: TaskTensors): TaskMetaGradient;
  /** Adapt with `steps` steps (test time may use more than training) and score the query set. */
  evaluate(meta: Params, task: TaskTensors, steps: number): TaskEvaluation;
}
