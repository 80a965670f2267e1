/** Meta-SGD (Li et al. 2017): MAML with a learned inner-loop rate per parameter (metaSgdInit). */
import type { LearnerDefinition } from './definition';
import { buildGradientLearner } from './optimisation';

export const metasgd: LearnerDefinition = {
  name: 'metasgd',
  build: (ctx) => buildGradientLearner(ctx, { firstOrder: false, learnRates: true }),
};
