/**
 * Successive halving's decisions: for each rung, each trial that reached it at its validation
 * accuracy there, those that continued as filled circles in their learner's colour and those it
 * stopped as crosses in the stop colour, so "which trials stopped where" reads at a glance.
 */
export interface RungPoint {
  /** Index of the rung among the sweep's rungs (0-based). */
  rung: number;
  value: number;
  decision: 'continue' | 'stop';
  /** "MAML #3". */
  name: string;
  color: string;
}

export interface RungChartInput {
  /** Each rung's axis label ("rung 1 · it. 10"). */
  rungs: readonly string[];
  points: readonly RungPoint[];
  /** The colour of a stop (the theme's "bad"), and the legend's for a continue. */
  stopColor: string;
  continueColor: string;
}

/** A cross: the stopped trials' marker, distinct from the continued ones' circles in shape as well as colour. */
export const STOP_SYMBOL = 'path://M2,0 L5,3 L8,0 L10,2 L7,5 L10,8 L8,10 L5,7 L2,10 L0,8 L3,5 L0,2 Z';

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/** Trials at one rung with the same accuracy would hide one another: spread them a little. */
function spread(points: readonly RungPoint[]): number[] {
  const seen = new Map<string, number>();
  return points.map((p) => {
    const key = `${p.rung}:${p.value}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return p.rung + (n === 0 ? 0 : (n % 2 ? 1 : -1) * Math.ceil(n / 2) * 0.06);
  });
}

export function rungChartOption({ rungs, points, stopColor, continueColor }: RungChartInput) {
  const x = spread(points);
  const of = (decision: RungPoint['decision']) =>
    points
      .map((p, i) => ({ p, x: x[i]! }))
      .filter(({ p }) => p.decision === decision)
      .map(({ p, x }) => ({
        value: [x, p.value],
        name: p.name,
        itemStyle: { color: decision === 'stop' ? stopColor : p.color },
      }));
  return {
    animation: false,
    grid: { left: 56, right: 16, top: 32, bottom: 36 },
    legend: { top: 0, data: ['continued', 'stopped'] },
    tooltip: {
      trigger: 'item',
      formatter: (p: { seriesName: string; data: { name: string; value: [number, number] } }) =>
        `${p.data.name}: ${pct(p.data.value[1])} at ${rungs[Math.round(p.data.value[0])] ?? ''}, ${p.seriesName}`,
    },
    xAxis: {
      type: 'value',
      min: -0.5,
      max: rungs.length - 0.5,
      // Ticks between the rungs, a label under each.
      interval: 1,
      splitLine: { show: false },
      axisLabel: { customValues: rungs.map((_, i) => i), formatter: (v: number) => rungs[v] ?? '' },
    },
    yAxis: {
      type: 'value',
      scale: true,
      name: 'validation accuracy at the rung',
      nameLocation: 'middle',
      nameGap: 42,
      axisLabel: { formatter: (v: number) => `${Math.round(100 * v)}%` },
    },
    series: [
      {
        name: 'continued',
        type: 'scatter',
        symbol: 'circle',
        symbolSize: 10,
        itemStyle: { color: continueColor },
        data: of('continue'),
      },
      {
        name: 'stopped',
        type: 'scatter',
        symbol: STOP_SYMBOL,
        symbolSize: 11,
        itemStyle: { color: stopColor },
        data: of('stop'),
      },
    ],
  };
}
