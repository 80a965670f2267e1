/**
 * Pen strokes on a square canvas: the drawing primitives of the generated datasets. A stroke
 * is a quadratic Bézier curve in the unit square, drawn as a polyline with an anti-aliased pen.
 */
import type { Rng } from '../engine/random';

export type Point = [number, number];
/** (start, control, end) in the unit square. */
export type Stroke = [Point, Point, Point];

export interface Jitter {
  /** Max rotation, radians. */
  rotation: number;
  /** Max relative change of each axis' scale. */
  scale: number;
  /** Max translation, fraction of the side. */
  shift: number;
  /** Std of each control point's own displacement. */
  wobble: number;
}

export function randomStroke(rng: Rng, margin = 0.15, maxBend = 0.35): Stroke {
  const p = (): Point => [rng.uniform(margin, 1 - margin), rng.uniform(margin, 1 - margin)];
  const p0 = p();
  const p1 = p();
  const bend = rng.uniform(-maxBend, maxBend);
  const mid: Point = [(p0[0] + p1[0]) / 2, (p0[1] + p1[1]) / 2];
  // Control point off the chord's middle, perpendicular to it: bend 0 is a straight line.
  const control: Point = [mid[0] - (p1[1] - p0[1]) * bend, mid[1] + (p1[0] - p0[0]) * bend];
  return [p0, control, p1];
}

export function affine(
  stroke: Stroke,
  angle: number,
  scaleX: number,
  scaleY: number,
  shiftX: number,
  shiftY: number,
): Stroke {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return stroke.map(([x, y]) => {
    const cx = (x - 0.5) * scaleX;
    const cy = (y - 0.5) * scaleY;
    return [0.5 + cos * cx - sin * cy + shiftX, 0.5 + sin * cx + cos * cy + shiftY];
  }) as Stroke;
}

/** One drawing of a composition: a global affine jitter, then each control point wobbles. */
export function jitterStrokes(strokes: readonly Stroke[], rng: Rng, j: Jitter): Stroke[] {
  const angle = rng.uniform(-j.rotation, j.rotation);
  const sx = 1 + rng.uniform(-j.scale, j.scale);
  const sy = 1 + rng.uniform(-j.scale, j.scale);
  const tx = rng.uniform(-j.shift, j.shift);
  const ty = rng.uniform(-j.shift, j.shift);
  const wobble = (p: Point): Point => [p[0] + j.wobble * rng.normal(), p[1] + j.wobble * rng.normal()];
  return strokes.map((s) => affine(s, angle, sx, sy, tx, ty).map(wobble) as Stroke);
}

function bezier([a, c, b]: Stroke, t: number): Point {
  const u = 1 - t;
  return [u * u * a[0] + 2 * u * t * c[0] + t * t * b[0], u * u * a[1] + 2 * u * t * c[1] + t * t * b[1]];
}

const SEGMENTS = 8;

/**
 * Draw strokes with pen width `width` (unit-square units) into out[offset .. offset + size²),
 * adding Gaussian pixel noise, as 0..255. `ink` is scratch space of size² doubles. Each segment
 * only visits the pixels its pen can reach, so cost grows with ink, not with canvas × strokes.
 */
export function renderStrokes(
  strokes: readonly Stroke[],
  size: number,
  width: number,
  noise: number,
  rng: Rng,
  out: Uint8Array,
  offset: number,
  ink: Float64Array = new Float64Array(size * size),
): void {
  ink.fill(0);
  const reach = width / 2 + 0.5 / size;
  for (const stroke of strokes) {
    let prev = bezier(stroke, 0);
    for (let i = 1; i <= SEGMENTS; i++) {
      const next = bezier(stroke, i / SEGMENTS);
      const [ax, ay] = prev;
      const dx = next[0] - ax;
      const dy = next[1] - ay;
      const len2 = dx * dx + dy * dy;
      const x0 = Math.max(0, Math.floor((Math.min(ax, next[0]) - reach) * size));
      const x1 = Math.min(size - 1, Math.ceil((Math.max(ax, next[0]) + reach) * size));
      const y0 = Math.max(0, Math.floor((Math.min(ay, next[1]) - reach) * size));
      const y1 = Math.min(size - 1, Math.ceil((Math.max(ay, next[1]) + reach) * size));
      for (let y = y0; y <= y1; y++) {
        const py = (y + 0.5) / size;
        for (let x = x0; x <= x1; x++) {
          const px = (x + 0.5) / size;
          const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
          const ex = px - (ax + t * dx);
          const ey = py - (ay + t * dy);
          // Ink falls off over one pixel past the pen's half-width (anti-aliasing).
          const v = Math.min(1, (width / 2 - Math.sqrt(ex * ex + ey * ey)) * size + 0.5);
          const at = y * size + x;
          if (v > ink[at]!) ink[at] = v;
        }
      }
      prev = next;
    }
  }
  for (let i = 0; i < size * size; i++) {
    const v = ink[i]! + noise * rng.normal();
    out[offset + i] = Math.round(255 * Math.max(0, Math.min(1, v)));
  }
}
