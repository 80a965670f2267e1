/**
 * A projection as an ECharts scatter: one series per class (so the legend names the classes and
 * toggles them), each point carrying its position in the stored result so that the tooltip can
 * show its image. Up to 20 classes must stay apart: 10 colours, and a second symbol for the next 10.
 */
import type { ProjectionResult } from '../../../src-main/contract/projection';

/** Tableau 10: distinct hues that read on light and dark backgrounds. */
const CLASS_COLOURS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
const CLASS_SYMBOLS = ['circle', 'triangle', 'rect', 'diamond'];

export function classColour(c: number): string {
  return CLASS_COLOURS[c % CLASS_COLOURS.length]!;
}

export function classSymbol(c: number): string {
  return CLASS_SYMBOLS[Math.floor(c / CLASS_COLOURS.length) % CLASS_SYMBOLS.length]!;
}

/** "5-NN accuracy 83.3% (chance 6.7%)": the panel's figure of how well the classes separate. */
export function describeSeparation(r: Pick<ProjectionResult, 'knn' | 'chance'>): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return `${r.knn.k}-NN accuracy ${pct(r.knn.accuracy)} (chance ${pct(r.chance)})`;
}

/** The axes' names: principal components, or UMAP's unitless axes. */
export function axisNames(r: Pick<ProjectionResult, 'method'>): [string, string] {
  return r.method === 'pca' ? ['PC 1', 'PC 2'] : ['UMAP 1', 'UMAP 2'];
}

const LEGEND_ROW = 20;

/** Rows the legend takes in a panel: class names such as "alphabet07/character12" fit three a row. */
function legendRows(classes: number): number {
  return Math.ceil(classes / 3);
}

/** The chart's height for a panel: the plot, and the legend's rows below it. */
export function projectionHeight(classes: number): number {
  return 360 + LEGEND_ROW * legendRows(classes);
}

/**
 * The scatter's option. `tooltip(index)` gives the HTML for the point at `index` of the result
 * (its class and image); the caller owns how images are drawn.
 */
export function projectionOption(
  r: ProjectionResult,
  tooltip: (index: number) => string,
): Record<string, unknown> {
  const [xName, yName] = axisNames(r);
  const series = r.classNames.map((name, c) => ({
    name,
    type: 'scatter',
    symbol: classSymbol(c),
    symbolSize: 9,
    itemStyle: { color: classColour(c), opacity: 0.85 },
    emphasis: { focus: 'series' },
    data: r.points.flatMap((p, i) => (r.classOf[i] === c ? [[p[0], p[1], i]] : [])),
  }));
  return {
    animation: false,
    grid: { left: 48, right: 16, top: 16, bottom: 48 + LEGEND_ROW * legendRows(r.classNames.length) },
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 26, scale: true },
    yAxis: { type: 'value', name: yName, nameLocation: 'middle', nameGap: 34, scale: true },
    // Every class named at once (a scrolling legend hid most of them), wrapped over rows below.
    legend: { bottom: 0, itemWidth: 12, itemHeight: 10, itemGap: 8, textStyle: { fontSize: 11 } },
    tooltip: {
      trigger: 'item',
      formatter: (p: { value: [number, number, number] }) => tooltip(p.value[2]),
    },
    series,
  };
}
