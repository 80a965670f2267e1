/**
 * The projection's chart: one series per class holding exactly that class's points (each with its
 * index in the result, for the tooltip's image), colours and symbols that keep 20 classes apart,
 * and the panel's figure in words.
 */
import { describe, expect, it } from 'vitest';
import type { ProjectionResult } from '../../src-main/contract/projection';
import {
  axisNames,
  classColour,
  classSymbol,
  describeSeparation,
  projectionOption,
} from '../../src-renderer/src/charts/projection';

const result = (method: ProjectionResult['method']): ProjectionResult => ({
  step: 40,
  method,
  embedding: "conv4's 64-d features",
  dimensions: 64,
  dataset: 'glyphs',
  split: 'test',
  classNames: ['a', 'b', 'c'],
  points: [
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 7],
    [8, 9],
  ],
  classOf: [2, 0, 2, 1, 0],
  imageIndex: [50, 10, 51, 30, 11],
  knn: { k: 5, accuracy: 0.8333 },
  chance: 0.4,
  explainedVariance: 0.5,
  durationMs: 12,
});

describe('the projection chart', () => {
  it('gives each class a series of its own points, carrying their positions in the result', () => {
    const option = projectionOption(result('pca'), (i) => `point ${i}`) as {
      series: Array<{ name: string; data: number[][] }>;
      tooltip: { formatter: (p: { value: number[] }) => string };
    };
    expect(option.series.map((s) => s.name)).toEqual(['a', 'b', 'c']);
    expect(option.series.map((s) => s.data)).toEqual([
      [
        [2, 3, 1],
        [8, 9, 4],
      ],
      [[6, 7, 3]],
      [
        [0, 1, 0],
        [4, 5, 2],
      ],
    ]);
    expect(option.tooltip.formatter({ value: [4, 5, 2] })).toBe('point 2');
  });

  it('keeps 20 classes apart by colour and symbol together', () => {
    const looks = Array.from({ length: 20 }, (_, c) => `${classColour(c)} ${classSymbol(c)}`);
    expect(new Set(looks).size).toBe(20);
  });

  it('names the axes by method and states the figure with chance beside it', () => {
    expect(axisNames(result('pca'))).toEqual(['PC 1', 'PC 2']);
    expect(axisNames(result('umap'))).toEqual(['UMAP 1', 'UMAP 2']);
    expect(describeSeparation(result('pca'))).toBe('5-NN accuracy 83.3% (chance 40.0%)');
  });
});
