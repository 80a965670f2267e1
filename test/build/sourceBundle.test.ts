/**
 * The bundle the `deml` command and its trainers run from the sources: built once per state of
 * the sources, reused while they are unchanged, rebuilt (and running the new code) after any
 * change, stale bundles pruned, a build error reported with its file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainerCommand } from '../../src-main/jobs/launcher';
import { sourceBundle, sourceLayout } from '../../bin/sourceBundle.mjs';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-bundle');

/** A source tree with the four entries, which share a module (a chunk of the bundle). */
function tinySources(greeting: string): string {
  const sources = tempDir();
  const files: Record<string, string> = {
    'shared/greeting.ts': `export const greeting: string = ${JSON.stringify(greeting)};\n`,
    'jobs/trainerEntry.ts': [
      "import { Worker } from 'node:worker_threads';",
      "import { join, dirname } from 'node:path';",
      "import { fileURLToPath } from 'node:url';",
      "import { greeting } from '../shared/greeting';",
      'const here = dirname(fileURLToPath(import.meta.url));',
      "const worker = new Worker(join(here, 'taskWorker.mjs'));",
      "worker.on('message', (m: string) => { console.log(`${greeting} ${m}`); void worker.terminate(); });",
      '',
    ].join('\n'),
    'engine/parallel/taskWorker.ts': [
      "import { parentPort } from 'node:worker_threads';",
      "import { greeting } from '../../shared/greeting';",
      'parentPort!.postMessage(`from the worker, ${greeting.length} letters`);',
      '',
    ].join('\n'),
    'engine/parallel/runWorker.ts':
      "import { greeting } from '../../shared/greeting';\nexport const g = greeting;\n",
    'cli/main.ts': "import { greeting } from '../shared/greeting';\nexport const main = () => greeting;\n",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(sources, path)), { recursive: true });
    writeFileSync(join(sources, path), text);
  }
  return sources;
}

/** Runs a bundle's trainer entry (which starts its task worker). */
const run = (dir: string) =>
  spawnSync(process.execPath, [join(dir, 'trainerEntry.mjs')], { encoding: 'utf8', timeout: 30_000 });

describe('the bundle of the sources', () => {
  it('is built once for the sources as they are, reused, and rebuilt with the new code after a change', () => {
    const sources = tinySources('hello');
    const cache = tempDir();
    const first = sourceBundle({ sources, cache });
    expect(first.startsWith(cache)).toBe(true);
    expect(run(first).stdout).toBe('hello from the worker, 5 letters\n');
    // Unchanged sources: the same files, not rebuilt.
    const built = statSync(join(first, 'cli.mjs')).mtimeMs;
    expect(sourceBundle({ sources, cache })).toBe(first);
    expect(statSync(join(first, 'cli.mjs')).mtimeMs).toBe(built);
    expect(readdirSync(cache)).toHaveLength(1);

    // One changed file: another bundle, which runs the change; the first one stays (in use).
    writeFileSync(join(sources, 'shared/greeting.ts'), 'export const greeting: string = "bonjour";\n');
    const second = sourceBundle({ sources, cache });
    expect(second).not.toBe(first);
    expect(run(second).stdout).toBe('bonjour from the worker, 7 letters\n');
    expect(existsSync(first)).toBe(true);

    // A bundle nothing has started for over a week goes when the next one is built.
    const week = new Date(Date.now() - 8 * 24 * 3600_000);
    utimesSync(first, week, week);
    writeFileSync(join(sources, 'shared/greeting.ts'), 'export const greeting: string = "hallo";\n');
    const third = sourceBundle({ sources, cache });
    expect(existsSync(first)).toBe(false);
    expect(existsSync(second) && existsSync(third)).toBe(true);
    expect(run(third).stdout).toBe('hallo from the worker, 5 letters\n');
  });

  it('reports a build error with its file, and leaves nothing half-built behind', () => {
    const sources = tinySources('hello');
    const cache = tempDir();
    writeFileSync(join(sources, 'shared/greeting.ts'), 'export const greeting = ;\n');
    expect(() => sourceBundle({ sources, cache })).toThrow(/greeting\.ts/);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('is found from the sources and from a bundle of them, and not where there are no sources', () => {
    const root = resolve(__dirname, '../..');
    const layout = {
      root,
      sources: join(root, 'src-main'),
      cache: join(root, 'node_modules', '.cache', 'deml'),
    };
    expect(sourceLayout(join(root, 'src-main', 'jobs'))).toEqual(layout);
    expect(sourceLayout(join(layout.cache, '0123456789abcdef0123'))).toEqual(layout);
    // A packaged app: the workbench's package.json, its bundle, no sources.
    const app = tempDir();
    writeFileSync(join(app, 'package.json'), '{ "name": "deml-workbench" }');
    mkdirSync(join(app, 'out', 'main'), { recursive: true });
    expect(sourceLayout(join(app, 'out', 'main'))).toBeNull();
    expect(sourceLayout(tmpdir())).toBeNull();
  });

  it('runs the `deml` command and its trainers, from the TypeScript with DEML_BUNDLE=0; a crash names source lines', () => {
    const dataDir = tempDir();
    const deml = (env: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, [resolve(__dirname, '../../bin/deml.mjs'), 'runs', '--data-dir', dataDir], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, ...env },
      });
    const trainer = () => {
      const c = trainerCommand();
      const r = spawnSync(c.node, [...c.execArgv, c.entry, '--run', '7', '--data-dir', dataDir], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { ...c, ...r };
    };
    const listed = deml();
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/no runs/i);
    expect(deml({ DEML_BUNDLE: '0' }).stdout).toBe(listed.stdout);

    const bundled = trainer();
    expect(bundled.entry).toMatch(/node_modules\/\.cache\/deml\/[0-9a-f]{20}\/trainerEntry\.mjs$/);
    expect(bundled.status).toBe(1);
    expect(bundled.stderr).toMatch(
      /run 7 does not exist\n\s+at runSpecFromStore \(.*src-main\/jobs\/runRecorder\.ts:\d+/,
    );
    process.env.DEML_BUNDLE = '0';
    try {
      const sources = trainer();
      expect(sources.entry).toBe(resolve(__dirname, '../../src-main/jobs/trainerEntry.ts'));
      expect(sources.execArgv).toEqual([`--import=${import.meta.resolve('tsx')}`]);
      expect(sources.status).toBe(1);
      expect(sources.stderr).toMatch(/run 7 does not exist/);
    } finally {
      delete process.env.DEML_BUNDLE;
    }
  }, 120_000);
});
