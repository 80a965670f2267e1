/**
 * The checkout the `deml` command runs from, found from this module's place whether it runs as
 * TypeScript (src-main/cli) or from a bundle of the sources (bin/sourceBundle.mjs), which lives
 * elsewhere: paths relative to a module are not the checkout's there.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceLayout } from '../../bin/sourceBundle.mjs';

export function checkoutRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const layout = sourceLayout(here);
  if (layout == null)
    throw new Error(`no checkout of the workbench (its package.json and src-main) above ${here}`);
  return layout.root;
}
