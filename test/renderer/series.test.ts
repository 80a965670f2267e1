/** Chart series: debiased EMA against hand-computed values, LTTB keeps the shape and the ends. */
import { describe, expect, it } from 'vitest';
import { chartSeries, debiasedEma, lttbIndices } from '../../src-renderer/src/charts/series';

describe('debiased EMA', () => {
  it('matches the hand-computed values and does not drag early points to zero', () => {
    // w = 0.5: raw EMA 0.5, 1.25, 1.625; bias corrections 0.5, 0.75, 0.875.
    const s = debiasedEma([1, 2, 2], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(1.25 / 0.75, 12);
    expect(s[2]).toBeCloseTo(1.625 / 0.875, 12);
    expect(debiasedEma([3, 3, 3, 3], 0.99)).toEqual([3, 3, 3, 3].map(() => expect.closeTo(3, 10)));
    expect(debiasedEma([1, 5, 2], 0)).toEqual([1, 5, 2]);
  });

  it('passes gaps through without poisoning later points', () => {
    const s = debiasedEma([1, Number.NaN, 1], 0.9);
    expect(s[1]).toBeNaN();
    expect(s[2]).toBeCloseTo(1, 12);
  });
});

describe('LTTB downsampling', () => {
  it('keeps the first and last point and the extremes of a spiky series', () => {
    const n = 10_000;
    const xs = Array.from({ length: n }, (_, i) => i);
    const ys = xs.map((x) => (x === 4321 ? 100 : x === 7777 ? -100 : Math.sin(x / 500)));
    const kept = lttbIndices(xs, ys, 200);
    expect(kept).toHaveLength(200);
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(n - 1);
    expect(kept).toContain(4321);
    expect(kept).toContain(7777);
    expect([...kept].sort((a, b) => a - b)).toEqual(kept);
  });

  it('leaves short series alone, and smooths the full series before downsampling', () => {
    expect(lttbIndices([1, 2, 3], [1, 2, 3], 100)).toEqual([0, 1, 2]);
    const steps = Array.from({ length: 5000 }, (_, i) => i + 1);
    const values = steps.map((s) => (s % 2 ? 1 : 0));
    const points = chartSeries(steps, values, 0.9, 500);
    expect(points.length).toBe(500);
    // Smoothed first: the alternating 0/1 series settles near 0.5 everywhere after the start.
    for (const [, v] of points.slice(50)) expect(Math.abs(v - 0.5)).toBeLessThan(0.06);
  });
});
