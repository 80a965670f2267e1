/**
 * MAML (Finn et al. 2017) and Meta-SGD (Li et al. 2017) share one inner loop:
 *   θ_{k+1} = θ_k − α ∘ ∇θ L_support(θ_k)
 * with α a fixed scalar (MAML) or a learned tensor per parameter (Meta-SGD).
 *
 * Second order: the outer gradient is taken through the inner gradients (tf.grads nested in
 * tf.valueAndGrads; exact thanks to autodiff/gradients.ts).
 * First order: the inner gradients are constants g_k, so dθ_K/dθ = I and dθ_K/dα = −Σ_k g_k:
 *   ∂L/∂θ = ∇L_query(θ_K),   ∂L/∂α = −(Σ_k g_k) ∘ ∇L_query(θ_K).
 */
import { accuracy, softmaxCrossEntropy } from '../losses';
import type { Network } from '../nn/network';
import { type ParamSpec, type Params, initParams, paramList, paramsFromList } from '../nn/params';
import type { Rng } from '../random';
import { tf } from '../tf';
import type { Scalar, Tensor, Tensor2D } from '../tf';
import type { Learner, TaskEvaluation, TaskMetaGradient } from './learner';
import type { TaskTensors } from './task';

export interface GradientLearnerOptions {
  name: string;
  network: Network;
  innerSteps: number;
  /** MAML's α; ignored when rates are learned. */
  innerLr: number;
  firstOrder: boolean;
  /** Meta-SGD: learn α per parameter, initialised uniform in rateInit. */
  learnRates: boolean;
  rateInit?: readonly [number, number];
}

export const RATE_PREFIX = 'lr:';

export function createGradientLearner(options: GradientLearnerOptions): Learner {
  const { network, innerSteps, innerLr, firstOrder, learnRates } = options;
  const names = network.specs.map((s) => s.name);
  const rateNames = learnRates ? names.map((n) => RATE_PREFIX + n) : [];
  const [rateLow, rateHigh] = options.rateInit ?? [innerLr, innerLr];
  const metaSpecs: ParamSpec[] = [
    ...network.specs,
    ...(learnRates
      ? network.specs.map((s) => ({
          name: RATE_PREFIX + s.name,
          shape: s.shape,
          init: { kind: 'uniform' as const, low: rateLow, high: rateHigh },
        }))
      : []),
  ];

  const supportLoss = (params: Params, task: TaskTensors): Scalar =>
    softmaxCrossEntropy(network.forward(params, task.supportImages), task.supportOneHot);

  /** ∇θ L_support at `params`, by name. */
  const innerGradients = (params: Params, task: TaskTensors): Tensor[] =>
    tf.grads((...p: Tensor[]) => supportLoss(paramsFromList(names, p), task))(paramList(params, names));

  const step = (params: Params, grads: Tensor[], rates: Params | null): Params =>
    paramsFromList(
      names,
      names.map((n, i) => tf.sub(params[n]!, tf.mul(rates ? rates[n]! : innerLr, grads[i]!))),
    );

  const ratesOf = (meta: Params): Params | null =>
    learnRates ? paramsFromList(names, paramList(meta, rateNames)) : null;

  const queryOutputs = (params: Params, task: TaskTensors): { loss: Scalar; accuracy: Scalar } => {
    const logits = network.forward(params, task.queryImages) as Tensor2D;
    return {
      loss: softmaxCrossEntropy(logits, task.queryOneHot),
      accuracy: accuracy(logits, task.queryLabels),
    };
  };

  const secondOrder = (meta: Params, task: TaskTensors): TaskMetaGradient => {
    let kept: Scalar | null = null;
    const allNames = [...names, ...rateNames];
    const { value, grads } = tf.valueAndGrads((...xs: Tensor[]) => {
      const theta = paramsFromList(names, xs.slice(0, names.length));
      const rates = learnRates ? paramsFromList(names, xs.slice(names.length)) : null;
      let fast = theta;
      for (let k = 0; k < innerSteps; k++) fast = step(fast, innerGradients(fast, task), rates);
      const out = queryOutputs(fast, task);
      // The forward scope is disposed when valueAndGrads returns; keep the metric past it.
      kept = tf.keep(out.accuracy);
      return out.loss;
    })(paramList(meta, allNames));
    const acc = tf.clone(kept!);
    (kept as Scalar | null)?.dispose();
    return { grads: paramsFromList(allNames, grads), loss: value as Scalar, accuracy: acc };
  };

  const firstOrderGradient = (meta: Params, task: TaskTensors): TaskMetaGradient => {
    const rates = ratesOf(meta);
    let fast = paramsFromList(names, paramList(meta, names));
    let gradSum: Tensor[] | null = null;
    for (let k = 0; k < innerSteps; k++) {
      const g = innerGradients(fast, task);
      fast = step(fast, g, rates);
      if (learnRates) gradSum = gradSum ? gradSum.map((s, i) => tf.add(s, g[i]!)) : g;
    }
    let kept: Scalar | null = null;
    const { value, grads } = tf.valueAndGrads((...p: Tensor[]) => {
      const out = queryOutputs(paramsFromList(names, p), task);
      kept = tf.keep(out.accuracy);
      return out.loss;
    })(paramList(fast, names));
    const acc = tf.clone(kept!);
    (kept as Scalar | null)?.dispose();
    const all = paramsFromList(names, grads);
    if (learnRates) {
      rateNames.forEach((rn, i) => (all[rn] = tf.neg(tf.mul(gradSum![i]!, grads[i]!))));
    }
    return { grads: all, loss: value as Scalar, accuracy: acc };
  };

  return {
    name: options.name,
    metaSpecs,
    initMetaParams: (rng: Rng): Params => initParams(metaSpecs, rng),
    metaGradient: (meta, task) => (firstOrder ? firstOrderGradient(meta, task) : secondOrder(meta, task)),
    evaluate(meta: Params, task: TaskTensors, steps: number): TaskEvaluation {
      const rates = ratesOf(meta);
      let fast = paramsFromList(names, paramList(meta, names));
      for (let k = 0; k < steps; k++) fast = step(fast, innerGradients(fast, task), rates);
      return queryOutputs(fast, task);
    },
  };
}
