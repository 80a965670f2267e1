/**
 * Seeded N-way K-shot episodes over disjoint class splits (docs/SCIENCE.md): N classes drawn from a
 * split, K support and Q query images per class, labels re-mapped to 0..N−1 in random order; the
 * image pairs a Siamese network trains on; and the labelled sequences a MANN learns from.
 */
import type { SplitConfig } from '../contract/config';
import {
  type ClassIndexedDataset,
  type SplitName,
  classBase,
  classCount,
  imageSize,
  imagesInClass,
} from './dataset';
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
  /** Siamese networks: pairs of images of the episode, indexes into [support; query]. */
  pairs?: ImagePairs;
  /** MANN: labelled sequences instead of support and query sets (those are then empty). */
  sequence?: SequenceBatch;
}

export interface ImagePairs {
  first: Int32Array;
  second: Int32Array;
  /** 1 where both images are of one class, else 0. */
  same: Float32Array;
}

/**
 * `batch` sequences of `steps` = ways × instances images: each of N classes shown `instances`
 * times in a random order, its label (0 … N − 1, drawn afresh per sequence) given one step later.
 */
export interface SequenceBatch {
  batch: number;
  steps: number;
  /** [batch × steps] images, NHWC floats in [0, 1]. */
  images: Float32Array;
  /** [batch × steps] the label of each step's image. */
  labels: Int32Array;
  /** [batch × steps] how many times that class was shown before this step (0 the first time). */
  instance: Int32Array;
}

/** A stream of tasks for training or evaluation. */
export interface EpisodeStream {
  next(): Episode;
  readonly rng: Rng;
}

export type ClassSplits = Record<SplitName, number[]>;

/** Whether the dataset defines its split (Omniglot's standard split, miniImageNet's CSVs). */
function hasStoredSplit(
  dataset: ClassIndexedDataset,
): dataset is ClassIndexedDataset & { splits: { train: readonly number[]; test: readonly number[] } } {
  return !!(dataset.splits?.train && dataset.splits.test);
}

/**
 * Disjoint class splits: the dataset's own when it defines them, otherwise a seeded shuffle cut by
 * the config's fractions. The shuffle depends only on the split seed and the class count, so the
 * meta-test classes stay the same across runs that differ in anything else.
 */
export function splitClasses(dataset: ClassIndexedDataset, split: SplitConfig, seed: number): ClassSplits {
  if (hasStoredSplit(dataset)) {
    return {
      train: [...dataset.splits.train],
      val: [...(dataset.splits.val ?? [])],
      test: [...dataset.splits.test],
    };
  }
  // The seeded shuffle deals out underlying classes, each with all its augmented copies, so that no
  // copy of a meta-test class is trained on. Where every class is its own base (no augmentation)
  // this is the plain shuffle of classes it always was: the same splits as before.
  const groups = new Map<string, number[]>();
  for (let c = 0; c < classCount(dataset); c++) {
    const base = classBase(dataset, c);
    const members = groups.get(base);
    if (members) members.push(c);
    else groups.set(base, [c]);
  }
  const bases = [...groups.values()];
  const n = bases.length;
  const order = Rng.derive(seed, 'class-split').shuffle(Array.from({ length: n }, (_, i) => i));
  const nTest = Math.round(n * split.test);
  const nVal = Math.round(n * split.val);
  const classesOf = (picked: number[]) => picked.flatMap((g) => bases[g]!).sort((a, b) => a - b);
  return {
    test: classesOf(order.slice(0, nTest)),
    val: classesOf(order.slice(nTest, nTest + nVal)),
    train: classesOf(order.slice(nTest + nVal)),
  };
}

/** The split training takes, in numbers: where it comes from and the classes in each part. */
export interface ClassSplitSummary {
  /** 'stored': the dataset's own (Omniglot's standard split, miniImageNet's CSVs); else a seeded draw. */
  source: 'stored' | 'automatic';
  /** The fractions of the automatic split (of underlying classes), absent for a stored one. */
  fractions?: SplitConfig;
  seed?: number;
  classes: Record<SplitName, number>;
  /** Classes that are copies of others (rotations) are counted with them here. */
  underlying: Record<SplitName, number>;
}

export function classSplitSummary(
  dataset: ClassIndexedDataset,
  split: SplitConfig,
  seed: number,
): ClassSplitSummary {
  const s = splitClasses(dataset, split, seed);
  const stored = hasStoredSplit(dataset);
  const count = (ids: readonly number[]) => ({
    classes: ids.length,
    underlying: new Set(ids.map((c) => classBase(dataset, c))).size,
  });
  const parts = { train: count(s.train), val: count(s.val), test: count(s.test) };
  return {
    source: stored ? 'stored' : 'automatic',
    ...(stored ? {} : { fractions: split, seed }),
    classes: { train: parts.train.classes, val: parts.val.classes, test: parts.test.classes },
    underlying: { train: parts.train.underlying, val: parts.val.underlying, test: parts.test.underlying },
  };
}

/** "train 720 / val 240 / test 240 classes, a seeded 60/20/20 split of its classes, seed 0 (…)". */
export function describeClassSplit(s: ClassSplitSummary): string {
  const copies = (['train', 'val', 'test'] as const).some((k) => s.underlying[k] !== s.classes[k]);
  const counts = (['train', 'val', 'test'] as const)
    .map((k) => `${k} ${s.classes[k]}${copies ? ` (${s.underlying[k]} underlying)` : ''}`)
    .join(' / ');
  const pct = (x: number) => Math.round(100 * x);
  const how =
    s.source === 'stored'
      ? "the dataset's own split"
      : `a seeded ${pct(s.fractions!.train)}/${pct(s.fractions!.val)}/${pct(s.fractions!.test)} split of its ${copies ? 'underlying ' : ''}classes, seed ${s.seed} (--split-fractions, --eval-seed)`;
  return `${counts} classes, ${how}`;
}

export class EpisodeSampler implements EpisodeStream {
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

/**
 * Pairs for a Siamese network from one episode's images (support then query): a fraction of
 * same-class pairs, the rest of two different classes, drawn with the episode stream's generator.
 */
export function samplePairs(episode: Episode, rng: Rng, count: number, positiveFraction: number): ImagePairs {
  const labels = [...episode.supportLabels, ...episode.queryLabels];
  const byLabel = Array.from({ length: episode.ways }, () => [] as number[]);
  labels.forEach((label, i) => byLabel[label]!.push(i));
  const positives = Math.round(count * positiveFraction);
  const first = new Int32Array(count);
  const second = new Int32Array(count);
  const same = new Float32Array(count);
  for (let p = 0; p < count; p++) {
    if (p < positives) {
      const images = byLabel[rng.int(episode.ways)]!;
      const [i, j] = rng.sample(images.length, 2);
      first[p] = images[i!]!;
      second[p] = images[j!]!;
      same[p] = 1;
    } else {
      const [a, b] = rng.sample(episode.ways, 2);
      first[p] = byLabel[a!]![rng.int(byLabel[a!]!.length)]!;
      second[p] = byLabel[b!]![rng.int(byLabel[b!]!.length)]!;
    }
  }
  return { first, second, same };
}

/** MANN's tasks: `batch` labelled sequences of N classes × M presentations from a class split. */
export class SequenceSampler implements EpisodeStream {
  private readonly pixelsPerImage: number;

  constructor(
    private readonly dataset: ClassIndexedDataset,
    private readonly classIds: readonly number[],
    readonly shape: { ways: number; instances: number; batch: number; shuffledLabels?: boolean },
    readonly rng: Rng,
  ) {
    this.pixelsPerImage = imageSize(dataset);
    if (shape.ways > classIds.length) {
      throw new Error(
        `${shape.ways}-way sequences need ${shape.ways} classes; the split has ${classIds.length}`,
      );
    }
    for (const c of classIds) {
      if (imagesInClass(dataset, c) < shape.instances) {
        throw new Error(
          `class '${dataset.classNames[c]}' has ${imagesInClass(dataset, c)} images; ` +
            `${shape.instances} instances need ${shape.instances}`,
        );
      }
    }
  }

  next(): Episode {
    const shape = this.shape;
    const { ways, instances, batch } = shape;
    const steps = ways * instances;
    const size = this.pixelsPerImage;
    const images = new Float32Array(batch * steps * size);
    const labels = new Int32Array(batch * steps);
    const instance = new Int32Array(batch * steps);
    const { pixels, classStart } = this.dataset;
    for (let b = 0; b < batch; b++) {
      // Classes drawn in random order: label l is the l-th drawn, so labels are shuffled per sequence.
      const picked = this.rng.sample(this.classIds.length, ways).map((i) => this.classIds[i]!);
      const shown = picked.flatMap((cls, label) =>
        this.rng.sample(imagesInClass(this.dataset, cls), instances).map((image) => ({ cls, label, image })),
      );
      this.rng.shuffle(shown);
      const seen = new Array<number>(ways).fill(0);
      shown.forEach(({ cls, label, image }, t) => {
        const step = b * steps + t;
        const src = (classStart[cls]! + image) * size;
        for (let p = 0; p < size; p++) images[step * size + p] = pixels[src + p]! / 255;
        labels[step] = shape.shuffledLabels ? this.rng.int(ways) : label;
        instance[step] = seen[label]!++;
      });
    }
    const none = new Float32Array(0);
    const noLabels = new Int32Array(0);
    return {
      ways,
      shots: 0,
      queries: 0,
      classes: [],
      supportImages: none,
      supportLabels: noLabels,
      queryImages: none,
      queryLabels: noLabels,
      sequence: { batch, steps, images, labels, instance },
    };
  }
}
