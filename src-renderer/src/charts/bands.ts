/**
 * Learning curves of groups of seeds: each run's series smoothed in full first, then mean ± 95%
 * CI across the group's runs at every step, then downsampled (LTTB on the mean; the band keeps
 * the same steps) before anything reaches the chart.
 */
import { meanCi } from '../../../src-main/contract/results';
import { debiasedEma, lttbIndices } from './series';

export interface CurveInput {
  label: string;
  runs: Array<{ steps: readonly number[]; values: readonly number[] }>;
}

export interface Band {
  label: string;
  runs: number;
  steps: number[];
  mean: number[];
  lower: number[];
  upper: number[];
}

export function groupBands(groups: readonly CurveInput[], smoothing: number, maxPoints = 1500): Band[] {
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
      const half = Number.isFinite(ci95) ? ci95 : 0;
      mean.push(m);
      lower.push(m - half);
      upper.push(m + half);
    }
    const kept = lttbIndices(steps, mean, maxPoints);
    return {
      label: g.label,
      runs: g.runs.length,
      steps: kept.map((i) => steps[i]!),
      mean: kept.map((i) => mean[i]!),
      lower: kept.map((i) => lower[i]!),
      upper: kept.map((i) => upper[i]!),
    };
  });
}
