/**
 * Reptile (Nichol, Achiam, Schulman 2018): k plain SGD steps on a task's support set from θ to θ̃,
 * then the meta-update moves θ toward the adapted weights, θ ← θ + ε(θ̃ − θ), averaged over the
 * meta-batch. No gradient goes through the inner loop.
 *
 * The learner returns θ − θ̃ as θ's "gradient", and the outer loop steps those parameters plainly
 * by ε (definition.ts plainStep), so the update is the formula itself, not Adam's rescaling of it.
 * In the concept space G is not adapted in the inner loop (as for MAML here): when it trains, it
 * gets the first-order gradient of the query loss at θ̃ through the query concepts, with Adam.
 */
import { accuracy, softmaxCrossEntropy } from '../losses';
import type { Network } from '../nn/network';
import { type Params, paramList, paramsFromList } from '../nn/params';
import { tf } from '../tf';
import type { Tensor, Tensor2D } from '../tf';
import type { LearnerDefinition } from './definition';
import { lossAndGradients } from './differentiate';
import { createGradientLearner, innerStep, supportGradients } from './gradientLearner';
import type { Learner, TaskMetaGradient } from './learner';
import { adaptedNetwork } from './optimisation';
import type { TaskTensors } from './task';

export interface ReptileOptions {
  name: string;
  network: Network;
  innerSteps: number;
  innerLr: number;
  encoder?: Network;
  trainEncoder: boolean;
}

export function createReptileLearner(o: ReptileOptions): Learner {
  // Adaptation at test time is MAML's: the same k SGD steps on the support set, then the query.
  const base = createGradientLearner({ ...o, firstOrder: true, learnRates: false });
  const names = o.network.specs.map((s) => s.name);
  const encoderNames = o.encoder && o.trainEncoder ? o.encoder.specs.map((s) => s.name) : [];
  const encode = (p: Params, images: Tensor): Tensor => (o.encoder ? o.encoder.forward(p, images) : images);

  const metaGradient = (meta: Params, task: TaskTensors): TaskMetaGradient => {
    const support = encode(meta, task.supportImages);
    let fast = paramsFromList(names, paramList(meta, names));
    for (let k = 0; k < o.innerSteps; k++) {
      fast = innerStep(names, fast, supportGradients(o.network, names, fast, support, task), o.innerLr);
    }
    // The query after adaptation: the reported loss and accuracy, and G's gradient when it trains.
    const query = (p: Params) => {
      const logits = o.network.forward(p, encode(p, task.queryImages)) as Tensor2D;
      return {
        loss: softmaxCrossEntropy(logits, task.queryOneHot),
        accuracy: accuracy(logits, task.queryLabels),
      };
    };
    const at = { ...meta, ...fast };
    const out: TaskMetaGradient =
      encoderNames.length > 0 ? lossAndGradients(at, encoderNames, query) : { ...query(at), grads: {} };
    for (const n of names) out.grads[n] = tf.sub(meta[n]!, fast[n]!);
    return out;
  };

  return { ...base, name: o.name, metaGradient };
}

export const reptile: LearnerDefinition = {
  name: 'reptile',
  build(ctx) {
    const { config, generator } = ctx;
    const network = adaptedNetwork(ctx);
    const learner = createReptileLearner({
      name: 'reptile',
      network,
      innerSteps: config.innerSteps,
      innerLr: config.innerLr,
      encoder: generator ?? undefined,
      trainEncoder: ctx.trainGenerator,
    });
    return { learner, describe: [network.description] };
  },
  plainStep: (config) => ({
    rate: config.reptile.stepSize,
    // θ, the adapted network's parameters; G and D keep Adam.
    applies: (name) => !name.startsWith('G.') && !name.startsWith('D.'),
  }),
};
