/**
 * Turn a dataset reference from a config (`data`) into a dataset:
 *   glyphs                      the embedded default (generated and cached on first use)
 *   synthetic[:classes=60,...]  a small generated dataset, in memory (tests, quick checks)
 *   <name>                      a dataset imported into the data directory
 */
import { ConfigError } from '../contract/config';
import type { ClassIndexedDataset } from '../engine/dataset';
import { type DatasetManifest, listDatasets, loadPackedDataset, readManifest } from './cache';
import { GLYPHS_ID, ensureGlyphs } from './embedded';
import { SYNTHETIC_DEFAULTS, type SyntheticOptions, generateSyntheticDataset } from './synthetic';

const SYNTHETIC_KEYS: Record<string, keyof SyntheticOptions> = {
  classes: 'classes',
  images: 'imagesPerClass',
  size: 'size',
  seed: 'seed',
  noise: 'noise',
};

/** The pixels a generated dataset may take (one byte each). */
const MAX_SYNTHETIC_BYTES = 2 ** 30;

export function parseSyntheticSpec(spec: string): Partial<SyntheticOptions> {
  const [, params = ''] = spec.split(/:(.*)/s);
  const options: Partial<SyntheticOptions> = {};
  for (const part of params.split(',').filter(Boolean)) {
    const [key = '', value = ''] = part.split('=').map((s) => s.trim());
    const field = SYNTHETIC_KEYS[key];
    const n = Number(value);
    if (!field) {
      throw new ConfigError([
        {
          field: 'data',
          message: `unknown synthetic option '${key}' (known: ${Object.keys(SYNTHETIC_KEYS).join(', ')})`,
        },
      ]);
    }
    if (
      value === '' ||
      !Number.isFinite(n) ||
      (field !== 'noise' && (!Number.isInteger(n) || n < (field === 'seed' ? 0 : 1)))
    ) {
      throw new ConfigError([
        { field: 'data', message: `synthetic option ${key}=${value} is not a valid value` },
      ]);
    }
    (options as Record<string, number>)[field] = n;
  }
  const size = options.size ?? SYNTHETIC_DEFAULTS.size;
  if (size < 4) {
    throw new ConfigError([{ field: 'data', message: 'synthetic images must be at least 4 pixels wide' }]);
  }
  // Refused up front with its size, not left to fail as "Invalid typed array length" or the OOM killer.
  const bytes =
    (options.classes ?? SYNTHETIC_DEFAULTS.classes) *
    (options.imagesPerClass ?? SYNTHETIC_DEFAULTS.imagesPerClass) *
    size *
    size;
  if (bytes > MAX_SYNTHETIC_BYTES) {
    throw new ConfigError([
      {
        field: 'data',
        message: `${spec} would take ${(bytes / 2 ** 30).toFixed(1)} GiB of pixels; a synthetic dataset may take at most ${MAX_SYNTHETIC_BYTES / 2 ** 30} GiB`,
      },
    ]);
  }
  return options;
}

export async function resolveDataset(ref: string, dataDir: string): Promise<ClassIndexedDataset> {
  if (ref === 'synthetic' || ref.startsWith('synthetic:'))
    return generateSyntheticDataset(parseSyntheticSpec(ref));
  if (ref === GLYPHS_ID) await ensureGlyphs(dataDir);
  const known = await listDatasets(dataDir);
  if (!known.some((m) => m.id === ref)) {
    const names = ['glyphs', 'synthetic', ...known.map((m) => m.id).filter((id) => !id.startsWith('glyphs'))];
    throw new ConfigError([
      {
        field: 'data',
        message: `unknown dataset '${ref}' in ${dataDir}: use one of ${names.join(', ')}, or import it with 'deml data import'`,
      },
    ]);
  }
  return (await loadPackedDataset(dataDir, ref)).dataset;
}

/** The manifest of a `data` reference: an imported or embedded dataset's; null for generated synthetic data. */
export async function manifestOfReference(dataDir: string, ref: string): Promise<DatasetManifest | null> {
  if (ref === 'synthetic' || ref.startsWith('synthetic:')) return null;
  return readManifest(dataDir, ref);
}
