/**
 * Summary statistics of the meta-test protocol (docs/SCIENCE.md): mean ± t·std/√T, with t Student's
 * 95% quantile for T − 1 degrees of freedom: 1.96 for 600 tasks is 1.964, but 20 episodes (Lake's
 * one-shot runs) need t(19) = 2.093, and 1.96 would understate their interval by 6%.
 */
import { t95 } from '../contract/results';

export interface AccuracySummary {
  /** Mean accuracy over tasks, in [0, 1]. */
  mean: number;
  /** Half-width of the 95% confidence interval: t95(T − 1) · sample std / √T. */
  ci95: number;
  /** Sample standard deviation (n − 1 in the denominator). */
  std: number;
  tasks: number;
}

export function summarizeAccuracies(values: ArrayLike<number>): AccuracySummary {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, ci95: Number.NaN, std: Number.NaN, tasks: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  const mean = sum / n;
  if (n === 1) return { mean, ci95: Number.NaN, std: Number.NaN, tasks: 1 };
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - mean;
    ss += d * d;
  }
  const std = Math.sqrt(ss / (n - 1));
  return { mean, ci95: (t95(n - 1) * std) / Math.sqrt(n), std, tasks: n };
}

/** "72.41 ± 1.35%"; one task has no interval, and says so rather than "± NaN%". */
export function formatAccuracy(s: AccuracySummary, digits = 2): string {
  const mean = (100 * s.mean).toFixed(digits);
  return Number.isFinite(s.ci95)
    ? `${mean} ± ${(100 * s.ci95).toFixed(digits)}%`
    : `${mean}% (no interval from ${s.tasks} task${s.tasks === 1 ? '' : 's'})`;
}
