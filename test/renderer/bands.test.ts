/**
 * Curve bands across seeds: a 95% CI from three seeds, the two runs' range for two (t with one
 * degree of freedom would draw accuracy from −60% to 150%), none for one, always inside the
 * metric's range.
 */
import { describe, expect, it } from 'vitest';
import { t95 } from '../../src-main/contract/results';
import { bandNote, groupBands, metricRange } from '../../src-renderer/src/charts/bands';

const steps = [1, 2, 3];
const runs = (...values: number[][]) => values.map((v) => ({ steps, values: v }));

describe('bands across seeds', () => {
  it('two seeds: their range, never a t(1) interval', () => {
    const [band] = groupBands(
      [{ label: 'MAML', runs: runs([0.2, 0.5, 0.9], [0.8, 0.6, 0.95]) }],
      0,
      metricRange('val/accuracy'),
    );
    expect(band!.kind).toBe('range');
    expect(band!.lower).toEqual([0.2, 0.5, 0.9]);
    expect(band!.upper).toEqual([0.8, 0.6, 0.95]);
    expect(band!.mean[0]).toBeCloseTo(0.5, 12);
  });

  it('three seeds: the 95% CI, clipped to 0..1 for an accuracy and at 0 for a loss', () => {
    const values = [
      [0.1, 0.5, 0.97],
      [0.9, 0.6, 0.99],
      [0.5, 0.7, 1],
    ];
    const [acc] = groupBands([{ label: 'a', runs: runs(...values) }], 0, metricRange('val/accuracy'));
    expect(acc!.kind).toBe('ci');
    // Step 2: mean 0.6, s = 0.1 → ± t(2) · 0.1 / √3, inside the range.
    expect(acc!.upper[1]! - acc!.mean[1]!).toBeCloseTo((t95(2) * 0.1) / Math.sqrt(3), 12);
    // Step 1: mean 0.5, s = 0.4 → ± 0.99 would leave 0..1.
    expect(acc!.lower[0]).toBe(0);
    expect(acc!.upper[0]).toBe(1);
    expect(Math.max(...acc!.upper)).toBeLessThanOrEqual(1);
    const [loss] = groupBands(
      [{ label: 'l', runs: runs([0.1, 1, 2], [2, 1, 2], [0.2, 1, 2]) }],
      0,
      metricRange('train/loss'),
    );
    expect(loss!.lower[0]).toBe(0);
    expect(loss!.upper[0]).toBeGreaterThan(1);
  });

  it('one seed: no band; the note names what is shaded and n per group', () => {
    const bands = groupBands(
      [
        { label: 'MAML', runs: runs([0.5, 0.6, 0.7]) },
        { label: 'Meta-SGD', runs: runs([0.5, 0.6, 0.7], [0.4, 0.6, 0.8]) },
      ],
      0,
      [0, 1],
    );
    expect(bands[0]!.kind).toBe('none');
    expect(bands[0]!.lower).toEqual(bands[0]!.mean);
    expect(bandNote(bands)).toBe(
      'Shaded: the two seeds’ range (two seeds give no meaningful interval); no band for a single seed. n: MAML 1, Meta-SGD 2.',
    );
  });
});
