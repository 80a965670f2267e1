/**
 * Trainers started from the sources (the `deml` command, `deml serve`, the tests) run a bundle of
 * the trainer's entries, not the TypeScript itself: through tsx's loader a trainer took 1.4 s to
 * start (each of some 200 modules resolved and loaded through the loader's thread), bundled 0.6 s.
 * Every run, evaluation, episode view, projection and sweep trial is a trainer process of its own.
 *
 * The bundle is exact by construction: it is kept under a hash of every file in src-main (and of
 * esbuild's version), built by esbuild the first time a trainer starts after any change, and used
 * until the next. Packages stay external, resolved from the project's node_modules as before. The
 * desktop app never comes here: it starts electron-vite's own bundle.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

/** The entries, by the names the bundle gives them (`startWorker` looks for the workers by name). */
const ENTRIES = {
  trainerEntry: 'jobs/trainerEntry.ts',
  taskWorker: 'engine/parallel/taskWorker.ts',
  runWorker: 'engine/parallel/runWorker.ts',
} as const;

/** A bundle not started for this long is removed when another is built. */
const UNUSED_FOR_MS = 7 * 24 * 3600_000;

export interface TrainerBundleOptions {
  /** The source folder (src-main). */
  sources: string;
  /** Where bundles are kept, one folder per hash. */
  cache: string;
}

/** The hash of every file under `sources`, by path and content, and of the bundler's version. */
export function sourceHash(sources: string, bundler: string): string {
  const hash = createHash('sha256').update(`esbuild ${bundler}\0`);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile())
        hash
          .update(`${relative(sources, path)}\0`)
          .update(readFileSync(path))
          .update('\0');
    }
  };
  walk(sources);
  return hash.digest('hex').slice(0, 20);
}

interface Esbuild {
  version: string;
  buildSync(options: Record<string, unknown>): { errors: Array<{ text: string }> };
}

/**
 * The bundled trainer entry for the sources as they are now, built if need be. Throws what went
 * wrong (no esbuild, a read-only cache, a build error); the caller falls back to the sources.
 */
export function trainerBundle({ sources, cache }: TrainerBundleOptions): string {
  // Loaded here, not at the top: only a process started from the sources ever needs it.
  const esbuild = createRequire(import.meta.url)('esbuild') as Esbuild;
  const dir = join(cache, sourceHash(sources, esbuild.version));
  const entry = join(dir, 'trainerEntry.mjs');
  if (existsSync(entry)) {
    const now = new Date();
    try {
      utimesSync(dir, now, now); // in use: not pruned
    } catch {
      // A cache another user owns is still usable read-only.
    }
    return entry;
  }
  mkdirSync(cache, { recursive: true });
  // Built aside and renamed into place: trainers started at once may build it side by side, and
  // none may start from a half-written bundle.
  const building = join(cache, `.building-${process.pid}-${Date.now()}`);
  try {
    esbuild.buildSync({
      entryPoints: Object.fromEntries(
        Object.entries(ENTRIES).map(([name, path]) => [name, join(sources, path)]),
      ),
      outdir: building,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      packages: 'external',
      // .mjs: ES modules by their name, with no package.json here to be taken for the project's.
      outExtension: { '.js': '.mjs' },
      sourcemap: true,
      logLevel: 'silent',
    });
    try {
      renameSync(building, dir);
    } catch (e) {
      // Another process put the same bundle in place first: use that one.
      if (!existsSync(entry)) throw e;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  prune(cache, dir);
  return entry;
}

/** Removes bundles of older sources that nothing has started for a week, and abandoned builds. */
function prune(cache: string, keep: string): void {
  for (const name of readdirSync(cache)) {
    const path = join(cache, name);
    if (path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > (name.startsWith('.building-') ? 3600_000 : UNUSED_FOR_MS))
        rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile, or not ours to remove.
    }
  }
}

/** The project's src-main and its bundle cache, when this module runs from the sources. */
export function sourceLayout(here: string): TrainerBundleOptions | null {
  const sources = dirname(here);
  if (!existsSync(join(sources, ENTRIES.trainerEntry))) return null;
  return { sources, cache: join(dirname(sources), 'node_modules', '.cache', 'deml-trainer') };
}
