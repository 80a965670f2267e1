/**
 * The bundle trainers run from the sources: built once per state of the sources, reused while
 * they are unchanged, rebuilt (and running the new code) after any change, stale bundles pruned,
 * a build error reported with its file.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainerCommand } from '../../src-main/jobs/launcher';
import { sourceLayout, trainerBundle } from '../../src-main/jobs/trainerBundle';

/** A source tree with the three entries, which share a module (a chunk of the bundle). */
function tinySources(greeting: string): string {
  const sources = mkdtempSync(join(tmpdir(), 'deml-bundle-src-'));
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
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(sources, path)), { recursive: true });
    writeFileSync(join(sources, path), text);
  }
  return sources;
}

const run = (entry: string) => spawnSync(process.execPath, [entry], { encoding: 'utf8', timeout: 30_000 });

describe('the trainer bundle', () => {
  it('is built once for the sources as they are, reused, and rebuilt with the new code after a change', () => {
    const sources = tinySources('hello');
    const cache = mkdtempSync(join(tmpdir(), 'deml-bundle-cache-'));
    const first = trainerBundle({ sources, cache });
    expect(first.startsWith(cache)).toBe(true);
    expect(run(first).stdout).toBe('hello from the worker, 5 letters\n');
    // Unchanged sources: the same files, not rebuilt.
    const built = statSync(first).mtimeMs;
    expect(trainerBundle({ sources, cache })).toBe(first);
    expect(statSync(first).mtimeMs).toBe(built);
    expect(readdirSync(cache)).toHaveLength(1);

    // One changed file: another bundle, which runs the change; the first one stays (in use).
    writeFileSync(join(sources, 'shared/greeting.ts'), 'export const greeting: string = "bonjour";\n');
    const second = trainerBundle({ sources, cache });
    expect(second).not.toBe(first);
    expect(run(second).stdout).toBe('bonjour from the worker, 7 letters\n');
    expect(existsSync(first)).toBe(true);

    // A bundle nothing has started for over a week goes when the next one is built.
    const week = new Date(Date.now() - 8 * 24 * 3600_000);
    utimesSync(dirname(first), week, week);
    writeFileSync(join(sources, 'shared/greeting.ts'), 'export const greeting: string = "hallo";\n');
    const third = trainerBundle({ sources, cache });
    expect(existsSync(dirname(first))).toBe(false);
    expect(existsSync(second) && existsSync(third)).toBe(true);
    expect(run(third).stdout).toBe('hallo from the worker, 5 letters\n');
  });

  it('reports a build error with its file, and leaves nothing half-built behind', () => {
    const sources = tinySources('hello');
    const cache = mkdtempSync(join(tmpdir(), 'deml-bundle-cache-'));
    writeFileSync(join(sources, 'shared/greeting.ts'), 'export const greeting = ;\n');
    expect(() => trainerBundle({ sources, cache })).toThrow(/greeting\.ts/);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('is where the workbench keeps it when run from this checkout, and only then', () => {
    const root = resolve(__dirname, '../..');
    expect(sourceLayout(join(root, 'src-main', 'jobs'))).toEqual({
      sources: join(root, 'src-main'),
      cache: join(root, 'node_modules', '.cache', 'deml-trainer'),
    });
    // The app's bundle (out/main) has no sources beside it: the app names its own trainer entry.
    expect(sourceLayout(join(root, 'out', 'main'))).toBeNull();
  });

  it('starts this checkout’s trainer, and from the TypeScript with DEML_TRAINER_BUNDLE=0; a crash names source lines', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'deml-bundle-data-'));
    const start = () => {
      const c = trainerCommand();
      const r = spawnSync(c.node, [...c.execArgv, c.entry, '--run', '7', '--data-dir', dataDir], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { ...c, ...r };
    };
    const bundled = start();
    expect(bundled.entry).toMatch(/node_modules\/\.cache\/deml-trainer\/[0-9a-f]{20}\/trainerEntry\.mjs$/);
    expect(bundled.status).toBe(1);
    expect(bundled.stderr).toMatch(
      /run 7 does not exist\n\s+at runSpecFromStore \(.*src-main\/jobs\/runRecorder\.ts:\d+/,
    );
    process.env.DEML_TRAINER_BUNDLE = '0';
    try {
      const sources = start();
      expect(sources.entry).toBe(resolve(__dirname, '../../src-main/jobs/trainerEntry.ts'));
      expect(sources.execArgv).toEqual([`--import=${import.meta.resolve('tsx')}`]);
      expect(sources.status).toBe(1);
      expect(sources.stderr).toMatch(/run 7 does not exist/);
    } finally {
      delete process.env.DEML_TRAINER_BUNDLE;
    }
  }, 120_000);
});
