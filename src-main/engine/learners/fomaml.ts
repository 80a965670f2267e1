/** First-order MAML: the inner gradients are constants, so the query gradient at φ_K is the update. */
import type { LearnerDefinition } from './definition';
import { buildGradientLearner } from './optimisation';

export const fomaml: LearnerDefinition = {
  name: 'fomaml',
  build: (ctx) => buildGradientLearner(ctx, { firstOrder: true, learnRates: false }),
};
