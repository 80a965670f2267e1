/**
 * The desktop shell always builds (`electron-vite build`), and the built bundle keeps Electron's
 * security switches on. The window itself cannot open on machines without Electron's binary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src-main/contract/api';
import { tempDirs } from '../helpers/temp';

const root = resolve(__dirname, '../..');
// Built into a temporary folder: the e2e test serves out/renderer at the same time.
const out = tempDirs('deml-bundle')();
const require = createRequire(import.meta.url);

/** The packages a bundled entry imports, following its local chunks. */
function packagesImportedBy(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const [, spec] of code.matchAll(
      /(?:^import\s[^'"]*|^import\s*|\bimport\(|\brequire\()["']([^"']+)["']/gm,
    )) {
      if (spec!.startsWith('.')) visit(resolve(dirname(file), spec!));
      else packages.add(spec!);
    }
  };
  visit(entry);
  return packages;
}

describe('desktop bundle', () => {
  it('electron-vite build produces main, a CommonJS sandboxed preload and the renderer', () => {
    const bin = resolve(require.resolve('electron-vite/package.json'), '../bin/electron-vite.js');
    const r = spawnSync(process.execPath, [bin, 'build'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, DEML_OUT_DIR: out },
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    for (const f of [
      'main/index.js',
      'main/trainer.js',
      'main/taskWorker.js',
      'preload/index.cjs',
      'renderer/index.html',
    ]) {
      expect(existsSync(resolve(out, f)), f).toBe(true);
    }
    const main = readFileSync(resolve(out, 'main/index.js'), 'utf8');
    expect(main).toMatch(/contextIsolation:\s*true/);
    expect(main).toMatch(/sandbox:\s*true/);
    expect(main).toMatch(/nodeIntegration:\s*false/);
    expect(main).toMatch(/action:\s*"deny"/);
    // Training runs in utility processes started from the bundled trainer entry.
    expect(main).toMatch(/utilityProcess\.fork/);
    expect(main).toMatch(/trainer\.js/);
    // The native SQLite module and tfjs stay external (loaded from node_modules at run time).
    const chunks = readdirSync(resolve(out, 'main'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(resolve(out, 'main', f), 'utf8'))
      .join('\n');
    expect(chunks).toMatch(/import "better-sqlite3"|from "better-sqlite3"|require\("better-sqlite3"\)/);
    expect(chunks).not.toMatch(/class Database\b.*SqliteError/s);
    const preload = readFileSync(resolve(out, 'preload/index.cjs'), 'utf8');
    expect(preload).toMatch(/require\("electron"\)/);
    expect(preload).not.toMatch(/^import /m);
    // Only named contract functions are exposed: no raw ipcRenderer handed to the page.
    expect(preload).toMatch(/exposeInMainWorld\("deml"/);
    expect(preload).not.toMatch(/exposeInMainWorld\("[^"]+",\s*electron\.ipcRenderer/);
    // Run the built preload against a stand-in for Electron: it must expose exactly the contract.
    const exposed: Record<string, Record<string, unknown>> = {};
    const invoked: unknown[][] = [];
    const electron = {
      contextBridge: {
        exposeInMainWorld: (key: string, api: Record<string, unknown>) => (exposed[key] = api),
      },
      ipcRenderer: {
        invoke: (...args: unknown[]) => invoked.push(args),
        on: () => undefined,
        off: () => undefined,
      },
    };
    const module = { exports: {} };
    new Function('require', 'module', 'exports', preload)(
      (id: string) => {
        if (id !== 'electron') throw new Error(`the preload must not require ${id}`);
        return electron;
      },
      module,
      module.exports,
    );
    expect(Object.keys(exposed)).toEqual(['deml']);
    expect(Object.keys(exposed.deml!).sort()).toEqual([...CHANNELS, 'on'].sort());
    expect(Object.isFrozen(exposed.deml)).toBe(true);
    (exposed.deml!['runs:get'] as (id: number) => void)(7);
    expect(invoked).toEqual([['runs:get', 7]]);
    expect(() =>
      (exposed.deml!.on as (e: string, l: () => void) => void)('ipc:raw', () => undefined),
    ).toThrow(/unknown event/);
    const html = readFileSync(resolve(out, 'renderer/index.html'), 'utf8');
    expect(html).toMatch(/Content-Security-Policy/);
    // The app icon (resources/): the window's, and the page's in browser mode.
    expect(main).toMatch(/const icon = [^;]*resources\/icon\.png/);
    expect(main).toMatch(/icon,\s*\n[^]*webPreferences/);
    const favicon = /<link rel="icon" type="image\/png" href="([^"]+)"/.exec(html)?.[1];
    expect(favicon).toBeDefined();
    expect(existsSync(resolve(out, 'renderer', favicon!.replace(/^\//, '')))).toBe(true);
  });

  it('the main process never loads TensorFlow.js; only the trainer and its task workers do', () => {
    const mainPackages = packagesImportedBy(resolve(out, 'main/index.js'));
    expect(mainPackages).toContain('electron');
    expect(mainPackages).toContain('better-sqlite3');
    expect([...mainPackages].filter((p) => p.startsWith('@tensorflow/') || p === 'webgpu')).toEqual([]);
    const trainer = packagesImportedBy(resolve(out, 'main/trainer.js'));
    expect(trainer).toContain('@tensorflow/tfjs');
    // The GPU backend stays external too: Dawn's addon (dawn.node) is loaded from its package.
    expect(trainer).toContain('webgpu');
    expect(trainer).toContain('@tensorflow/tfjs-backend-webgpu');
    expect(packagesImportedBy(resolve(out, 'main/taskWorker.js'))).toContain('@tensorflow/tfjs');
  });
});
