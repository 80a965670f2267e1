/**
 * A 2-D map of embeddings for the projector: PCA (ml-pca: linear, deterministic, its axes carry
 * a share of the variance) or UMAP (umap-js: keeps neighbourhoods, so clusters show even when they
 * do not lie along the main axes), seeded so the same request draws the same map.
 */
import { PCA } from 'ml-pca';
import { UMAP } from 'umap-js';
import type { ProjectionMethod } from '../../contract/projection';
import { Rng } from '../random';

export interface Layout2d {
  points: Array<[number, number]>;
  /** PCA: the share of the variance of the two components; null for UMAP. */
  explainedVariance: number | null;
}

export function layout2d(rows: number[][], method: ProjectionMethod, seed: number): Layout2d {
  if (rows.length < 3) throw new Error(`a 2-D map needs at least 3 points (got ${rows.length})`);
  return method === 'pca' ? pcaLayout(rows) : umapLayout(rows, seed);
}

function pcaLayout(rows: number[][]): Layout2d {
  const pca = new PCA(rows, { center: true });
  const projected = pca.predict(rows, { nComponents: 2 }).to2DArray();
  const variance = pca.getExplainedVariance();
  return {
    // An embedding of one effective dimension has a single component: its second axis is 0.
    points: projected.map((p) => [p[0] ?? 0, p[1] ?? 0]),
    explainedVariance: (variance[0] ?? 0) + (variance[1] ?? 0),
  };
}

function umapLayout(rows: number[][], seed: number): Layout2d {
  const rng = Rng.derive(seed, 'umap');
  // umap-js needs more points than neighbours; 15 is its default for a few hundred points.
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(15, rows.length - 1),
    random: () => rng.next(),
  });
  const embedded = umap.fit(rows);
  return { points: embedded.map((p) => [p[0]!, p[1]!]), explainedVariance: null };
}
