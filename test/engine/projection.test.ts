/**
 * The concept projector's engine side: the k-NN figure on vectors whose answer is worked out by
 * hand, the 2-D maps wired to ml-pca and umap-js, and a trained embedding's classes separating far
 * better than chance, with every tensor freed.
 */
import { describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import { listCheckpoints, metaTrain, parseExperimentConfig, selectBackend, tf } from '../../src-main/engine';
import { interleaveByClass } from '../../src-main/engine/projection/embedImages';
import { chanceAccuracy, knnAccuracy } from '../../src-main/engine/projection/knn';
import { layout2d } from '../../src-main/engine/projection/layout2d';
import { projectCheckpoint } from '../../src-main/engine/projection/projectCheckpoint';
import { projectionImages } from '../../src-main/engine/projection/projectionImages';
import { projectionSettings } from '../../src-main/contract/projection';
import { TINY_ENGINE } from '../helpers/configs';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-projection');

describe('the k-NN figure', () => {
  // Six points on a line; the answers below are worked out by hand in the comments.
  const xs = [0, 1, 1.8, 2.5, 10, 10.5];
  const labels = [0, 1, 0, 0, 1, 1];
  const line = Float32Array.from(xs);

  it('counts a point right when its nearest others vote for its class (k = 1, 3)', () => {
    // k = 1: 0→1 (class 1 ✗), 1→1.8 (0 ✗), 1.8→2.5 ✓, 2.5→1.8 ✓, 10→10.5 ✓, 10.5→10 ✓.
    expect(knnAccuracy(line, 1, labels, 1)).toBeCloseTo(4 / 6, 12);
    // k = 3: only 0, 1.8 and 2.5 are voted right; 10 and 10.5 are outvoted by the 0-class.
    expect(knnAccuracy(line, 1, labels, 3)).toBeCloseTo(3 / 6, 12);
  });

  it('breaks a tie for the class of the nearest neighbour among the tied classes', () => {
    // k = 2, every vote 1:1 but 1's (0 and 1.8, both class 0): 0 → 1 ✗, 1 ✗, 1.8 → 2.5 ✓,
    // 2.5 → 1.8 ✓, 10 → 10.5 ✓, 10.5 → 10 ✓.
    expect(knnAccuracy(line, 1, labels, 2)).toBeCloseTo(4 / 6, 12);
  });

  it('reads rows of several dimensions (a constant second coordinate changes nothing)', () => {
    const plane = Float32Array.from(xs.flatMap((x) => [x, 7]));
    expect(knnAccuracy(plane, 2, labels, 3)).toBeCloseTo(3 / 6, 12);
    // Spread along the second axis instead, the classes separate completely.
    const apart = Float32Array.from(xs.flatMap((x, i) => [x, labels[i]! * 100]));
    expect(knnAccuracy(apart, 2, labels, 3)).toBe(1);
    expect(() => knnAccuracy(apart, 3, labels, 3)).toThrow(/not 6 rows of 3/);
  });

  it('chance is the share of the largest class', () => {
    expect(chanceAccuracy([0, 0, 0, 1, 2, 2])).toBeCloseTo(0.5, 12);
    expect(chanceAccuracy([0, 1, 2, 3])).toBeCloseTo(0.25, 12);
  });
});

describe('the 2-D map', () => {
  // 3 classes × 10 points in 6-D, lying in a plane: PCA keeps all of the variance.
  const rows = Array.from({ length: 30 }, (_, i) => {
    const c = Math.floor(i / 10);
    const a = c * 10 + Math.sin(i);
    const b = Math.cos(i * 1.7);
    return [a, b, a + b, a - b, 2 * a, -b];
  });
  const classOf = rows.map((_, i) => Math.floor(i / 10));

  it('PCA keeps pairwise distances of points in a plane and says it explains all the variance', () => {
    const { points, explainedVariance } = layout2d(rows, 'pca', 0);
    expect(explainedVariance).toBeCloseTo(1, 6);
    const dist = (p: number[], q: number[]) => Math.hypot(...p.map((v, i) => v - q[i]!));
    for (const [i, j] of [
      [0, 29],
      [3, 14],
      [7, 8],
    ] as const)
      expect(dist(points[i]!, points[j]!)).toBeCloseTo(dist(rows[i]!, rows[j]!), 4);
  });

  it('UMAP draws the same map from the same seed and keeps the classes apart', () => {
    const a = layout2d(rows, 'umap', 3);
    const b = layout2d(rows, 'umap', 3);
    expect(a.points).toEqual(b.points);
    expect(a.explainedVariance).toBeNull();
    expect(knnAccuracy(Float64Array.from(a.points.flat()), 2, classOf, 5)).toBe(1);
  });
});

describe('a trained embedding', () => {
  it('interleaves the classes in each batch (batch norm sees a mix, as in training)', () => {
    expect(interleaveByClass([0, 0, 0, 1, 1, 2])).toEqual([0, 3, 5, 1, 4, 2]);
  });

  it("separates a run's meta-test classes far better than chance, and frees its tensors", async () => {
    await selectBackend('cpu');
    const dataset = generateSyntheticDataset({ classes: 30, imagesPerClass: 12, size: 12, seed: 4 });
    const config = parseExperimentConfig({
      ...TINY_ENGINE,
      learner: 'protonet',
      iterations: 20,
      checkpointEvery: 20,
    });
    const dir = tempDir();
    await metaTrain({ config, dataset, checkpointDir: dir, skipTest: true });
    const file = (await listCheckpoints(dir)).at(-1)!;
    const settings = projectionSettings({ classes: 6, perClass: 10 });
    const chosen = projectionImages(dataset, config, settings);
    expect(new Set(chosen.classOf).size).toBe(6);
    const before = tf.memory().numTensors;
    const result = await projectCheckpoint({
      checkpointFile: file,
      trainedOn: dataset,
      dataset,
      chosen,
      settings,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.embedding).toMatch(/^conv4's \d+-d features$/);
    expect(result.points).toHaveLength(60);
    expect(result.chance).toBeCloseTo(1 / 6, 12);
    expect(result.knn.accuracy).toBeGreaterThan(3 * result.chance);
    expect(result.explainedVariance).toBeGreaterThan(0);
  }, 60_000);
});
