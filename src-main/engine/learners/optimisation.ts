/**
 * The network an optimisation-based learner adapts, as MAML's papers build it: conv4 with an
 * N-way head on the pixels; in the concept space M, an MLP on G's concepts (DEML), with G
 * meta-learned but never adapted in the inner loop.
 */
import { conv4 } from '../nn/conv4';
import { mlp } from '../nn/mlp';
import type { Network } from '../nn/network';
import type { BuildContext, BuiltLearner } from './definition';
import { createGradientLearner } from './gradientLearner';

export function adaptedNetwork(ctx: BuildContext): Network {
  const { config, generator } = ctx;
  return generator
    ? mlp(generator.outputSize, config.concept.head, config.ways, 'relu', 'M.')
    : conv4(config.model, ctx.image, config.ways);
}

/** MAML and its variants: the inner loop adapts the whole network (M in the concept space). */
export function buildGradientLearner(
  ctx: BuildContext,
  o: { firstOrder: boolean; learnRates: boolean },
): BuiltLearner {
  const { config, generator } = ctx;
  const network = adaptedNetwork(ctx);
  const learner = createGradientLearner({
    name: config.learner,
    network,
    innerSteps: config.innerSteps,
    innerLr: config.innerLr,
    firstOrder: o.firstOrder,
    learnRates: o.learnRates,
    rateInit: o.learnRates ? config.metaSgdInit : undefined,
    encoder: generator ?? undefined,
    trainEncoder: ctx.trainGenerator,
  });
  return { learner, describe: [network.description] };
}
