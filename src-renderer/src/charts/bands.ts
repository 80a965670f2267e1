/**
 * Learning curves of groups of seeds: each run's series smoothed in full first, then the mean and
 * a band across the group's runs at every step, then downsampled (LTTB on the mean; the band keeps
 * the same steps) before anything reaches the chart.
 *
 * The band is the 95% CI across seeds where at least MIN_SEEDS_FOR_INTERVAL runs have the step:
 * with two, Student's t (12.7 at one degree of freedom) would draw accuracy from −60% to 150%, so
 * the band is the two runs' range instead; with one there is none. Either way it is clipped to the
 * metric's range (accuracy 0..1, a loss ≥ 0).
 */
import { MIN_SEEDS_FOR_INTERVAL, meanCi } from '../../../src-main/contract/results';
import { debiasedEma, lttbIndices } from './series';

export interface CurveInput {
  label: string;
  runs: Array<{ steps: readonly number[]; values: readonly number[] }>;
}

/** What a band shows: a 95% CI across seeds, the seeds' range (two seeds), or nothing (one). */
export type BandKind = 'ci' | 'range' | 'none';

export interface Band {
  label: string;
  runs: number;
  kind: BandKind;
  steps: number[];
  mean: number[];
  lower: number[];
  upper: number[];
}

/** The values a metric can take: accuracies are fractions, losses are non-negative. */
export function metricRange(key: string): [number, number] {
  if (/accuracy/.test(key)) return [0, 1];
  if (/loss/.test(key)) return [0, Number.POSITIVE_INFINITY];
  return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
}

export function groupBands(
  groups: readonly CurveInput[],
  smoothing: number,
  range: readonly [number, number] = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
  maxPoints = 1500,
): Band[] {
  const clip = (v: number) => Math.min(range[1], Math.max(range[0], v));
  return groups.map((g) => {
    const smoothed = g.runs.map((r) => ({ steps: r.steps, values: debiasedEma(r.values, smoothing) }));
    const steps = [...new Set(smoothed.flatMap((r) => r.steps))].sort((a, b) => a - b);
    const cursor = smoothed.map(() => 0);
    const mean: number[] = [];
    const lower: number[] = [];
    const upper: number[] = [];
    const column: number[] = [];
    for (const step of steps) {
      column.length = 0;
      smoothed.forEach((r, k) => {
        let i = cursor[k]!;
        while (i < r.steps.length && r.steps[i]! < step) i++;
        cursor[k] = i;
        if (r.steps[i] === step && Number.isFinite(r.values[i]!)) column.push(r.values[i]!);
      });
      const { mean: m, ci95 } = meanCi(column);
      mean.push(m);
      if (column.length >= MIN_SEEDS_FOR_INTERVAL) {
        lower.push(clip(m - ci95));
        upper.push(clip(m + ci95));
      } else {
        lower.push(clip(Math.min(...column, m)));
        upper.push(clip(Math.max(...column, m)));
      }
    }
    const kept = lttbIndices(steps, mean, maxPoints);
    const runs = g.runs.length;
    return {
      label: g.label,
      runs,
      kind: runs >= MIN_SEEDS_FOR_INTERVAL ? 'ci' : runs === 2 ? 'range' : 'none',
      steps: kept.map((i) => steps[i]!),
      mean: kept.map((i) => mean[i]!),
      lower: kept.map((i) => lower[i]!),
      upper: kept.map((i) => upper[i]!),
    };
  });
}

/** One line under a chart of bands: what the shaded areas are, and n per group. */
export function bandNote(bands: readonly Band[]): string {
  const kinds = new Set(bands.map((b) => b.kind));
  const parts: string[] = [];
  if (kinds.has('ci')) parts.push(`95% CI across seeds (groups with ${MIN_SEEDS_FOR_INTERVAL}+ seeds)`);
  if (kinds.has('range')) parts.push('the two seeds’ range (two seeds give no meaningful interval)');
  if (kinds.has('none')) parts.push('no band for a single seed');
  return `Shaded: ${parts.join('; ')}. n: ${bands.map((b) => `${b.label} ${b.runs}`).join(', ')}.`;
}
