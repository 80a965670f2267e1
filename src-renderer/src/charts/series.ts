/**
 * Series preparation for charts: smooth the full series first, then downsample what reaches the
 * chart (smoothing a downsampled series would smooth the wrong points).
 */

/**
 * Exponential moving average with bias correction (as TensorBoard does): early points are not
 * dragged towards zero. `weight` in [0, 1): 0 is the raw series.
 */
export function debiasedEma(values: readonly number[], weight: number): number[] {
  if (weight <= 0) return [...values];
  const out = new Array<number>(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = last / (1 - weight ** n);
  }
  return out;
}

/**
 * Largest-Triangle-Three-Buckets downsampling: keeps the visual shape (peaks, dips) of a series
 * with `threshold` points. Returns the indices kept, in order.
 */
export function lttbIndices(xs: readonly number[], ys: readonly number[], threshold: number): number[] {
  const n = xs.length;
  if (threshold >= n || threshold < 3) return Array.from({ length: n }, (_, i) => i);
  const kept = [0];
  const bucket = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const nextStart = Math.floor((i + 1) * bucket) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * bucket) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += xs[j]!;
      avgY += ys[j]!;
    }
    const count = Math.max(1, nextEnd - nextStart);
    avgX /= count;
    avgY /= count;
    const start = Math.floor(i * bucket) + 1;
    const end = Math.floor((i + 1) * bucket) + 1;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((xs[a]! - avgX) * (ys[j]! - ys[a]!) - (xs[a]! - xs[j]!) * (avgY - ys[a]!));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    kept.push(best);
    a = best;
  }
  kept.push(n - 1);
  return kept;
}

/** Smoothed, then downsampled, as [step, value] pairs for ECharts. */
export function chartSeries(
  steps: readonly number[],
  values: readonly number[],
  smoothing: number,
  maxPoints = 2000,
): Array<[number, number]> {
  const smooth = debiasedEma(values, smoothing);
  return lttbIndices(steps, smooth, maxPoints).map((i) => [steps[i]!, smooth[i]!]);
}
