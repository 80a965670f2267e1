/**
 * Siamese networks (Koch et al. 2015): trains on image pairs drawn from each task (a set fraction
 * of them same-class); evaluates on the task's support and query sets like the other metric
 * learners.
 */
import { EpisodeSampler, samplePairs } from '../episodes';
import { type LearnerDefinition, embeddingOf, embeddingTrains } from './definition';
import { createSiameseLearner } from './siameseLearner';

export const siamese: LearnerDefinition = {
  name: 'siamese',
  build(ctx) {
    const encoder = embeddingOf(ctx, 'conv4');
    const learner = createSiameseLearner({
      name: 'siamese',
      encoder,
      aggregate: ctx.config.siamese.aggregate,
      trainEncoder: embeddingTrains(ctx),
    });
    return { learner, describe: [ctx.generator ? null : encoder.description] };
  },
  tasks(dataset, classIds, shape, rng, o) {
    const sampler = new EpisodeSampler(dataset, classIds, shape, rng);
    const settings = shape.siamese;
    if (!o.pairs || !settings) return sampler;
    return {
      rng,
      next: () => {
        const episode = sampler.next();
        return { ...episode, pairs: samplePairs(episode, rng, settings.pairs, settings.positiveFraction) };
      },
    };
  },
};
