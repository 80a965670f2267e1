/**
 * A sweep's charts: the parallel coordinates' axes (a log axis for a log range, categories for
 * choices, validation last) and the trials its brushes keep; the rung chart's stopped trials
 * apart from the continued ones in colour and marker; the curves one line per trial by learner.
 */
import { describe, expect, it } from 'vitest';
import type { SearchDimension } from '../../src-main/contract/sweep';
import { STOP_SYMBOL, rungChartOption } from '../../src-renderer/src/charts/rungChart';
import { sweepCurvesOption } from '../../src-renderer/src/charts/sweepCurves';
import {
  type ParallelLine,
  brushedAxis,
  brushedTrials,
  parallelAxes,
  parallelAxisId,
  sweepParallelOption,
} from '../../src-renderer/src/charts/sweepParallel';

const space: SearchDimension[] = [
  { setting: 'innerLr', kind: 'range', scale: 'log', min: 0.01, max: 1 },
  { setting: 'metaLr', kind: 'range', scale: 'linear', min: 0.001, max: 0.01 },
  { setting: 'innerSteps', kind: 'values', values: [1, 3, 5] },
  { setting: 'model.activation', kind: 'values', values: ['relu', 'tanh'] },
];
const axes = parallelAxes(space, (p) => `label of ${p}`);
const line = (runId: number, values: ParallelLine['values'], group = 'MAML'): ParallelLine => ({
  runId,
  name: `trial ${runId}`,
  group,
  color: group === 'MAML' ? '#111' : '#222',
  values,
});
const lines = [
  line(1, { innerLr: 0.02, metaLr: 0.002, innerSteps: 1, 'model.activation': 'relu', validation: 0.4 }),
  line(2, { innerLr: 0.5, metaLr: 0.008, innerSteps: 5, 'model.activation': 'tanh', validation: 0.7 }),
  line(3, { innerLr: 0.1, metaLr: 0.005, innerSteps: 3, 'model.activation': 'tanh' }, 'Meta-SGD'),
];

describe("a sweep's parallel coordinates", () => {
  it('draws a log axis for a log range, a value axis for a linear one or numbers, categories for words, accuracy last', () => {
    expect(axes.map((a) => [a.key, a.type])).toEqual([
      ['innerLr', 'log'],
      ['metaLr', 'value'],
      ['innerSteps', 'value'],
      ['model.activation', 'category'],
      ['validation', 'value'],
    ]);
    const option = sweepParallelOption({ axes, lines, groups: ['MAML', 'Meta-SGD'] });
    expect(option.parallelAxis.map((a) => [a.id, a.dim, a.type, a.name])).toEqual([
      [parallelAxisId(0), 0, 'log', 'label of innerLr'],
      [parallelAxisId(1), 1, 'value', 'label of metaLr'],
      [parallelAxisId(2), 2, 'value', 'label of innerSteps'],
      [parallelAxisId(3), 3, 'category', 'label of model.activation'],
      [parallelAxisId(4), 4, 'value', 'validation accuracy'],
    ]);
    expect(option.parallelAxis[3]).toMatchObject({ data: ['relu', 'tanh'] });
    // A series per learner, a line per trial; no validation yet: '-', which ECharts leaves out.
    expect(option.series.map((s) => [s.name, s.color, s.data.length])).toEqual([
      ['MAML', '#111', 2],
      ['Meta-SGD', '#222', 1],
    ]);
    expect(option.series[1]!.data[0]).toEqual({ name: 'trial 3', value: [0.1, 0.005, 3, 'tanh', '-'] });
  });

  it('keeps the trials inside every brushed interval; nothing brushed keeps them all', () => {
    expect(brushedTrials(axes, lines, {})).toBeNull();
    expect(brushedTrials(axes, lines, { 0: [] })).toBeNull();
    // A log axis's brush in its data (learning rates), as ECharts reports it.
    expect(brushedTrials(axes, lines, { 0: [[0.05, 1]] })).toEqual(new Set([2, 3]));
    // Two brushes: both must hold.
    expect(brushedTrials(axes, lines, { 0: [[0.05, 1]], 2: [[2, 4]] })).toEqual(new Set([3]));
    // Several intervals on one axis: any of them; reversed ends are the same interval.
    expect(
      brushedTrials(axes, lines, {
        1: [
          [0.0025, 0.001],
          [0.007, 0.009],
        ],
      }),
    ).toEqual(new Set([1, 2]));
    // A category axis counts in its categories' indices (tanh is 1).
    expect(brushedTrials(axes, lines, { 3: [[0.6, 1.4]] })).toEqual(new Set([2, 3]));
    // A trial with no validation yet is outside any brush on accuracy.
    expect(brushedTrials(axes, lines, { 4: [[0, 1]] })).toEqual(new Set([1, 2]));
  });

  it('reads the brushed axis from the event’s axis id', () => {
    expect(brushedAxis(parallelAxisId(3))).toBe(3);
    expect(brushedAxis('series0')).toBeNull();
    expect(brushedAxis(undefined)).toBeNull();
  });
});

describe("a sweep's rung chart", () => {
  it('draws the stopped trials apart from the continued ones, in colour and marker', () => {
    const option = rungChartOption({
      rungs: ['rung 1 · it. 10', 'rung 2 · it. 30'],
      points: [
        { rung: 0, value: 0.5, decision: 'continue', name: 'MAML #1', color: '#111' },
        { rung: 0, value: 0.5, decision: 'stop', name: 'MAML #2', color: '#111' },
        { rung: 0, value: 0.5, decision: 'continue', name: 'MAML #3', color: '#222' },
        { rung: 1, value: 0.6, decision: 'stop', name: 'MAML #1', color: '#111' },
      ],
      stopColor: '#f00',
      continueColor: '#888',
    });
    const [continued, stopped] = option.series;
    expect(continued!.name).toBe('continued');
    expect(continued!.symbol).toBe('circle');
    expect(continued!.data.map((d) => d.itemStyle.color)).toEqual(['#111', '#222']);
    expect(stopped!.name).toBe('stopped');
    expect(stopped!.symbol).toBe(STOP_SYMBOL);
    expect(stopped!.data.map((d) => [d.name, d.itemStyle.color])).toEqual([
      ['MAML #2', '#f00'],
      ['MAML #1', '#f00'],
    ]);
    // Points with the same accuracy at one rung are spread apart, none far from its rung.
    const xs = [...continued!.data, ...stopped!.data].map((d) => d.value[0]);
    expect(new Set(xs.slice(0, 3)).size).toBe(3);
    for (const x of xs) expect(Math.abs(x! - Math.round(x!))).toBeLessThan(0.3);
    expect(option.xAxis.axisLabel.formatter(1)).toBe('rung 2 · it. 30');
    expect(option.xAxis.axisLabel.customValues).toEqual([0, 1]);
  });
});

describe("a sweep's validation curves", () => {
  it('draws one line per trial in its learner’s colour, dashed where it was stopped, the rungs marked', () => {
    const option = sweepCurvesOption({
      curves: [
        {
          id: 'trial-1',
          name: 'MAML #1',
          group: 'MAML',
          color: '#111',
          steps: [10, 20],
          values: [0.3, 0.4],
          stopped: false,
        },
        {
          id: 'trial-2',
          name: 'MAML #2',
          group: 'MAML',
          color: '#111',
          steps: [10],
          values: [0.2],
          stopped: true,
        },
        {
          id: 'trial-3',
          name: 'ProtoNet #1',
          group: 'ProtoNet',
          color: '#222',
          steps: [],
          values: [],
          stopped: false,
        },
      ],
      groups: ['MAML', 'ProtoNet'],
      rungs: [{ iteration: 10, label: 'rung 2' }],
    });
    expect(option.legend.data).toEqual(['MAML', 'ProtoNet']);
    expect(option.series.map((s) => [s.id, s.name, s.color, s.lineStyle.type])).toEqual([
      ['trial-1', 'MAML', '#111', 'solid'],
      ['trial-2', 'MAML', '#111', 'dashed'],
      ['trial-3', 'ProtoNet', '#222', 'solid'],
    ]);
    expect(option.series[0]!.data).toEqual([
      [10, 0.3],
      [20, 0.4],
    ]);
    expect(option.series[0]).toHaveProperty('markLine.data', [{ xAxis: 10 }]);
    expect(option.series[0]!.markLine!.label.formatter({ dataIndex: 0 })).toBe('rung 2');
    expect(option.series[1]).not.toHaveProperty('markLine');
    expect(option.tooltip.formatter({ seriesId: 'trial-2', data: [10, 0.2] })).toBe(
      'MAML #2<br/>iteration 10: 20.00%',
    );
  });
});
