/**
 * The compare page's learning curves: each group's mean across its seeds as a line, over its band
 * (bands.ts) drawn as a filled area from the lower to the upper bound. Only the means are named in
 * the legend, which sits under the plot on one scrolling row (on top, many groups' names covered
 * the curves); each band takes its mean's colour.
 */
import { MIN_SEEDS_FOR_INTERVAL } from '../../../src-main/contract/results';
import type { Band } from './bands';

export interface LearningCurvesInput {
  bands: readonly Band[];
  /** Each band's colour, in the bands' order. */
  colours: readonly string[];
  /** The y axis's name: the metric in words. */
  yName: string | undefined;
  /** Whether the metric is a fraction shown as a percentage (an accuracy). */
  percent: boolean;
  /** A group's settings in full, by its label, for the legend's tooltip. */
  descriptions?: Readonly<Record<string, string>>;
  /**
   * What the x axis measures, and each band's x at each of its steps (tasks seen, training time);
   * the iteration itself by default.
   */
  x?: { name: string; of: (band: number, step: number) => number };
  /** A logarithmic y axis (losses spanning decades); values ≤ 0 have no place on it. */
  logY?: boolean;
}

/** The x axes users choose among: the iteration, the tasks seen, or the training time. */
export const X_AXES = {
  iteration: 'iteration',
  tasks: 'tasks seen',
  time: 'training time (min)',
} as const;
export type XAxisKind = keyof typeof X_AXES;

/**
 * The chart's title, which says what is drawn and stands alone in an exported file: the mean of
 * each group's seeds or each seed on its own, and what the shaded areas are (nothing when none).
 */
export function learningCurvesTitle(metric: string, bands: readonly Band[], groupedSeeds: boolean): string {
  const kinds = new Set(bands.map((b) => b.kind));
  const shaded = [
    ...(kinds.has('ci')
      ? [`95% CI across seeds${kinds.has('range') ? ` (${MIN_SEEDS_FOR_INTERVAL}+ seeds)` : ''}`]
      : []),
    ...(kinds.has('range') ? ['range of two seeds'] : []),
  ];
  const drawn = groupedSeeds ? 'mean of seeds' : 'each seed';
  return `${metric} (${drawn}${shaded.length ? `; shaded: ${shaded.join(' or ')}` : ''})`;
}

export function learningCurvesOption({
  bands,
  colours,
  yName,
  percent,
  descriptions,
  x,
  logY,
}: LearningCurvesInput) {
  const xOf = x?.of ?? ((_band: number, step: number) => step);
  // A log axis has no place for 0 or below: such points are left out rather than drawn at -∞.
  const shown = (v: number | undefined) => (logY && !(v! > 0) ? null : v);
  const format = (v: number) =>
    !Number.isFinite(v) ? '–' : percent ? `${(100 * v).toFixed(2)}%` : Number(v.toPrecision(4)).toString();
  return {
    animation: false,
    tooltip: { trigger: 'axis', valueFormatter: format },
    legend: {
      type: 'scroll',
      bottom: 0,
      data: bands.map((b) => b.label),
      tooltip: {
        show: true,
        formatter: ({ name }: { name: string }) => descriptions?.[name] ?? name,
      },
    },
    grid: { left: 56, right: 16, top: 16, bottom: 92 },
    // Zoom: the wheel or a drag on the plot, or the slider above the legend.
    dataZoom: [
      { type: 'inside', xAxisIndex: 0 },
      { type: 'slider', xAxisIndex: 0, height: 14, bottom: 30 },
    ],
    xAxis: {
      type: 'value',
      name: x?.name ?? 'iteration',
      nameLocation: 'middle',
      nameGap: 24,
      min: 'dataMin',
      max: 'dataMax',
    },
    yAxis: {
      type: logY ? 'log' : 'value',
      scale: true,
      name: yName,
      nameLocation: 'middle',
      nameGap: 42,
      axisLabel: { formatter: (v: number) => (percent ? `${Math.round(100 * v)}%` : String(v)) },
    },
    series: bands.flatMap((b, i) => [
      // The band: the lower bound (invisible), then the width stacked on it as a filled area.
      {
        name: `${b.label} lower`,
        type: 'line',
        stack: `band${i}`,
        data: b.steps.map((s, k) => [xOf(i, s), shown(b.lower[k])]),
        lineStyle: { opacity: 0 },
        showSymbol: false,
        tooltip: { show: false },
      },
      {
        name: `${b.label} 95% CI`,
        type: 'line',
        stack: `band${i}`,
        data: b.steps.map((s, k) => [
          xOf(i, s),
          logY && !(b.lower[k]! > 0) ? null : b.upper[k]! - b.lower[k]!,
        ]),
        lineStyle: { opacity: 0 },
        areaStyle: { opacity: b.kind === 'none' ? 0 : 0.2, color: colours[i] },
        showSymbol: false,
        tooltip: { show: false },
      },
      {
        name: b.label,
        type: 'line',
        data: b.steps.map((s, k) => [xOf(i, s), shown(b.mean[k])]),
        color: colours[i],
        showSymbol: b.steps.length < 30,
      },
    ]),
  };
}
