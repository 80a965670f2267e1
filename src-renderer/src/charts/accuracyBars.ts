/**
 * The compare page's meta-test accuracies: one bar per group with its ±95% CI as an I-beam, both
 * clipped to 0..100%. The y axis holds every error bar (with `scale` they left the chart), on
 * whole steps of 5%.
 */

export interface AccuracyBar {
  label: string;
  /** Mean meta-test accuracy (a fraction) and the half-width of its 95% CI (NaN: none). */
  mean: number;
  ci95: number;
  /** Seeds behind the mean, shown under the bar as n. */
  seeds: number;
  colour: string;
}

export interface AccuracyBarsInput {
  bars: readonly AccuracyBar[];
  /** The error bars' colour: the theme's text colour (grey on a dark panel would vanish). */
  whisker: string;
}

/** What the custom series' renderItem reads of ECharts' API: a datum's values and their pixels. */
interface RenderApi {
  value(dimension: number): number;
  coord(point: number[]): number[];
}

const STEP = 0.05;

export function accuracyBarsOption({ bars, whisker }: AccuracyBarsInput) {
  const half = (b: AccuracyBar) => (Number.isFinite(b.ci95) ? b.ci95 : 0);
  const lows = bars.map((b) => Math.max(0, b.mean - half(b)));
  const highs = bars.map((b) => Math.min(1, b.mean + half(b)));
  const yMin = bars.length ? Math.max(0, Math.floor((Math.min(...lows) - STEP / 2) / STEP) * STEP) : 0;
  const yMax = bars.length ? Math.min(1, Math.ceil((Math.max(...highs) + STEP / 2) / STEP) * STEP) : 1;
  const meanBars = {
    type: 'bar',
    name: 'meta-test accuracy',
    data: bars.map((b) => ({ value: b.mean, itemStyle: { color: b.colour } })),
  };
  // Error bars: ±95% CI drawn as an I-beam per bar, clipped to 0..100%.
  const errorBars = {
    type: 'custom',
    name: '95% CI',
    tooltip: { show: false },
    data: bars.map((_, i) => [i, lows[i]!, highs[i]!]),
    renderItem: (_: unknown, api: RenderApi) => {
      const lo = api.coord([api.value(0), api.value(1)]);
      const hi = api.coord([api.value(0), api.value(2)]);
      const w = 8;
      const style = { stroke: whisker, lineWidth: 1.5 };
      return {
        type: 'group',
        children: [
          { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style },
          { type: 'line', shape: { x1: lo[0]! - w, y1: lo[1], x2: lo[0]! + w, y2: lo[1] }, style },
          { type: 'line', shape: { x1: hi[0]! - w, y1: hi[1], x2: hi[0]! + w, y2: hi[1] }, style },
        ],
      };
    },
    z: 10,
  };
  return {
    animation: false,
    grid: { left: 56, right: 16, top: 24, bottom: 64 },
    tooltip: {
      valueFormatter: (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '–'),
    },
    xAxis: {
      type: 'category',
      data: bars.map((b) => `${b.label} (n=${b.seeds})`),
      axisLabel: { interval: 0, rotate: bars.length > 4 ? 20 : 0 },
    },
    yAxis: {
      type: 'value',
      name: 'meta-test accuracy',
      nameLocation: 'middle',
      nameGap: 42,
      min: yMin,
      max: yMax,
      axisLabel: { formatter: (v: number) => `${Math.round(100 * v)}%` },
    },
    series: [meanBars, errorBars] as const,
  };
}
