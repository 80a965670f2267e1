/**
 * Seeded N-way K-shot episodes over disjoint class splits (docs/SCIENCE.md): N classes drawn from a
 * split, K support and Q query images per class, labels re-mapped to 0..N−1 in random order.
 */
import type { SplitConfig } from '../contract/config';
import { type ClassIndexedDataset, type SplitName, classCount, imageSize, imagesInClass } from './dataset';
import { Rng } from './random';

export interface EpisodeShape {
  ways: number;
  shots: number;
  queries: number;
}

/** One task, as flat arrays ready to become tensors. Images are NHWC floats in [0, 1]. */
export interface Episode extends EpisodeShape {
  /** Dataset class index behind each label. */
  classes: number[];
  supportImages: Float32Array;
  /** Label per support image, class-major: [0 × K, 1 × K, …]. */
  supportLabels: Int32Array;
  queryImages: Float32Array;
  queryLabels: Int32Array;
}

export type ClassSplits = Record<SplitName, number[]>;

/**
 * Disjoint class splits: the dataset's own when it defines them, otherwise a seeded shuffle cut by
 * the config's fractions. The shuffle depends only on the split seed and the class count, so the
 * meta-test classes stay the same across runs that differ in anything else.
 */
export function splitClasses(dataset: ClassIndexedDataset, split: SplitConfig, seed: number): ClassSplits {
  if (dataset.splits?.train && dataset.splits.test) {
    return {
      train: [...dataset.splits.train],
      val: [...(dataset.splits.val ?? [])],
      test: [...dataset.splits.test],
    };
  }
  const n = classCount(dataset);
  const order = Rng.derive(seed, 'class-split').shuffle(Array.from({ length: n }, (_, i) => i));
  const nTest = Math.round(n * split.test);
  const nVal = Math.round(n * split.val);
  return {
    test: order.slice(0, nTest).sort((a, b) => a - b),
    val: order.slice(nTest, nTest + nVal).sort((a, b) => a - b),
    train: order.slice(nTest + nVal).sort((a, b) => a - b),
  };
}

export class EpisodeSampler {
  private readonly pixelsPerImage: number;

  constructor(
    private readonly dataset: ClassIndexedDataset,
    private readonly classIds: readonly number[],
    readonly shape: EpisodeShape,
    readonly rng: Rng,
  ) {
    this.pixelsPerImage = imageSize(dataset);
    const { ways, shots, queries } = shape;
    if (ways > classIds.length) {
      throw new Error(`${ways}-way episodes need ${ways} classes; the split has ${classIds.length}`);
    }
    for (const c of classIds) {
      if (imagesInClass(dataset, c) < shots + queries) {
        throw new Error(
          `class '${dataset.classNames[c]}' has ${imagesInClass(dataset, c)} images; ` +
            `${shots} shots + ${queries} queries need ${shots + queries}`,
        );
      }
    }
  }

  next(): Episode {
    const { ways, shots, queries } = this.shape;
    const picked = this.rng.sample(this.classIds.length, ways).map((i) => this.classIds[i]!);
    const size = this.pixelsPerImage;
    const supportImages = new Float32Array(ways * shots * size);
    const queryImages = new Float32Array(ways * queries * size);
    const supportLabels = new Int32Array(ways * shots);
    const queryLabels = new Int32Array(ways * queries);
    const { pixels, classStart } = this.dataset;
    picked.forEach((cls, label) => {
      const chosen = this.rng.sample(imagesInClass(this.dataset, cls), shots + queries);
      chosen.forEach((image, j) => {
        const src = (classStart[cls]! + image) * size;
        const toSupport = j < shots;
        const slot = toSupport ? label * shots + j : label * queries + (j - shots);
        const dst = toSupport ? supportImages : queryImages;
        const offset = slot * size;
        for (let p = 0; p < size; p++) dst[offset + p] = pixels[src + p]! / 255;
        (toSupport ? supportLabels : queryLabels)[slot] = label;
      });
    });
    return { ways, shots, queries, classes: picked, supportImages, supportLabels, queryImages, queryLabels };
  }
}
