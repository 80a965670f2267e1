/**
 * The embedded default datasets, generated on first use and then loaded from the packed cache:
 *   glyphs           1200 classes × 20 drawings (900 / 120 / 180 meta-train / -val / -test)
 *   glyphs-external  200 classes × 100 drawings, disjoint alphabets (concept discriminator)
 */
import type { ClassIndexedDataset } from '../engine/dataset';
import { type DatasetManifest, loadPackedDataset, readManifest, writePackedDataset } from './cache';
import { GLYPH_DEFAULTS, generateGlyphs } from './glyphs';

export const GLYPHS_ID = 'glyphs';
export const GLYPHS_EXTERNAL_ID = 'glyphs-external';
/** Bump when the generator changes, so caches of older drawings are regenerated. */
export const GLYPHS_GENERATOR_VERSION = 1;

async function isCurrent(dataDir: string, id: string): Promise<boolean> {
  try {
    const m: DatasetManifest = await readManifest(dataDir, id);
    return m.options.generatorVersion === GLYPHS_GENERATOR_VERSION && m.options.seed === GLYPH_DEFAULTS.seed;
  } catch {
    return false;
  }
}

/** Generate and cache the embedded datasets unless a current cache exists. Returns true if it generated. */
export async function ensureGlyphs(dataDir: string): Promise<boolean> {
  if ((await isCurrent(dataDir, GLYPHS_ID)) && (await isCurrent(dataDir, GLYPHS_EXTERNAL_ID))) return false;
  const { episodes, external } = generateGlyphs();
  const options = {
    generatorVersion: GLYPHS_GENERATOR_VERSION,
    seed: GLYPH_DEFAULTS.seed,
    size: GLYPH_DEFAULTS.size,
  };
  await writePackedDataset(dataDir, GLYPHS_ID, episodes, {
    source: 'generated',
    sourceFormat: 'glyphs',
    options,
  });
  await writePackedDataset(dataDir, GLYPHS_EXTERNAL_ID, external, {
    source: 'generated',
    sourceFormat: 'glyphs',
    options,
  });
  return true;
}

export async function loadGlyphs(
  dataDir: string,
  which: 'episodes' | 'external' = 'episodes',
): Promise<ClassIndexedDataset> {
  await ensureGlyphs(dataDir);
  return (await loadPackedDataset(dataDir, which === 'episodes' ? GLYPHS_ID : GLYPHS_EXTERNAL_ID)).dataset;
}
