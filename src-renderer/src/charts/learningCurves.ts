/**
 * The compare page's learning curves: each group's mean across its seeds as a line, over its band
 * (bands.ts) drawn as a filled area from the lower to the upper bound. Only the means are named in
 * the legend; each band takes its mean's colour.
 */
import type { Band } from './bands';

export interface LearningCurvesInput {
  bands: readonly Band[];
  /** Each band's colour, in the bands' order. */
  colours: readonly string[];
  /** The y axis's name: the metric in words. */
  yName: string | undefined;
  /** Whether the metric is a fraction shown as a percentage (an accuracy). */
  percent: boolean;
}

export function learningCurvesOption({ bands, colours, yName, percent }: LearningCurvesInput) {
  const format = (v: number) =>
    !Number.isFinite(v) ? '–' : percent ? `${(100 * v).toFixed(2)}%` : Number(v.toPrecision(4)).toString();
  return {
    animation: false,
    tooltip: { trigger: 'axis', valueFormatter: format },
    legend: { top: 0, data: bands.map((b) => b.label) },
    grid: { left: 56, right: 16, top: 40, bottom: 36 },
    xAxis: {
      type: 'value',
      name: 'iteration',
      nameLocation: 'middle',
      nameGap: 24,
      min: 'dataMin',
      max: 'dataMax',
    },
    yAxis: {
      type: 'value',
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
        data: b.steps.map((s, k) => [s, b.lower[k]]),
        lineStyle: { opacity: 0 },
        showSymbol: false,
        tooltip: { show: false },
      },
      {
        name: `${b.label} 95% CI`,
        type: 'line',
        stack: `band${i}`,
        data: b.steps.map((s, k) => [s, b.upper[k]! - b.lower[k]!]),
        lineStyle: { opacity: 0 },
        areaStyle: { opacity: b.kind === 'none' ? 0 : 0.2, color: colours[i] },
        showSymbol: false,
        tooltip: { show: false },
      },
      {
        name: b.label,
        type: 'line',
        data: b.steps.map((s, k) => [s, b.mean[k]]),
        color: colours[i],
        showSymbol: b.steps.length < 30,
      },
    ]),
  };
}
