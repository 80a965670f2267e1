/**
 * Chart colours from the page's theme. A canvas cannot inherit CSS, so text, axes, gridlines and
 * tooltips read the theme's variables here; `dark` is passed in so that a chart's option (a
 * computed) is recomputed when the theme changes.
 */
type Option = Record<string, unknown>;

/** Series colours: the nth group or line takes the nth (and round again after the last). */
export const PALETTE = [
  '#2f6fdd',
  '#e0732c',
  '#1f8a4c',
  '#b83ea8',
  '#c62f2f',
  '#6b7a00',
  '#008b8b',
  '#7a5195',
];

const css = (name: string, fallback: string) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

function axisStyle(axis: unknown, colours: { fg: string; muted: string; grid: string }): unknown {
  if (Array.isArray(axis)) return axis.map((a) => axisStyle(a, colours));
  if (!axis || typeof axis !== 'object') return axis;
  const a = axis as Option;
  return {
    ...a,
    nameTextStyle: { color: colours.muted, ...(a.nameTextStyle as Option | undefined) },
    axisLabel: { color: colours.fg, ...(a.axisLabel as Option | undefined) },
    axisLine: { lineStyle: { color: colours.muted } },
    axisTick: { lineStyle: { color: colours.muted } },
    splitLine: { lineStyle: { color: colours.grid } },
  };
}

/** The option with the theme's colours on its text, axes, gridlines, legend and tooltip. */
export function themed<T extends Option>(option: T, dark: boolean): T {
  const colours = {
    fg: css('--fg', dark ? '#e6e8ee' : '#1b1f27'),
    muted: css('--muted', dark ? '#9aa3b5' : '#5b6475'),
    grid: css('--border', dark ? '#333a46' : '#dde1e8'),
  };
  const panel = css('--panel', dark ? '#1d2129' : '#f6f7f9');
  return {
    ...option,
    textStyle: { color: colours.fg },
    // A scrolling legend's arrows and page count too.
    legend: option.legend && {
      ...(option.legend as Option),
      textStyle: { color: colours.fg },
      pageTextStyle: { color: colours.muted },
      pageIconColor: colours.fg,
      pageIconInactiveColor: colours.grid,
    },
    tooltip: option.tooltip && {
      ...(option.tooltip as Option),
      backgroundColor: panel,
      borderColor: colours.grid,
      textStyle: { color: colours.fg },
    },
    xAxis: axisStyle(option.xAxis, colours),
    yAxis: axisStyle(option.yAxis, colours),
    ...(option.parallelAxis ? { parallelAxis: axisStyle(option.parallelAxis, colours) } : {}),
  };
}
