/**
 * A run's curves: a smoothed series over its raw values, faint, in the same colour; a series
 * marked not to smooth (or smoothing 0) drawn once, raw; the axes named as asked.
 */
import { describe, expect, it } from 'vitest';
import { runCurvesOption } from '../../src-renderer/src/charts/runCurves';
import { debiasedEma } from '../../src-renderer/src/charts/series';
import { PALETTE } from '../../src-renderer/src/charts/theme';

const steps = [1, 2, 3];
const loss = { name: 'train loss', steps, values: [3, 1, 2] };
const val = { name: 'validation accuracy', steps, values: [0.2, 0.5, 0.4], smooth: false };

describe("a run's curves", () => {
  it('draws a smoothed series over its raw values in one colour; an unsmoothed one once', () => {
    const option = runCurvesOption({
      series: [loss, val],
      smoothing: 0.6,
      xName: 'iteration',
      yName: 'loss',
    });
    expect(option.legend.data).toEqual(['train loss', 'validation accuracy']);
    expect(option.series.map((s) => [s.name, s.color])).toEqual([
      ['train loss (raw)', PALETTE[0]],
      ['train loss', PALETTE[0]],
      ['validation accuracy', PALETTE[1]],
    ]);
    const [raw, smoothed, unsmoothed] = option.series;
    expect(raw!.data).toEqual([
      [1, 3],
      [2, 1],
      [3, 2],
    ]);
    expect(raw).toMatchObject({ silent: true, lineStyle: { opacity: 0.25, width: 1 } });
    expect(smoothed!.data).toEqual(steps.map((s, i) => [s, debiasedEma(loss.values, 0.6)[i]]));
    expect(smoothed!.data[1]![1]).not.toBe(1);
    expect(unsmoothed!.data).toEqual([
      [1, 0.2],
      [2, 0.5],
      [3, 0.4],
    ]);
  });

  it('smoothing 0: every series once, raw', () => {
    const option = runCurvesOption({ series: [loss], smoothing: 0, xName: 'iteration', yName: 'loss' });
    expect(option.series.map((s) => s.name)).toEqual(['train loss']);
    expect(option.series[0]!.data).toEqual([
      [1, 3],
      [2, 1],
      [3, 2],
    ]);
  });

  it('names the axes and formats percentages or four figures', () => {
    const accuracy = runCurvesOption({
      series: [val],
      smoothing: 0.6,
      percent: true,
      xName: 'presentation',
      yName: 'accuracy',
    });
    expect(accuracy.xAxis.name).toBe('presentation');
    expect(accuracy.yAxis.name).toBe('accuracy');
    expect(accuracy.tooltip.valueFormatter(0.5)).toBe('50.00%');
    expect(accuracy.yAxis.axisLabel.formatter(0.5)).toBe('50%');
    const plain = runCurvesOption({ series: [loss], smoothing: 0, xName: 'iteration', yName: undefined });
    expect(plain.tooltip.valueFormatter(2.345678)).toBe('2.346');
    expect(plain.tooltip.valueFormatter(Number.POSITIVE_INFINITY)).toBe('–');
    expect(plain.yAxis.axisLabel.formatter(0.5)).toBe('0.5');
  });

  it('no series, no lines', () => {
    const option = runCurvesOption({ series: [], smoothing: 0.6, xName: 'iteration', yName: 'loss' });
    expect(option.series).toEqual([]);
    expect(option.legend.data).toEqual([]);
  });
});
