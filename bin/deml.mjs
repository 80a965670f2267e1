#!/usr/bin/env node
// The `deml` command, run from the TypeScript sources with no build step: from a bundle of them
// that sourceBundle.mjs builds on the first start after any change (a command starts in about
// half the time it takes through tsx's loader), or through tsx where the bundle cannot be built
// or DEML_BUNDLE=0 asks for it.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sourceBundle, sourceLayout } from './sourceBundle.mjs';

// `deml … | head` closes the pipe early: that ends the output, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

/** The bundle's folder, or null to run the sources through tsx. */
function bundle() {
  const layout = sourceLayout(dirname(fileURLToPath(import.meta.url)));
  if (layout == null || process.env.DEML_BUNDLE === '0') return null;
  try {
    return sourceBundle(layout);
  } catch (e) {
    process.stderr.write(
      `deml: running the TypeScript sources, more slowly: their bundle could not be built in ${layout.cache} (${e.message})\n`,
    );
    return null;
  }
}

const dir = bundle();
let main;
if (dir) {
  process.setSourceMapsEnabled(true); // a stack trace names the sources' lines
  ({ main } = await import(pathToFileURL(join(dir, 'cli.mjs')).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src-main/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
