/**
 * Where the benchmarks find Omniglot's two small background sets (images_background_small1.zip
 * and images_background_small2.zip, from github.com/brendenlake/omniglot): $DEML_OMNIGLOT_DIR,
 * else the folder this project's machines keep them in, beside the checkout.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const OMNIGLOT_DIR =
  process.env.DEML_OMNIGLOT_DIR?.trim() || resolve(import.meta.dirname, '../../../shared/datasets/omniglot');

export const OMNIGLOT_SMALL_SETS = ['images_background_small1.zip', 'images_background_small2.zip'];

/** The two zips in `dir`, or null (with the reason) when they are not there. */
export function omniglotZips(dir = OMNIGLOT_DIR): { zips: string[] } | { missing: string } {
  const zips = OMNIGLOT_SMALL_SETS.map((z) => join(dir, z));
  return zips.every((z) => existsSync(z))
    ? { zips }
    : { missing: `Omniglot's small sets not found in ${dir} (set DEML_OMNIGLOT_DIR)` };
}
