/**
 * MAML (Finn et al. 2017) and Meta-SGD (Li et al. 2017) share one inner loop:
 *   φ_{k+1} = φ_k − α ∘ ∇φ L_support(φ_k)
 * with α a fixed scalar (MAML) or a learned tensor per parameter (Meta-SGD).
 *
 * An optional encoder (DEML's concept generator G) maps images to features before the adapted
 * network: it is meta-learned (when trainable) but never adapted in the inner loop.
 *
 * Second order: the outer gradient is taken through the inner gradients (tf.grads nested in
 * tf.valueAndGrads; exact thanks to autodiff/gradients.ts).
 * First order: the inner gradients are constants g_k, so dφ_K/dφ = I and dφ_K/dα = −Σ_k g_k:
 *   ∂L/∂φ = ∇L_query(φ_K),   ∂L/∂α = −(Σ_k g_k) ∘ ∇L_query(φ_K),
 * and the encoder gets its gradient through the query features only.
 */
import { accuracy, softmaxCrossEntropy } from '../losses';
import type { Network } from '../nn/network';
import { type ParamSpec, type Params, initParams, paramList, paramsFromList } from '../nn/params';
import type { Rng } from '../random';
import { tf } from '../tf';
import type { Scalar, Tensor, Tensor2D } from '../tf';
import { lossAndGradients } from './differentiate';
import type { Learner, TaskEvaluation, TaskMetaGradient } from './learner';
import type { TaskTensors } from './task';

export interface GradientLearnerOptions {
  name: string;
  /** The network adapted in the inner loop. */
  network: Network;
  innerSteps: number;
  /** MAML's α; ignored when rates are learned. */
  innerLr: number;
  firstOrder: boolean;
  /** Meta-SGD: learn α per parameter, initialised uniform in rateInit. */
  learnRates: boolean;
  rateInit?: readonly [number, number];
  /** Features before the adapted network (DEML's G); its parameter names must differ from the network's. */
  encoder?: Network;
  /**
   * False: the encoder is a fixed feature extractor (gets no gradient). A predicate: only the
   * encoder parameters it accepts learn (ANIL's body over a frozen G).
   */
  trainEncoder?: boolean | ((name: string) => boolean);
}

export const RATE_PREFIX = 'lr:';

/** ∇φ L_support at `params` for the adapted parameters `names`, on support inputs `x` (images or features). */
export function supportGradients(
  network: Network,
  names: readonly string[],
  params: Params,
  x: Tensor,
  task: TaskTensors,
): Tensor[] {
  return tf.grads((...p: Tensor[]) =>
    softmaxCrossEntropy(network.forward(paramsFromList(names, p), x), task.supportOneHot),
  )(paramList(params, names));
}

/** One inner step φ − α ∘ g: α a fixed rate, or Meta-SGD's learned rate per parameter. */
export function innerStep(
  names: readonly string[],
  params: Params,
  grads: Tensor[],
  rate: number | Params,
): Params {
  return paramsFromList(
    names,
    names.map((n, i) => tf.sub(params[n]!, tf.mul(typeof rate === 'number' ? rate : rate[n]!, grads[i]!))),
  );
}

export function createGradientLearner(options: GradientLearnerOptions): Learner {
  const { network, innerSteps, innerLr, firstOrder, learnRates, encoder } = options;
  const names = network.specs.map((s) => s.name);
  const rateNames = learnRates ? names.map((n) => RATE_PREFIX + n) : [];
  const learns = options.trainEncoder ?? true;
  const encoderNames = encoder
    ? encoder.specs.map((s) => s.name).filter((n) => (typeof learns === 'function' ? learns(n) : learns))
    : [];
  const [rateLow, rateHigh] = options.rateInit ?? [innerLr, innerLr];
  const metaSpecs: ParamSpec[] = [
    ...(encoder ? encoder.specs : []),
    ...network.specs,
    ...(learnRates
      ? network.specs.map((s) => ({
          name: RATE_PREFIX + s.name,
          shape: s.shape,
          init: { kind: 'uniform' as const, low: rateLow, high: rateHigh },
        }))
      : []),
  ];
  const trainable = [...encoderNames, ...names, ...rateNames];

  const encode = (params: Params, images: Tensor): Tensor =>
    encoder ? encoder.forward(params, images) : images;

  const innerGradients = (params: Params, x: Tensor, task: TaskTensors): Tensor[] =>
    supportGradients(network, names, params, x, task);

  const step = (params: Params, grads: Tensor[], rates: Params | null): Params =>
    innerStep(names, params, grads, rates ?? innerLr);

  const ratesOf = (meta: Params): Params | null =>
    learnRates ? paramsFromList(names, paramList(meta, rateNames)) : null;

  const queryOutputs = (params: Params, x: Tensor, task: TaskTensors): { loss: Scalar; accuracy: Scalar } =>
    scored(network.forward(params, x) as Tensor2D, task);

  const secondOrder = (meta: Params, task: TaskTensors): TaskMetaGradient =>
    lossAndGradients(meta, trainable, (p) => {
      const support = encode(p, task.supportImages);
      const rates = ratesOf(p);
      let fast = paramsFromList(names, paramList(p, names));
      for (let k = 0; k < innerSteps; k++) fast = step(fast, innerGradients(fast, support, task), rates);
      return queryOutputs(fast, encode(p, task.queryImages), task);
    });

  const firstOrderGradient = (meta: Params, task: TaskTensors): TaskMetaGradient => {
    const rates = ratesOf(meta);
    const support = encode(meta, task.supportImages);
    let fast = paramsFromList(names, paramList(meta, names));
    let gradSum: Tensor[] | null = null;
    for (let k = 0; k < innerSteps; k++) {
      const g = innerGradients(fast, support, task);
      fast = step(fast, g, rates);
      if (learnRates) gradSum = gradSum ? gradSum.map((s, i) => tf.add(s, g[i]!)) : g;
    }
    // Differentiate at the adapted weights φ_K (and the encoder through the query features).
    const at = { ...meta, ...fast };
    const out = lossAndGradients(at, [...encoderNames, ...names], (p) =>
      queryOutputs(p, encode(p, task.queryImages), task),
    );
    if (learnRates) {
      rateNames.forEach((rn, i) => (out.grads[rn] = tf.neg(tf.mul(gradSum![i]!, out.grads[names[i]!]!))));
    }
    return out;
  };

  return {
    name: options.name,
    metaSpecs,
    trainable,
    adaptsAtTestTime: true,
    initMetaParams: (rng: Rng): Params => initParams(metaSpecs, rng),
    metaGradient: (meta, task) => (firstOrder ? firstOrderGradient(meta, task) : secondOrder(meta, task)),
    evaluate(meta: Params, task: TaskTensors, steps: number): TaskEvaluation {
      const rates = ratesOf(meta);
      const support = encode(meta, task.supportImages);
      let fast = paramsFromList(names, paramList(meta, names));
      for (let k = 0; k < steps; k++) fast = step(fast, innerGradients(fast, support, task), rates);
      const logits = network.forward(fast, encode(meta, task.queryImages)) as Tensor2D;
      return { ...scored(logits, task), probabilities: tf.softmax(logits) };
    },
  };
}

/** The query set's loss and accuracy from its logits. */
function scored(logits: Tensor2D, task: TaskTensors): { loss: Scalar; accuracy: Scalar } {
  return {
    loss: softmaxCrossEntropy(logits, task.queryOneHot),
    accuracy: accuracy(logits, task.queryLabels),
  };
}
