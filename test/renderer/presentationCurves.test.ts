/**
 * A MANN's accuracy by presentation on the compare page: each group's seeds averaged at each
 * presentation (up to the shortest), groups without any left out, and no chart without a curve.
 */
import { describe, expect, it } from 'vitest';
import {
  presentationCurves,
  presentationCurvesOption,
} from '../../src-renderer/src/charts/presentationCurves';

const test = (...means: number[]) => means.map((mean) => ({ mean }));

describe('accuracy by presentation', () => {
  it('averages the seeds at each presentation, up to the shortest, and skips groups without any', () => {
    const curves = presentationCurves([
      { label: 'MAML', colour: '#111', tests: [] },
      { label: 'MANN', colour: '#222', tests: [test(0.2, 0.6, 0.9), test(0.4, 0.8)] },
    ]);
    expect(curves).toEqual([
      { label: 'MANN', colour: '#222', values: [expect.closeTo(0.3, 12), expect.closeTo(0.7, 12)] },
    ]);
  });

  it('draws one line per curve from presentation 1, in its colour', () => {
    const option = presentationCurvesOption([
      { label: 'MANN', colour: '#222', values: [0.3, 0.7] },
      { label: 'MANN · shuffled', colour: '#333', values: [0.2] },
    ])!;
    expect(option.legend.data).toEqual(['MANN', 'MANN · shuffled']);
    expect(option.series).toEqual([
      {
        name: 'MANN',
        type: 'line',
        data: [
          [1, 0.3],
          [2, 0.7],
        ],
        color: '#222',
      },
      { name: 'MANN · shuffled', type: 'line', data: [[1, 0.2]], color: '#333' },
    ]);
    expect(option.xAxis).toMatchObject({ name: 'presentation', min: 1, minInterval: 1 });
    expect(option.yAxis.axisLabel.formatter(0.7)).toBe('70%');
    expect(option.tooltip.valueFormatter(0.3)).toBe('30.00%');
  });

  it('no curve, no chart', () => {
    expect(presentationCurvesOption([])).toBeNull();
    expect(
      presentationCurvesOption(presentationCurves([{ label: 'MAML', colour: '#111', tests: [] }])),
    ).toBeNull();
  });
});
