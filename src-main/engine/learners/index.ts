import type { ExperimentConfig } from '../../contract/config';
import type { Network } from '../nn/network';
import { createGradientLearner } from './gradientLearner';
import type { Learner } from './learner';

/** The learner a config names, over the given network. */
export function createLearner(config: ExperimentConfig, network: Network): Learner {
  const common = { network, innerSteps: config.innerSteps, innerLr: config.innerLr };
  switch (config.learner) {
    case 'maml':
      return createGradientLearner({ ...common, name: 'maml', firstOrder: false, learnRates: false });
    case 'fomaml':
      return createGradientLearner({ ...common, name: 'fomaml', firstOrder: true, learnRates: false });
    case 'metasgd':
      return createGradientLearner({
        ...common,
        name: 'metasgd',
        firstOrder: false,
        learnRates: true,
        rateInit: config.metaSgdInit,
      });
  }
}

export type { Learner, TaskEvaluation, TaskMetaGradient } from './learner';
export { createGradientLearner, RATE_PREFIX } from './gradientLearner';
export type { GradientLearnerOptions } from './gradientLearner';
export { taskTensors } from './task';
export type { TaskTensors } from './task';
