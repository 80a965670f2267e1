/** Matching Networks (Vinyals et al. 2016, without full-context embeddings). */
import { metricDefinition } from './metricLearner';

export const matchingnet = metricDefinition('matchingnet');
