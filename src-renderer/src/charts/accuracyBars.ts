/**
 * The compare page's meta-test accuracies: one bar per group with its ±95% CI as an I-beam, both
 * clipped to 0..100%. The accuracy axis starts at 0, so a bar's length is its accuracy (one
 * starting at 45% made a 50% bar look half as good as a 55% one), and ends on a tick of 10% (20%
 * beyond 50%) above every error bar. With many groups or long names the bars lie horizontal, each
 * name wrapped on the left of its bar, not tilted and crowded under a sliver of a chart.
 */

export interface AccuracyBar {
  label: string;
  /** Mean meta-test accuracy (a fraction) and the half-width of its 95% CI (NaN: none). */
  mean: number;
  ci95: number;
  /** Seeds behind the mean, shown with the bar's name as n. */
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

/** Either axis of the chart: the groups (category) or their accuracy (value). */
export interface BarAxis {
  type: 'category' | 'value';
  data?: string[];
  inverse?: boolean;
  name?: string;
  nameLocation?: 'middle';
  nameGap?: number;
  min?: number;
  max?: number;
  /** The accuracy axis's ticks, so that its end is one. */
  interval?: number;
  axisLabel: {
    interval?: number;
    width?: number;
    lineHeight?: number;
    overflow?: 'truncate' | 'break';
    formatter?: (v: number) => string;
  };
}

/** Room above the highest error bar for its cap, before rounding up to a tick. */
const ROOM = 0.025;
/** Up to this many bars with names this short stand upright; beyond, the bars lie horizontal. */
const UPRIGHT_BARS = 4;
const UPRIGHT_NAME = 24;
/** Room for the names left of horizontal bars, in pixels (wrapped to it). */
export const NAME_WIDTH = 210;
/** Each horizontal bar's row, in pixels: room for a name on three lines. */
const ROW = 46;

/** Whether the bars lie horizontal (many groups or long names). */
export function horizontalBars(bars: readonly AccuracyBar[]): boolean {
  return bars.length > UPRIGHT_BARS || bars.some((b) => b.label.length > UPRIGHT_NAME);
}

/** The chart's height in pixels: horizontal bars take a row each. */
export function accuracyBarsHeight(bars: readonly AccuracyBar[]): number {
  return horizontalBars(bars) ? Math.max(320, 70 + ROW * bars.length) : 320;
}

export function accuracyBarsOption({ bars, whisker }: AccuracyBarsInput) {
  const horizontal = horizontalBars(bars);
  const half = (b: AccuracyBar) => (Number.isFinite(b.ci95) ? b.ci95 : 0);
  const lows = bars.map((b) => Math.max(0, b.mean - half(b)));
  const highs = bars.map((b) => Math.min(1, b.mean + half(b)));
  // In tenths (whole numbers, no float drift): up to 50% on ticks of 10%, beyond on ticks of 20%.
  let tenths = bars.length ? Math.ceil(Number(((Math.max(...highs) + ROOM) * 10).toFixed(9))) : 10;
  if (tenths > 5) tenths = Math.ceil(tenths / 2) * 2;
  tenths = Math.min(10, Math.max(1, tenths));
  const top = tenths / 10;
  const meanBars = {
    type: 'bar',
    name: 'meta-test accuracy',
    data: bars.map((b) => ({ value: b.mean, itemStyle: { color: b.colour } })),
  };
  // A point of the chart from (bar, accuracy), whichever way the bars lie.
  const at = (api: RenderApi, bar: number, accuracy: number) =>
    api.coord(horizontal ? [accuracy, bar] : [bar, accuracy]);
  // Error bars: ±95% CI drawn as an I-beam per bar, clipped to 0..100%.
  const errorBars = {
    type: 'custom',
    name: '95% CI',
    tooltip: { show: false },
    data: bars.map((_, i) => [i, lows[i]!, highs[i]!]),
    renderItem: (_: unknown, api: RenderApi) => {
      const lo = at(api, api.value(0), api.value(1));
      const hi = at(api, api.value(0), api.value(2));
      const w = 8;
      const style = { stroke: whisker, lineWidth: 1.5 };
      const cap = (p: number[]) =>
        horizontal
          ? { x1: p[0], y1: p[1]! - w, x2: p[0], y2: p[1]! + w }
          : { x1: p[0]! - w, y1: p[1], x2: p[0]! + w, y2: p[1] };
      return {
        type: 'group',
        children: [
          { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style },
          { type: 'line', shape: cap(lo), style },
          { type: 'line', shape: cap(hi), style },
        ],
      };
    },
    z: 10,
  };
  const groupsAxis: BarAxis = {
    type: 'category',
    data: bars.map((b) => `${b.label} (n=${b.seeds})`),
    // Horizontal: the first group on top, as in the tables.
    ...(horizontal ? { inverse: true } : {}),
    axisLabel: horizontal
      ? { interval: 0, width: NAME_WIDTH - 14, overflow: 'break', lineHeight: 14 }
      : { interval: 0, width: 150, overflow: 'break' },
  };
  const accuracyAxis: BarAxis = {
    type: 'value',
    name: 'meta-test accuracy',
    nameLocation: 'middle',
    nameGap: horizontal ? 26 : 42,
    min: 0,
    max: top,
    interval: tenths > 5 ? 0.2 : 0.1,
    axisLabel: { formatter: (v: number) => `${Math.round(100 * v)}%` },
  };
  return {
    animation: false,
    grid: horizontal
      ? { left: NAME_WIDTH, right: 24, top: 16, bottom: 44 }
      : { left: 56, right: 16, top: 24, bottom: 64 },
    tooltip: {
      valueFormatter: (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '–'),
    },
    xAxis: horizontal ? accuracyAxis : groupsAxis,
    yAxis: horizontal ? groupsAxis : accuracyAxis,
    series: [meanBars, errorBars] as const,
  };
}
