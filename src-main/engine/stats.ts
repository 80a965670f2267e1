/** Summary statistics of the meta-test protocol (docs/SCIENCE.md): mean ± 1.96·std/√T. */

export interface AccuracySummary {
  /** Mean accuracy over tasks, in [0, 1]. */
  mean: number;
  /** Half-width of the 95% confidence interval: 1.96 · sample std / √T. */
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
  return { mean, ci95: (1.96 * std) / Math.sqrt(n), std, tasks: n };
}

/** "72.41 ± 1.35%" */
export function formatAccuracy(s: AccuracySummary, digits = 2): string {
  return `${(100 * s.mean).toFixed(digits)} ± ${(100 * s.ci95).toFixed(digits)}%`;
}
