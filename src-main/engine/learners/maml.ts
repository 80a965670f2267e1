/** MAML (Finn, Abbeel, Levine 2017), second order: the meta-gradient goes through the inner loop. */
import type { LearnerDefinition } from './definition';
import { buildGradientLearner } from './optimisation';

export const maml: LearnerDefinition = {
  name: 'maml',
  build: (ctx) => buildGradientLearner(ctx, { firstOrder: false, learnRates: false }),
};
