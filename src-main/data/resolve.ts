/**
 * Turn a dataset reference from a config (`data`) into a dataset. Until dataset import lands,
 * the only source is the generated one: "synthetic" or "synthetic:classes=60,size=20,images=20,seed=1".
 */
import { ConfigError } from '../contract/config';
import type { ClassIndexedDataset } from '../engine/dataset';
import { SYNTHETIC_DEFAULTS, type SyntheticOptions, generateSyntheticDataset } from './synthetic';

const SYNTHETIC_KEYS: Record<string, keyof SyntheticOptions> = {
  classes: 'classes',
  images: 'imagesPerClass',
  size: 'size',
  seed: 'seed',
  noise: 'noise',
};

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
  if ((options.size ?? SYNTHETIC_DEFAULTS.size) < 4) {
    throw new ConfigError([{ field: 'data', message: 'synthetic images must be at least 4 pixels wide' }]);
  }
  return options;
}

export function resolveDataset(ref: string): ClassIndexedDataset {
  if (ref === 'synthetic' || ref.startsWith('synthetic:'))
    return generateSyntheticDataset(parseSyntheticSpec(ref));
  throw new ConfigError([
    {
      field: 'data',
      message: `unknown dataset '${ref}': use 'synthetic' or 'synthetic:classes=N,images=N,size=N,seed=N' (dataset import is not available yet)`,
    },
  ]);
}
