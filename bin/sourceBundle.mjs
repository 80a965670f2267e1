// The workbench run from its sources (the `deml` command, `deml serve`, the tests) runs a bundle
// of them, not the TypeScript itself: through tsx's loader every one of some 200 modules is
// resolved and loaded through the loader's thread, and a trainer took 1.37 s to start (0.63 s
// bundled), a `deml runs` 1.2 s. The desktop app never comes here: it runs electron-vite's bundle.
//
// The bundle is exact by construction: it is kept under a hash of every file in src-main (and of
// esbuild's version), built by esbuild the first time something starts after any change, and used
// until the next. Packages stay external, resolved from the project's node_modules as before.
// Plain JavaScript, so that bin/deml.mjs can use it before any TypeScript loader is registered.
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
  cli: 'cli/main.ts',
  trainerEntry: 'jobs/trainerEntry.ts',
  taskWorker: 'engine/parallel/taskWorker.ts',
  runWorker: 'engine/parallel/runWorker.ts',
};

/** A bundle not started for this long is removed when another is built. */
const UNUSED_FOR_MS = 7 * 24 * 3600_000;

/** The hash of every file under `sources`, by path and content, and of how they are bundled. */
function sourceHash(sources, bundler) {
  const hash = createHash('sha256').update(`esbuild ${bundler}\0`);
  const walk = (dir) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of entries) {
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

/**
 * The folder of the bundle of `sources` as they are now, built if need be; it holds `cli.mjs`,
 * `trainerEntry.mjs`, `taskWorker.mjs` and `runWorker.mjs`. Throws what went wrong (no esbuild,
 * a read-only cache, a build error): the caller runs the sources through tsx instead.
 */
export function sourceBundle({ sources, cache }) {
  // Loaded here, not at the top: only a process started from the sources ever needs it.
  const esbuild = createRequire(import.meta.url)('esbuild');
  // Node's major version in the key too: the bundle is compiled for it (another checkout user's
  // newer Node would otherwise leave syntax an older one cannot read).
  const target = `node${process.versions.node.split('.')[0]}`;
  const dir = join(cache, sourceHash(sources, `${esbuild.version} ${target}`));
  if (existsSync(join(dir, 'cli.mjs'))) {
    const now = new Date();
    try {
      utimesSync(dir, now, now); // in use: not pruned
    } catch {
      // A cache another user owns is still usable read-only.
    }
    return dir;
  }
  mkdirSync(cache, { recursive: true });
  // Built aside and renamed into place: processes started at once may build it side by side, and
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
      target,
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
      if (!existsSync(join(dir, 'cli.mjs'))) throw e;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  prune(cache, dir);
  return dir;
}

/** Removes bundles of older sources that nothing has started for a week, and abandoned builds. */
function prune(cache, keep) {
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

/** The nearest folder at or above `from` holding the workbench's package.json (a checkout or the app). */
export function workbenchRoot(from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'deml-workbench') return dir;
      } catch {
        // Not ours, or unreadable: keep looking up.
      }
    }
    if (dirname(dir) === dir) return null;
  }
}

/**
 * The checkout above `from` (a folder): its src-main and where its bundles are kept; null where
 * there are no sources (the desktop app's bundle).
 */
export function sourceLayout(from) {
  const root = workbenchRoot(from);
  if (root == null) return null;
  const sources = join(root, 'src-main');
  if (!existsSync(join(sources, ENTRIES.cli))) return null;
  return { root, sources, cache: join(root, 'node_modules', '.cache', 'deml') };
}
