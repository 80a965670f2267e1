/** Prototypical Networks (Snell et al. 2017) over conv4's features or G's concepts. */
import { metricDefinition } from './metricLearner';

export const protonet = metricDefinition('protonet');
