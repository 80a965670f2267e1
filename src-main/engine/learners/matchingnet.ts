/** Matching Networks (Vinyals et al. 2016, without full-context embeddings). */
import { type LearnerDefinition, embeddingOf } from './definition';
import { createMetricLearner } from './metricLearner';

export const matchingnet: LearnerDefinition = {
  name: 'matchingnet',
  build(ctx) {
    const encoder = embeddingOf(ctx, 'conv4');
    return {
      learner: createMetricLearner({ name: 'matchingnet', kind: 'matchingnet', encoder }),
      describe: [ctx.generator ? null : encoder.description],
    };
  },
};
