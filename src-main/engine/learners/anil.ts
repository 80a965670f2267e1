/**
 * ANIL (Raghu et al. 2020): MAML whose inner loop adapts only the head. The body (conv4 without
 * its head on the pixels; G and M's hidden layers in the concept space) is meta-learned through
 * the inner loop, second order, but never adapted: features are computed once per task.
 */
import { activate } from '../nn/layers';
import { conv4Embedding } from '../nn/conv4';
import { mlp } from '../nn/mlp';
import { type BuildContext, type Embedding, type LearnerDefinition } from './definition';
import { createGradientLearner } from './gradientLearner';

/** The body ANIL meta-learns but does not adapt, and which of its parameters learn. */
function body(ctx: BuildContext): { body: Embedding; learns: (name: string) => boolean } {
  const { config, generator } = ctx;
  if (!generator) return { body: conv4Embedding(config.model, ctx.image), learns: () => true };
  const frozen = new Set(ctx.trainGenerator ? [] : generator.specs.map((s) => s.name));
  const learns = (name: string) => !frozen.has(name);
  const hidden = config.concept.head;
  if (hidden.length === 0) return { body: generator, learns };
  const width = hidden.at(-1)!;
  const m = mlp(generator.outputSize, hidden.slice(0, -1), width, 'relu', 'M.');
  return {
    body: {
      specs: [...generator.specs, ...m.specs],
      forward: (p, x) => activate(m.forward(p, generator.forward(p, x)), 'relu'),
      outputSize: width,
      description: `${m.description}, then ReLU`,
    },
    learns,
  };
}

export const anil: LearnerDefinition = {
  name: 'anil',
  build(ctx) {
    const { config } = ctx;
    const { body: features, learns } = body(ctx);
    const head = mlp(features.outputSize, [], config.ways, 'relu', 'head.');
    const learner = createGradientLearner({
      name: 'anil',
      network: head,
      innerSteps: config.innerSteps,
      innerLr: config.innerLr,
      firstOrder: false,
      learnRates: false,
      encoder: features,
      trainEncoder: learns,
    });
    return {
      learner,
      describe: [
        ctx.generator && features === ctx.generator ? null : `body ${features.description}`,
        `adapted head ${head.description}`,
      ],
    };
  },
};
