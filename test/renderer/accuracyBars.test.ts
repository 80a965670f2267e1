/**
 * The compare page's meta-test bars: one per group at its mean, an I-beam from mean − CI to
 * mean + CI clipped to 0..100%, and an accuracy axis from 0 (a bar's length is its accuracy) to a
 * 5% step above every error bar; many groups or long names lay the bars horizontal.
 */
import { describe, expect, it } from 'vitest';
import {
  type AccuracyBar,
  accuracyBarsHeight,
  accuracyBarsOption,
} from '../../src-renderer/src/charts/accuracyBars';

const bar = (label: string, mean: number, ci95: number, seeds = 3): AccuracyBar => ({
  label,
  mean,
  ci95,
  seeds,
  colour: `#${label}`,
});

describe('meta-test accuracy bars', () => {
  it('one bar per group at its mean, in its colour, named with its seeds', () => {
    const option = accuracyBarsOption({
      bars: [bar('aaa', 0.6, 0.05), bar('bbb', 0.7, Number.NaN, 1)],
      whisker: '#000',
    });
    expect(option.xAxis.data).toEqual(['aaa (n=3)', 'bbb (n=1)']);
    expect(option.xAxis.axisLabel).toMatchObject({ interval: 0, overflow: 'break' });
    expect(option.series[0].data).toEqual([
      { value: 0.6, itemStyle: { color: '#aaa' } },
      { value: 0.7, itemStyle: { color: '#bbb' } },
    ]);
    expect(option.yAxis.name).toBe('meta-test accuracy');
    expect(option.yAxis.axisLabel.formatter!(0.55)).toBe('55%');
    expect(option.tooltip.valueFormatter(0.6)).toBe('60.00%');
    expect(option.tooltip.valueFormatter(Number.NaN)).toBe('–');
  });

  it('error bars span mean ± CI (none without a CI); the axis starts at 0 and ends on a tick above them', () => {
    const option = accuracyBarsOption({
      bars: [bar('aaa', 0.6, 0.05), bar('bbb', 0.7, Number.NaN, 1)],
      whisker: '#000',
    });
    const [a, b] = option.series[1].data;
    expect(a![0]).toBe(0);
    expect(a![1]).toBeCloseTo(0.55, 12);
    expect(a![2]).toBeCloseTo(0.65, 12);
    expect(b).toEqual([1, 0.7, 0.7]);
    // Bars of 60% and 70% are drawn from 0, not from 50% (which made one look twice the other);
    // the axis ends on the next tick of 20% above the highest end with room for its cap.
    expect(option.yAxis.min).toBe(0);
    expect(option.yAxis.max).toBe(0.8);
    expect(option.yAxis.interval).toBe(0.2);
    // Up to 50%, ticks of 10%: an end at 0.32 (0.345 with the cap's room) ends the axis at 40%.
    const low = accuracyBarsOption({ bars: [bar('ccc', 0.3, 0.02)], whisker: '#000' });
    expect(low.yAxis.min).toBe(0);
    expect(low.yAxis.max).toBe(0.4);
    expect(low.yAxis.interval).toBe(0.1);
    // An end at 0.7 exactly, with room, is not left on the axis's last line: 80%.
    const edge = accuracyBarsOption({ bars: [bar('ddd', 0.6, 0.1)], whisker: '#000' });
    expect(edge.yAxis.max).toBe(0.8);
  });

  it('clips the error bars and the axis to 0..100%', () => {
    const option = accuracyBarsOption({
      bars: [bar('lo', 0.02, 0.1), bar('hi', 0.98, 0.05)],
      whisker: '#000',
    });
    expect(option.series[1].data).toEqual([
      [0, 0, expect.closeTo(0.12, 12)],
      [1, expect.closeTo(0.93, 12), 1],
    ]);
    expect(option.yAxis.min).toBe(0);
    expect(option.yAxis.max).toBe(1);
  });

  it('lays more than four bars, or long names, horizontal: names wrapped, accuracy from 0; no bar, 0..100%', () => {
    const five = ['a', 'b', 'c', 'd', 'e'].map((l) => bar(l, 0.5, 0.01));
    const many = accuracyBarsOption({ bars: five, whisker: '#000' });
    expect(many.yAxis.type).toBe('category');
    expect(many.yAxis.data).toEqual(['a (n=3)', 'b (n=3)', 'c (n=3)', 'd (n=3)', 'e (n=3)']);
    expect(many.yAxis.inverse).toBe(true); // the first group on top
    // Each name wrapped to the room left of its bar.
    expect(many.yAxis.axisLabel).toMatchObject({ interval: 0, overflow: 'break' });
    expect(many.xAxis.type).toBe('value');
    expect(many.xAxis.min).toBe(0);
    expect(many.xAxis.axisLabel.formatter!(0.25)).toBe('25%');
    // A row per bar: a dozen groups make the chart taller than two.
    const dozen = Array.from({ length: 12 }, (_, i) => bar(`g${i}`, 0.5, 0.01));
    expect(accuracyBarsHeight(dozen)).toBeGreaterThan(accuracyBarsHeight(five.slice(0, 2)));
    // Two groups with a long name each: horizontal too, and the name is never rotated.
    const long = accuracyBarsOption({
      bars: [bar('MAML · concept space · Generator training frozen', 0.6, 0.02), bar('MAML', 0.5, 0.02)],
      whisker: '#000',
    });
    expect(long.yAxis.type).toBe('category');
    expect(JSON.stringify(long)).not.toContain('rotate');
    // Its error bars run along x, capped with vertical ticks.
    const api = {
      value: (d: number) => long.series[1].data[0]![d]!,
      coord: ([x, y]: number[]) => [1000 * x!, 100 * y!],
    };
    expect(long.series[1].renderItem(null, api).children.map((c) => c.shape)).toEqual([
      { x1: expect.closeTo(580, 9), y1: 0, x2: expect.closeTo(620, 9), y2: 0 },
      { x1: expect.closeTo(580, 9), y1: -8, x2: expect.closeTo(580, 9), y2: 8 },
      { x1: expect.closeTo(620, 9), y1: -8, x2: expect.closeTo(620, 9), y2: 8 },
    ]);
    const none = accuracyBarsOption({ bars: [], whisker: '#000' });
    expect(none.yAxis.min).toBe(0);
    expect(none.yAxis.max).toBe(1);
    expect(none.xAxis.data).toEqual([]);
    expect(none.series[0].data).toEqual([]);
    expect(none.series[1].data).toEqual([]);
  });

  it('draws each error bar as an I-beam in the whisker colour', () => {
    const option = accuracyBarsOption({ bars: [bar('aaa', 0.6, 0.1)], whisker: '#abcdef' });
    const datum = option.series[1].data[0]!;
    // A fake coordinate system: x in hundreds of pixels, y from 1000 px down.
    const api = {
      value: (d: number) => datum[d]!,
      coord: ([x, y]: number[]) => [100 * x!, 1000 - 1000 * y!],
    };
    const drawn = option.series[1].renderItem(null, api);
    expect(drawn.type).toBe('group');
    expect(drawn.children.map((c) => c.shape)).toEqual([
      { x1: 0, y1: expect.closeTo(500, 9), x2: 0, y2: expect.closeTo(300, 9) },
      { x1: -8, y1: expect.closeTo(500, 9), x2: 8, y2: expect.closeTo(500, 9) },
      { x1: -8, y1: expect.closeTo(300, 9), x2: 8, y2: expect.closeTo(300, 9) },
    ]);
    for (const c of drawn.children) expect(c.style).toEqual({ stroke: '#abcdef', lineWidth: 1.5 });
  });
});
