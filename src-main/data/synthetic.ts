/**
 * A small class-structured dataset generated in code, so the engine, CLI and tests run with no
 * download. Each class is a random composition of pen strokes (straight and curved); each
 * instance is that composition under a random affine jitter, stroke width and pixel noise.
 * Same options, same bytes.
 */
import type { ClassIndexedDataset } from '../engine/dataset';
import { Rng } from '../engine/random';
import { type Jitter, type Stroke, jitterStrokes, randomStroke, renderStrokes } from './strokes';

export interface SyntheticOptions {
  classes: number;
  imagesPerClass: number;
  /** Square image side in pixels. */
  size: number;
  seed: number;
  /** Strokes per class: [min, max]. */
  strokes?: [number, number];
  /** Max rotation (radians), scale spread, translation (fraction of the side). */
  jitter?: Jitter;
  /** Std of additive pixel noise, in [0, 1] units. */
  noise?: number;
}

export const SYNTHETIC_DEFAULTS = {
  classes: 200,
  imagesPerClass: 20,
  size: 28,
  seed: 0,
  strokes: [2, 4] as [number, number],
  jitter: { rotation: 0.25, scale: 0.12, shift: 0.08, wobble: 0.02 },
  noise: 0.08,
};

export function generateSyntheticDataset(opts: Partial<SyntheticOptions> = {}): ClassIndexedDataset {
  const o = { ...SYNTHETIC_DEFAULTS, ...opts };
  const { classes, imagesPerClass, size } = o;
  const pixels = new Uint8Array(classes * imagesPerClass * size * size);
  const classStart = new Uint32Array(classes + 1);
  const classNames: string[] = [];
  const ink = new Float64Array(size * size);
  for (let c = 0; c < classes; c++) {
    // One generator per class: class c's images do not depend on how many classes come before.
    const rng = Rng.derive(o.seed, `synthetic-class:${c}`);
    const count = o.strokes[0] + rng.int(o.strokes[1] - o.strokes[0] + 1);
    const strokes: Stroke[] = Array.from({ length: count }, () => randomStroke(rng));
    const width = rng.uniform(0.06, 0.1);
    classStart[c] = c * imagesPerClass;
    // The seed is part of the name: two synthetic datasets share a class only if they share a seed.
    classNames.push(`s${o.seed}-class-${String(c).padStart(4, '0')}`);
    for (let i = 0; i < imagesPerClass; i++) {
      const w = width * (1 + rng.uniform(-0.2, 0.2));
      const offset = (c * imagesPerClass + i) * size * size;
      renderStrokes(jitterStrokes(strokes, rng, o.jitter), size, w, o.noise, rng, pixels, offset, ink);
    }
  }
  classStart[classes] = classes * imagesPerClass;
  return {
    name: `synthetic(${classes}×${imagesPerClass}, ${size}px, seed ${o.seed})`,
    height: size,
    width: size,
    channels: 1,
    classNames,
    classStart,
    pixels,
  };
}
