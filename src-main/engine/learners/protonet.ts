/** Prototypical Networks (Snell et al. 2017) over conv4's features or G's concepts. */
import { type LearnerDefinition, embeddingOf } from './definition';
import { createMetricLearner } from './metricLearner';

export const protonet: LearnerDefinition = {
  name: 'protonet',
  build(ctx) {
    const encoder = embeddingOf(ctx, 'conv4');
    return {
      learner: createMetricLearner({ name: 'protonet', kind: 'protonet', encoder }),
      describe: [ctx.generator ? null : encoder.description],
    };
  },
};
