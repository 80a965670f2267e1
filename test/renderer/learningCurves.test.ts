/**
 * The compare page's learning curves: per group a lower bound, the band's width stacked on it and
 * the mean, so that the filled area runs from mean − CI to mean + CI; one legend entry per group.
 */
import { describe, expect, it } from 'vitest';
import { t95 } from '../../src-main/contract/results';
import { groupBands } from '../../src-renderer/src/charts/bands';
import {
  X_AXES,
  learningCurvesOption,
  learningCurvesTitle,
} from '../../src-renderer/src/charts/learningCurves';

const steps = [10, 20];
const runs = (...values: number[][]) => values.map((v) => ({ steps, values: v }));
const bands = groupBands(
  [
    { label: 'MAML', runs: runs([0.4, 0.6], [0.5, 0.7], [0.6, 0.8]) },
    { label: 'Meta-SGD', runs: runs([0.3, 0.35]) },
  ],
  0,
  [0, 1],
);
const option = learningCurvesOption({
  bands,
  colours: ['#111111', '#222222'],
  yName: 'validation accuracy',
  percent: true,
});

describe('learning curves of groups of seeds', () => {
  it('draws three series per group, only the means in the legend', () => {
    expect(option.series.map((s) => s.name)).toEqual([
      'MAML lower',
      'MAML 95% CI',
      'MAML',
      'Meta-SGD lower',
      'Meta-SGD 95% CI',
      'Meta-SGD',
    ]);
    expect(option.legend.data).toEqual(['MAML', 'Meta-SGD']);
    // Each group's bound and width share a stack of their own; the mean is not stacked.
    expect(option.series.map((s) => ('stack' in s ? s.stack : undefined))).toEqual([
      'band0',
      'band0',
      undefined,
      'band1',
      'band1',
      undefined,
    ]);
  });

  it('fills from mean − CI to mean + CI: the lower bound, then the width on top of it', () => {
    // Step 10: 0.4, 0.5, 0.6 → mean 0.5, s = 0.1, CI ± t(2) · 0.1 / √3.
    const ci = (t95(2) * 0.1) / Math.sqrt(3);
    const [lower, width, mean] = option.series as Array<{ data: number[][] }>;
    expect(lower!.data[0]![0]).toBe(10);
    expect(lower!.data[0]![1]).toBeCloseTo(0.5 - ci, 12);
    expect(width!.data[0]![1]).toBeCloseTo(2 * ci, 12);
    expect(lower!.data[0]![1]! + width!.data[0]![1]!).toBeCloseTo(0.5 + ci, 12);
    expect(mean!.data).toEqual([
      [10, expect.closeTo(0.5, 12)],
      [20, expect.closeTo(0.7, 12)],
    ]);
    // One seed: its band is its mean, drawn with no fill.
    const [oneLower, oneWidth] = option.series.slice(3) as Array<{ data: number[][] }>;
    expect(oneLower!.data).toEqual([
      [10, 0.3],
      [20, 0.35],
    ]);
    expect(oneWidth!.data).toEqual([
      [10, 0],
      [20, 0],
    ]);
  });

  it('colours each band as its mean, and shades only the groups with an interval', () => {
    const areas = option.series.map((s) => ('areaStyle' in s ? s.areaStyle : undefined));
    expect(areas[1]).toEqual({ opacity: 0.2, color: '#111111' });
    expect(areas[4]).toEqual({ opacity: 0, color: '#222222' });
    expect(option.series.map((s) => ('color' in s ? s.color : undefined))).toEqual([
      undefined,
      undefined,
      '#111111',
      undefined,
      undefined,
      '#222222',
    ]);
  });

  it('names the axes and formats an accuracy in percent, anything else to four figures', () => {
    expect(option.xAxis.name).toBe('iteration');
    expect(option.yAxis.name).toBe('validation accuracy');
    expect(option.tooltip.valueFormatter(0.5)).toBe('50.00%');
    expect(option.tooltip.valueFormatter(Number.NaN)).toBe('–');
    expect(option.yAxis.axisLabel.formatter(0.25)).toBe('25%');
    const loss = learningCurvesOption({ bands, colours: [], yName: 'training loss', percent: false });
    expect(loss.tooltip.valueFormatter(1.234567)).toBe('1.235');
    expect(loss.yAxis.axisLabel.formatter(0.25)).toBe('0.25');
  });

  it('a group without points has empty series; no group, no series', () => {
    const empty = groupBands([{ label: 'none yet', runs: [] }], 0.6);
    const option = learningCurvesOption({ bands: empty, colours: ['#333333'], yName: 'x', percent: false });
    expect(option.series.map((s) => [s.name, s.data])).toEqual([
      ['none yet lower', []],
      ['none yet 95% CI', []],
      ['none yet', []],
    ]);
    const nothing = learningCurvesOption({ bands: [], colours: [], yName: 'x', percent: false });
    expect(nothing.series).toEqual([]);
    expect(nothing.legend.data).toEqual([]);
  });

  it('puts the legend under the plot on one scrolling row, the groups in full in its tooltip', () => {
    const described = learningCurvesOption({
      bands,
      colours: ['#111111', '#222222'],
      yName: 'validation accuracy',
      percent: true,
      descriptions: { MAML: 'Learner: MAML; Iterations: 150' },
    });
    expect(described.legend).toMatchObject({ type: 'scroll', bottom: 0 });
    expect(described.legend).not.toHaveProperty('top');
    // The plot leaves room for the legend and the x axis's name under it.
    expect(described.grid.bottom).toBeGreaterThanOrEqual(60);
    expect(described.legend.tooltip.formatter({ name: 'MAML' })).toBe('Learner: MAML; Iterations: 150');
    expect(described.legend.tooltip.formatter({ name: 'Meta-SGD' })).toBe('Meta-SGD');
  });

  it('a title that says what is drawn and what is shaded, standing alone in an exported file', () => {
    // Three seeds (a CI) and one (no band): mean of seeds, shaded the CI; nothing "as below".
    const title = learningCurvesTitle('validation accuracy', bands, true);
    expect(title).toBe('validation accuracy (mean of seeds; shaded: 95% CI across seeds)');
    expect(title).not.toMatch(/below|above/);
    const two = groupBands([{ label: 'A', runs: runs([0.1, 0.2], [0.2, 0.3]) }, ...[]], 0, [0, 1]);
    expect(learningCurvesTitle('loss', [...bands, ...two], true)).toBe(
      'loss (mean of seeds; shaded: 95% CI across seeds (3+ seeds) or range of two seeds)',
    );
    // Seeds drawn one by one: no "mean of seeds", and no band.
    const single = groupBands(
      runs([0.4, 0.6], [0.5, 0.7]).map((r, i) => ({ label: `MAML · seed ${i}`, runs: [r] })),
      0,
      [0, 1],
    );
    expect(learningCurvesTitle('validation accuracy', single, false)).toBe('validation accuracy (each seed)');
  });
});

describe('the learning curves’ axes', () => {
  const band = {
    label: 'MAML',
    runs: 1,
    kind: 'none' as const,
    steps: [10, 20],
    mean: [0.5, 0.25],
    lower: [0.5, 0.25],
    upper: [0.5, 0.25],
  };
  const dataOf = (o: ReturnType<typeof learningCurvesOption>) => o.series.map((s) => s.data);

  it('x as tasks seen or training time, through the caller’s mapping; zoomable', () => {
    const o = learningCurvesOption({
      bands: [band],
      colours: ['#000'],
      yName: 'loss',
      percent: false,
      x: { name: X_AXES.tasks, of: (_b, step) => step * 4 },
    });
    expect(o.xAxis.name).toBe('tasks seen');
    expect(dataOf(o)[2]).toEqual([
      [40, 0.5],
      [80, 0.25],
    ]);
    expect(o.dataZoom.map((z) => z.type)).toEqual(['inside', 'slider']);
  });

  it('a log y axis leaves out values it cannot place', () => {
    const o = learningCurvesOption({
      bands: [{ ...band, mean: [0.5, 0], lower: [0.5, 0], upper: [0.5, 0] }],
      colours: ['#000'],
      yName: 'loss',
      percent: false,
      logY: true,
    });
    expect(o.yAxis.type).toBe('log');
    expect(dataOf(o)[2]).toEqual([
      [10, 0.5],
      [20, null],
    ]);
  });
});
