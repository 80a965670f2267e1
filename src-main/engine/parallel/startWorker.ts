/**
 * Starts one of the engine's worker threads: `<entry>.js` in the bundle, or the TypeScript source
 * when run from source. Node 20 does not apply a worker's `--import` loader to the worker's own
 * entry, so the source is loaded by a small bootstrap that registers tsx first.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** The worker entries, each beside this file as source and bundled under its own name. */
export type WorkerEntry = 'taskWorker' | 'runWorker';

export function startWorker(entry: WorkerEntry): Worker {
  const here = dirname(fileURLToPath(import.meta.url));
  const source = join(here, `${entry}.ts`);
  if (existsSync(source)) {
    const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const url = JSON.stringify(pathToFileURL(source).href);
    return new Worker(`const { register } = await import(${tsx}); register(); await import(${url});`, {
      eval: true,
    });
  }
  // electron-vite puts entries in out/main and shared code either there or in a chunks folder;
  // the bundle of the sources the CLI and its trainers run (bin/sourceBundle.mjs) names its
  // ES modules .mjs.
  for (const dir of [here, join(here, '..')]) {
    for (const bundled of [join(dir, `${entry}.js`), join(dir, `${entry}.mjs`)])
      if (existsSync(bundled)) return new Worker(bundled);
  }
  throw new Error(`the ${entry} entry was not found beside ${here}`);
}
