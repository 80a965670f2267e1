/**
 * A run's curves (LineChart.vue on the run page): each series smoothed and downsampled, drawn over
 * its raw values, faint, in the same colour (as TensorBoard and W&B do), so that smoothing never
 * hides what was recorded. The tooltip names both.
 */
import { chartSeries } from './series';
import { PALETTE } from './theme';

export interface RunCurve {
  name: string;
  steps: readonly number[];
  values: readonly number[];
  /** false: never smoothed (validation accuracy, memory); drawn once, raw. */
  smooth?: boolean;
}

export interface RunCurvesInput {
  series: readonly RunCurve[];
  /** The debiased EMA's weight; 0 draws every series raw. */
  smoothing: number;
  /** Whether the values are fractions shown as percentages (accuracies). */
  percent?: boolean;
  /** The axes' names: what the x axis counts (iteration, presentation) and what is measured. */
  xName: string;
  yName: string | undefined;
}

export function runCurvesOption({ series, smoothing, percent, xName, yName }: RunCurvesInput) {
  const format = (v: number) =>
    !Number.isFinite(v) ? '–' : percent ? `${(100 * v).toFixed(2)}%` : Number(v.toPrecision(4)).toString();
  return {
    animation: false,
    grid: { left: 56, right: 16, top: 32, bottom: 36 },
    // Zoom by the wheel or a drag on the plot (no slider: the run page's charts are short).
    dataZoom: [{ type: 'inside', xAxisIndex: 0 }],
    // One row that scrolls: a wrapped legend would run into the plot.
    legend: { type: 'scroll', top: 0, data: series.map((s) => s.name) },
    tooltip: { trigger: 'axis', valueFormatter: format },
    xAxis: {
      type: 'value',
      name: xName,
      nameLocation: 'middle',
      nameGap: 22,
      min: 'dataMin',
      max: 'dataMax',
      // Iterations and presentations are whole numbers: no tick at 1.5.
      minInterval: 1,
    },
    yAxis: {
      type: 'value',
      scale: true,
      name: yName,
      nameLocation: 'middle',
      nameGap: 42,
      axisLabel: { formatter: (v: number) => (percent ? `${Math.round(100 * v)}%` : String(v)) },
    },
    series: series.flatMap((s, i) => {
      const color = PALETTE[i % PALETTE.length];
      const smoothed = s.smooth !== false && smoothing > 0;
      const line = {
        name: s.name,
        type: 'line',
        color,
        showSymbol: s.steps.length < 30,
        data: chartSeries(s.steps, s.values, smoothed ? smoothing : 0),
      };
      if (!smoothed) return [line];
      return [
        {
          name: `${s.name} (raw)`,
          type: 'line',
          color,
          showSymbol: false,
          silent: true,
          lineStyle: { opacity: 0.25, width: 1 },
          data: chartSeries(s.steps, s.values, 0),
        },
        line,
      ];
    }),
  };
}
