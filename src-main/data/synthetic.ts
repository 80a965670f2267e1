/**
 * A small class-structured dataset generated in code, so the engine, CLI and tests run with no
 * download. Each class is a random composition of pen strokes (straight and curved); each
 * instance is that composition under a random affine jitter, stroke width and pixel noise.
 * Same options, same bytes.
 */
import type { ClassIndexedDataset } from '../engine/dataset';
import { Rng } from '../engine/random';

export interface SyntheticOptions {
  classes: number;
  imagesPerClass: number;
  /** Square image side in pixels. */
  size: number;
  seed: number;
  /** Strokes per class: [min, max]. */
  strokes?: [number, number];
  /** Max rotation (radians), scale spread, translation (fraction of the side). */
  jitter?: { rotation: number; scale: number; shift: number };
  /** Std of additive pixel noise, in [0, 1] units. */
  noise?: number;
}

export const SYNTHETIC_DEFAULTS = {
  classes: 200,
  imagesPerClass: 20,
  size: 28,
  seed: 0,
  strokes: [2, 4] as [number, number],
  jitter: { rotation: 0.25, scale: 0.12, shift: 0.08 },
  noise: 0.08,
};

type Point = [number, number];
/** A stroke is a quadratic Bézier curve (p0, control, p1) in the unit square. */
type Stroke = [Point, Point, Point];

function randomStroke(rng: Rng): Stroke {
  const p = (): Point => [rng.uniform(0.15, 0.85), rng.uniform(0.15, 0.85)];
  const p0 = p();
  const p1 = p();
  const bend = rng.uniform(-0.35, 0.35);
  const mid: Point = [(p0[0] + p1[0]) / 2, (p0[1] + p1[1]) / 2];
  // Control point off the chord's middle, perpendicular to it: bend 0 is a straight line.
  const control: Point = [mid[0] - (p1[1] - p0[1]) * bend, mid[1] + (p1[0] - p0[0]) * bend];
  return [p0, control, p1];
}

function bezier([a, c, b]: Stroke, t: number): Point {
  const u = 1 - t;
  return [u * u * a[0] + 2 * u * t * c[0] + t * t * b[0], u * u * a[1] + 2 * u * t * c[1] + t * t * b[1]];
}

function distanceToSegment(px: number, py: number, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / len2)) : 0;
  const ex = px - (a[0] + t * dx);
  const ey = py - (a[1] + t * dy);
  return Math.sqrt(ex * ex + ey * ey);
}

const SEGMENTS = 8;

function render(
  strokes: Stroke[],
  size: number,
  width: number,
  noise: number,
  rng: Rng,
  out: Uint8Array,
  offset: number,
): void {
  const polylines = strokes.map((s) =>
    Array.from({ length: SEGMENTS + 1 }, (_, i) => bezier(s, i / SEGMENTS)),
  );
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const px = (x + 0.5) / size;
      const py = (y + 0.5) / size;
      let d = Infinity;
      for (const line of polylines) {
        for (let i = 0; i < SEGMENTS; i++) d = Math.min(d, distanceToSegment(px, py, line[i]!, line[i + 1]!));
      }
      // Ink falls off over one pixel past the pen's half-width (anti-aliasing).
      const ink = Math.max(0, Math.min(1, (width / 2 - d) * size + 0.5));
      const v = ink + noise * rng.normal();
      out[offset + y * size + x] = Math.round(255 * Math.max(0, Math.min(1, v)));
    }
  }
}

function jitterStrokes(
  strokes: Stroke[],
  rng: Rng,
  j: { rotation: number; scale: number; shift: number },
): Stroke[] {
  const angle = rng.uniform(-j.rotation, j.rotation);
  const sx = 1 + rng.uniform(-j.scale, j.scale);
  const sy = 1 + rng.uniform(-j.scale, j.scale);
  const tx = rng.uniform(-j.shift, j.shift);
  const ty = rng.uniform(-j.shift, j.shift);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const map = ([x, y]: Point): Point => {
    const cx = (x - 0.5) * sx;
    const cy = (y - 0.5) * sy;
    return [0.5 + cos * cx - sin * cy + tx, 0.5 + sin * cx + cos * cy + ty];
  };
  // Each control point also wobbles a little on its own: no two drawings are the same shape.
  const wobble = (p: Point): Point => [p[0] + 0.02 * rng.normal(), p[1] + 0.02 * rng.normal()];
  return strokes.map((s) => s.map((p) => wobble(map(p))) as Stroke);
}

export function generateSyntheticDataset(opts: Partial<SyntheticOptions> = {}): ClassIndexedDataset {
  const o = { ...SYNTHETIC_DEFAULTS, ...opts };
  const { classes, imagesPerClass, size } = o;
  const pixels = new Uint8Array(classes * imagesPerClass * size * size);
  const classStart = new Uint32Array(classes + 1);
  const classNames: string[] = [];
  for (let c = 0; c < classes; c++) {
    // One generator per class: class c's images do not depend on how many classes come before.
    const rng = Rng.derive(o.seed, `synthetic-class:${c}`);
    const count = o.strokes[0] + rng.int(o.strokes[1] - o.strokes[0] + 1);
    const strokes = Array.from({ length: count }, () => randomStroke(rng));
    const width = rng.uniform(0.06, 0.1);
    classStart[c] = c * imagesPerClass;
    classNames.push(`class-${String(c).padStart(4, '0')}`);
    for (let i = 0; i < imagesPerClass; i++) {
      const w = width * (1 + rng.uniform(-0.2, 0.2));
      render(
        jitterStrokes(strokes, rng, o.jitter),
        size,
        w,
        o.noise,
        rng,
        pixels,
        (c * imagesPerClass + i) * size * size,
      );
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
