/**
 * Metric meta-learners over an embedding (conv4 on pixels, or DEML's concept generator):
 * - Prototypical Networks (Snell et al. 2017): class prototypes are the mean support embeddings;
 *   logits are negative squared Euclidean distances to them.
 * - Matching Networks (Vinyals et al. 2016, without full-context embeddings): attention over the
 *   support set by cosine similarity; the class probability is the attention mass on its examples.
 * Nothing is adapted per task, so test-time inner steps do not apply.
 */
import { accuracy, softmaxCrossEntropy } from '../losses';
import type { Network } from '../nn/network';
import { type Params, initParams } from '../nn/params';
import type { Rng } from '../random';
import { tf } from '../tf';
import type { Scalar, Tensor2D } from '../tf';
import { lossAndGradients } from './differentiate';
import type { Learner, TaskEvaluation, TaskMetaGradient } from './learner';
import type { TaskTensors } from './task';
import { type LearnerDefinition, embeddingOf } from './definition';

export type MetricKind = 'protonet' | 'matchingnet';

export interface MetricLearnerOptions {
  name: string;
  kind: MetricKind;
  encoder: Network;
}

function squaredDistances(a: Tensor2D, b: Tensor2D): Tensor2D {
  // |a|² − 2 a·b + |b|², [Q, N]
  const aa = tf.sum(tf.square(a), 1, true);
  const bb = tf.reshape(tf.sum(tf.square(b), 1), [1, -1]);
  return tf.add(tf.sub(aa, tf.mul(2, tf.matMul(a, b, false, true))), bb) as Tensor2D;
}

export function metricLogits(
  kind: MetricKind,
  support: Tensor2D,
  query: Tensor2D,
  supportOneHot: Tensor2D,
): Tensor2D {
  if (kind === 'protonet') {
    const counts = tf.reshape(tf.sum(supportOneHot, 0), [-1, 1]);
    const prototypes = tf.div(tf.matMul(supportOneHot, support, true, false), counts) as Tensor2D;
    return tf.neg(squaredDistances(query, prototypes));
  }
  const unit = (t: Tensor2D) => tf.div(t, tf.add(tf.norm(t, 'euclidean', 1, true), 1e-8)) as Tensor2D;
  const attention = tf.softmax(tf.matMul(unit(query), unit(support), false, true)) as Tensor2D;
  return tf.log(tf.add(tf.matMul(attention, supportOneHot), 1e-8)) as Tensor2D;
}

export function createMetricLearner(options: MetricLearnerOptions): Learner {
  const { encoder, kind } = options;
  const names = encoder.specs.map((s) => s.name);
  const logitsOf = (params: Params, task: TaskTensors): Tensor2D =>
    metricLogits(
      kind,
      encoder.forward(params, task.supportImages),
      encoder.forward(params, task.queryImages),
      task.supportOneHot,
    );
  const outputs = (logits: Tensor2D, task: TaskTensors): { loss: Scalar; accuracy: Scalar } => ({
    loss: softmaxCrossEntropy(logits, task.queryOneHot),
    accuracy: accuracy(logits, task.queryLabels),
  });
  return {
    name: options.name,
    metaSpecs: encoder.specs,
    trainable: names,
    adaptsAtTestTime: false,
    initMetaParams: (rng: Rng) => initParams(encoder.specs, rng),
    metaGradient: (meta: Params, task: TaskTensors): TaskMetaGradient =>
      lossAndGradients(meta, names, (p) => outputs(logitsOf(p, task), task)),
    evaluate: (meta: Params, task: TaskTensors): TaskEvaluation => {
      const logits = logitsOf(meta, task);
      return { ...outputs(logits, task), probabilities: tf.softmax(logits) };
    },
  };
}

/**
 * Prototypical and Matching Networks as registry entries: the same build over conv4's features or
 * G's concepts, told apart by how logits come from the support set.
 */
export function metricDefinition(kind: MetricKind): LearnerDefinition {
  return {
    name: kind,
    build(ctx) {
      const encoder = embeddingOf(ctx, 'conv4');
      return {
        learner: createMetricLearner({ name: kind, kind, encoder }),
        describe: [ctx.generator ? null : encoder.description],
      };
    },
  };
}
