/**
 * Deep meta-learning in the concept space (Zhou, Wu, Li 2018): the concept discriminator D, a
 * softmax layer on the concept generator's output trained on an external labelled dataset, the
 * sampler of its batches, and the joint step Σ L_query + λ·ℓ_D. Its loss reaches θ_G and θ_D
 * only; the meta-learner M never sees it.
 */
import type { ConceptConfig } from '../contract/config';
import type { ClassIndexedDataset } from './dataset';
import { classCount, imageSize } from './dataset';
import { accuracy, softmaxCrossEntropy } from './losses';
import { type LossAndGradients, disposeLossAndGradients, lossAndGradients } from './learners/differentiate';
import { linear } from './nn/layers';
import type { Network } from './nn/network';
import { type ParamSpec, type Params, disposeParams } from './nn/params';
import type { Rng } from './random';
import { tf } from './tf';
import type { Scalar, Tensor, Tensor1D, Tensor2D } from './tf';

export interface Discriminator {
  readonly specs: readonly ParamSpec[];
  readonly generator: Network;
  readonly classes: number;
  /**
   * The weighted discrimination loss λ·ℓ(D(G(x)), y) and its gradient w.r.t. D and, when `trainG`,
   * G. Tensors belong to the caller's scope.
   */
  gradient(meta: Params, batch: ExternalBatch, weight: number, trainG: boolean): LossAndGradients;
  /** Logits D(G(x)), for evaluation. */
  logits(meta: Params, images: Tensor): Tensor2D;
}

export function createDiscriminator(
  generator: Network & { outputSize: number },
  classes: number,
): Discriminator {
  const specs: ParamSpec[] = [
    {
      name: 'D.weight',
      shape: [generator.outputSize, classes],
      init: { kind: 'glorotUniform', fanIn: generator.outputSize, fanOut: classes },
    },
    { name: 'D.bias', shape: [classes], init: { kind: 'constant', value: 0 } },
  ];
  const dNames = specs.map((s) => s.name);
  const gNames = generator.specs.map((s) => s.name);
  const logits = (meta: Params, images: Tensor): Tensor2D =>
    linear(generator.forward(meta, images), meta['D.weight'] as Tensor2D, meta['D.bias']!);
  return {
    specs,
    generator,
    classes,
    logits,
    gradient(meta, batch, weight, trainG) {
      const wrt = trainG ? [...gNames, ...dNames] : dNames;
      return lossAndGradients(meta, wrt, (p) => {
        const out = logits(p, batch.images);
        return {
          loss: tf.mul(weight, softmaxCrossEntropy(out, batch.oneHot)) as Scalar,
          accuracy: accuracy(out, batch.labels),
        };
      });
    },
  };
}

export interface ExternalBatch {
  images: Tensor;
  labels: Tensor1D;
  oneHot: Tensor2D;
}

/** Uniformly drawn labelled batches of the external dataset (with replacement across batches). */
export class ExternalSampler {
  private readonly labelOf: Int32Array;
  constructor(
    private readonly dataset: ClassIndexedDataset,
    readonly rng: Rng,
  ) {
    const images = dataset.classStart[classCount(dataset)]!;
    this.labelOf = new Int32Array(images);
    for (let c = 0; c < classCount(dataset); c++)
      this.labelOf.fill(c, dataset.classStart[c]!, dataset.classStart[c + 1]!);
  }

  /** A batch as tensors; create inside a tidy. */
  next(size: number): ExternalBatch {
    const d = this.dataset;
    const pixels = imageSize(d);
    const indices = this.rng.sample(this.labelOf.length, Math.min(size, this.labelOf.length));
    const images = new Float32Array(indices.length * pixels);
    const labels = new Int32Array(indices.length);
    indices.forEach((image, i) => {
      const src = image * pixels;
      for (let p = 0; p < pixels; p++) images[i * pixels + p] = d.pixels[src + p]! / 255;
      labels[i] = this.labelOf[image]!;
    });
    const labelTensor = tf.tensor1d(labels, 'int32');
    return {
      images: tf.tensor4d(images, [indices.length, d.height, d.width, d.channels]),
      labels: labelTensor,
      oneHot: tf.cast(tf.oneHot(labelTensor, classCount(d)), 'float32') as Tensor2D,
    };
  }
}

/** λ·ℓ_D on the next external batch, with its gradient w.r.t. D and G (tidied; the caller owns it). */
export type DiscriminationTerm = (meta: Params) => LossAndGradients;

/**
 * The discrimination term of the joint objective, when it has one: in the concept space, with
 * λ > 0 and G trained jointly (a frozen G was pretrained with D before meta-training).
 */
export function discriminationTerm(
  discriminator: Discriminator | null,
  sampler: ExternalSampler | null,
  concept: Pick<ConceptConfig, 'lambda' | 'externalBatch'> & { trainGenerator: boolean },
): DiscriminationTerm | null {
  if (!discriminator || !sampler || !concept.trainGenerator || concept.lambda <= 0) return null;
  return (meta) =>
    tf.tidy(() => discriminator.gradient(meta, sampler.next(concept.externalBatch), concept.lambda, true));
}

export interface JointGradient extends LossAndGradients {
  /** ℓ_D (unweighted) and D's accuracy on this iteration's external batch, when there was one. */
  discrimination: { loss: Scalar; accuracy: Scalar } | null;
}

/**
 * One iteration's gradient of DEML's joint objective Σ L_query + λ·ℓ_D. D's gradient comes only
 * from ℓ_D, M's only from the meta loss, G's from both: the two gradients simply add, each loss
 * being a function of its own parameters. `metaBatch` computes the meta-batch's mean gradient and
 * calls back when this thread is free while task workers finish theirs: the external batch runs
 * then (its values do not depend on when). Without a term it is the meta-batch's gradient alone.
 */
export async function jointGradient(
  meta: Params,
  metaBatch: (meanwhile: () => void) => Promise<LossAndGradients>,
  term: DiscriminationTerm | null,
  lambda: number,
): Promise<JointGradient> {
  let aux: LossAndGradients | null = null;
  let step: LossAndGradients;
  try {
    step = await metaBatch(() => {
      if (term) aux = term(meta);
    });
  } catch (e) {
    disposeLossAndGradients(aux);
    throw e;
  }
  const d = aux as LossAndGradients | null;
  if (!d) return { ...step, discrimination: null };
  for (const [name, g] of Object.entries(d.grads)) {
    const previous = step.grads[name];
    step.grads[name] = previous ? tf.add(previous, g) : tf.clone(g);
    previous?.dispose();
  }
  disposeParams(d.grads);
  const discrimination = { loss: tf.div(d.loss, lambda) as Scalar, accuracy: d.accuracy };
  d.loss.dispose();
  return { ...step, discrimination };
}
