/**
 * What the engine consumes: a class-indexed image dataset held as one packed uint8 buffer
 * (the layout of the data module's cache), so an episode is a few array copies.
 */

export type SplitName = 'train' | 'val' | 'test';

export interface ClassIndexedDataset {
  /** Human-readable name, recorded with every run. */
  name: string;
  height: number;
  width: number;
  channels: number;
  classNames: readonly string[];
  /**
   * classStart[c] is the index of class c's first image; class c owns images
   * classStart[c] .. classStart[c + 1] − 1. Length: classes + 1.
   */
  classStart: Uint32Array;
  /** All images, row-major NHWC, 0..255. */
  pixels: Uint8Array;
  /**
   * Class indices per split when the dataset defines them (Omniglot's background / evaluation,
   * miniImageNet's CSVs). Without it the engine draws a seeded split from the config's fractions.
   */
  splits?: Partial<Record<SplitName, readonly number[]>>;
  /**
   * The underlying class each class is a copy of, when some are augmented copies (Omniglot's
   * rotations: 'A/character01@rot90' is 'A/character01'). An automatic split keeps a base and all
   * its copies in one split: a rotation of a meta-test character in meta-train would inflate the
   * meta-test accuracy. Absent: each class is its own base (see classBase).
   */
  classBases?: readonly string[];
}

/**
 * The base of class c: the stored one, else the class name less a rotation suffix ('@rot90',
 * '@rot180', '@rot270': datasets imported before bases were stored carry them only in names).
 */
export function classBase(d: Pick<ClassIndexedDataset, 'classNames' | 'classBases'>, c: number): string {
  return d.classBases?.[c] ?? d.classNames[c]!.replace(/@rot(?:90|180|270)$/, '');
}

export function classCount(d: ClassIndexedDataset): number {
  return d.classStart.length - 1;
}

export function imagesInClass(d: ClassIndexedDataset, c: number): number {
  return d.classStart[c + 1]! - d.classStart[c]!;
}

export function imageSize(d: ClassIndexedDataset): number {
  return d.height * d.width * d.channels;
}

/** Structural checks, so a corrupt dataset fails with a message instead of garbage episodes. */
export function checkDataset(d: ClassIndexedDataset): void {
  const classes = classCount(d);
  if (classes < 1) throw new Error(`dataset '${d.name}' has no classes`);
  if (d.classNames.length !== classes) {
    throw new Error(`dataset '${d.name}': ${d.classNames.length} class names for ${classes} classes`);
  }
  for (let c = 0; c < classes; c++) {
    if (d.classStart[c + 1]! < d.classStart[c]!)
      throw new Error(`dataset '${d.name}': class index is not sorted`);
  }
  if (d.classBases && d.classBases.length !== classes) {
    throw new Error(`dataset '${d.name}': ${d.classBases.length} class bases for ${classes} classes`);
  }
  const images = d.classStart[classes]!;
  if (d.pixels.length !== images * imageSize(d)) {
    throw new Error(
      `dataset '${d.name}': ${d.pixels.length} bytes of pixels for ${images} images of ` +
        `${d.height}×${d.width}×${d.channels}`,
    );
  }
}
