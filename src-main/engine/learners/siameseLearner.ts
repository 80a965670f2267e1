/**
 * Siamese networks (Koch, Zemel, Salakhutdinov 2015): twin embeddings h(x) with shared weights
 * (conv4 on pixels, or DEML's concept generator G), and the probability that two images show one
 * class, p = σ(Σ_j α_j |h(x₁)_j − h(x₂)_j| + b): a learned weighted L1 distance. It trains with
 * binary cross-entropy on pairs drawn from each task's images (episodes.ts samplePairs, a set
 * fraction of them same-class); a query goes to the class whose support images it resembles
 * most, by the mean (or max) of its similarities to them. Nothing is adapted per task.
 */
import { accuracy } from '../losses';
import type { Network } from '../nn/network';
import { type ParamSpec, type Params, initParams } from '../nn/params';
import type { Rng } from '../random';
import { tf } from '../tf';
import type { Scalar, Tensor, Tensor1D, Tensor2D } from '../tf';
import { lossAndGradients } from './differentiate';
import type { Learner, TaskEvaluation, TaskMetaGradient } from './learner';
import type { TaskTensors } from './task';

export interface SiameseLearnerOptions {
  name: string;
  encoder: Network & { outputSize: number };
  aggregate: 'mean' | 'max';
  /** False: the encoder is a fixed feature extractor (a frozen G); only the distance is learned. */
  trainEncoder?: boolean;
}

export const SIAMESE_WEIGHTS = 'siamese.alpha';
export const SIAMESE_BIAS = 'siamese.bias';

/** The similarity logits Σ_j α_j |a_j − b_j| + b of paired rows of a and b ([P, d] each). */
export function pairLogits(a: Tensor2D, b: Tensor2D, alpha: Tensor, bias: Tensor): Tensor1D {
  return tf.add(tf.sum(tf.mul(tf.abs(tf.sub(a, b)), alpha), 1), bias) as Tensor1D;
}

/** Mean binary cross-entropy of logits against 0/1 targets, in the form that cannot overflow. */
export function binaryCrossEntropy(logits: Tensor1D, targets: Tensor1D): Scalar {
  // max(z, 0) − z·y + log(1 + e^−|z|)
  return tf.mean(
    tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))),
  );
}

/**
 * Each query's score for each class [Q, N]: its similarities p to the class's support images,
 * averaged (or their maximum).
 */
export function classScores(
  query: Tensor2D,
  support: Tensor2D,
  supportOneHot: Tensor2D,
  alpha: Tensor,
  bias: Tensor,
  aggregate: 'mean' | 'max',
): Tensor2D {
  const [q, d] = query.shape;
  const s = support.shape[0];
  // |q_i − s_k| for every query i and support image k: [Q, S, d].
  const distance = tf.abs(tf.sub(tf.reshape(query, [q, 1, d]), tf.reshape(support, [1, s, d])));
  const similarity = tf.sigmoid(tf.add(tf.sum(tf.mul(distance, alpha), 2), bias)) as Tensor2D; // [Q, S]
  if (aggregate === 'mean') {
    const counts = tf.sum(supportOneHot, 0);
    return tf.div(tf.matMul(similarity, supportOneHot), counts) as Tensor2D;
  }
  // Similarities are positive: masking the other classes' with 0 leaves each class's maximum.
  const n = supportOneHot.shape[1];
  const masked = tf.mul(tf.reshape(similarity, [q, s, 1]), tf.reshape(supportOneHot, [1, s, n]));
  return tf.max(masked, 1) as Tensor2D;
}

export function createSiameseLearner(options: SiameseLearnerOptions): Learner {
  const { encoder, aggregate } = options;
  const d = encoder.outputSize;
  const specs: ParamSpec[] = [
    ...encoder.specs,
    // Negative weights: a larger distance starts as a smaller similarity.
    { name: SIAMESE_WEIGHTS, shape: [d], init: { kind: 'uniform', low: -1 / Math.sqrt(d), high: 0 } },
    { name: SIAMESE_BIAS, shape: [1], init: { kind: 'constant', value: 0 } },
  ];
  const names = specs.map((s) => s.name);
  const trainable = options.trainEncoder === false ? [SIAMESE_WEIGHTS, SIAMESE_BIAS] : names;

  const predict = (p: Params, task: TaskTensors) => {
    const support = encoder.forward(p, task.supportImages);
    const query = encoder.forward(p, task.queryImages);
    const scores = classScores(
      query,
      support,
      task.supportOneHot,
      p[SIAMESE_WEIGHTS]!,
      p[SIAMESE_BIAS]!,
      aggregate,
    );
    return { support, query, scores };
  };

  return {
    name: options.name,
    metaSpecs: specs,
    trainable,
    adaptsAtTestTime: false,
    initMetaParams: (rng: Rng) => initParams(specs, rng),
    metaGradient(meta: Params, task: TaskTensors): TaskMetaGradient {
      const pairs = task.pairs;
      if (!pairs) throw new Error('a Siamese network trains on image pairs: the task has none');
      return lossAndGradients(meta, trainable, (p) => {
        const { support, query, scores } = predict(p, task);
        const images = tf.concat([support, query], 0);
        // Rows picked by one-hot products: Gather's gradient needs a kernel the wasm backend lacks.
        const pick = (rows: Tensor1D) =>
          tf.matMul(tf.cast(tf.oneHot(rows, images.shape[0]), 'float32'), images) as Tensor2D;
        const logits = pairLogits(
          pick(pairs.first),
          pick(pairs.second),
          p[SIAMESE_WEIGHTS]!,
          p[SIAMESE_BIAS]!,
        );
        // The few-shot accuracy of the task's queries is what the curves show, as for every learner.
        return { loss: binaryCrossEntropy(logits, pairs.same), accuracy: accuracy(scores, task.queryLabels) };
      });
    },
    evaluate(meta: Params, task: TaskTensors): TaskEvaluation {
      const { scores } = predict(meta, task);
      // The loss of the class scores taken as a distribution over the N classes.
      const normalised = tf.div(scores, tf.sum(scores, 1, true));
      const loss = tf.neg(
        tf.mean(tf.sum(tf.mul(tf.log(tf.add(normalised, 1e-8)), task.queryOneHot), 1)),
      ) as Scalar;
      return { loss, accuracy: accuracy(scores, task.queryLabels), probabilities: normalised as Tensor2D };
    },
  };
}
