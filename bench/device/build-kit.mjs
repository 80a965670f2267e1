#!/usr/bin/env node
/**
 * Builds bench/device/kit.tgz (git-ignored): everything the GPU bench needs on a machine that has
 * a GPU driver but no Node and no network, within the 64 MiB a lent machine can be carried:
 * - node: this machine's Node binary (gzip: about 34 MiB; gzip is on every Linux, xz not always);
 * - gpu.mjs, speedRow.mjs, presetCell.mjs: bench/gpu.ts and its row scripts, and doctor.mjs
 *   (`deml doctor`), bundled by esbuild with the engine and tfjs in them, and tfjs-backend-wasm's
 *   .wasm files beside them (the wasm backend on the device's CPU, for its own reference);
 * - node_modules/webgpu: Dawn's addon for linux-x64 (dawn.node, about 7 MiB as gzip) and its loader;
 * - lib/libvulkan.so.1: Debian's Vulkan loader, used only where the machine has none.
 *
 *   node bench/device/build-kit.mjs        then: bash bench/device/run-on-device.sh
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '../..');
const kit = mkdtempSync(join(tmpdir(), 'deml-kit-'));
const out = join(root, 'bench/device/kit.tgz');

const bundle = (entryPoints, extension) =>
  build({
    entryPoints,
    outdir: kit,
    outExtension: { '.js': extension },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Native addons stay files of their own; the bench never loads sharp, SQLite or tfjs-node-gpu.
    external: ['webgpu', 'sharp', 'better-sqlite3', '@tensorflow/tfjs-node-gpu', 'electron'],
    // tfjs's CommonJS modules call require() and find their .wasm files from __dirname; an ES
    // module bundle has neither of its own.
    banner: {
      js: [
        "import { createRequire as __demlRequire } from 'node:module';",
        "import { fileURLToPath as __demlPath } from 'node:url';",
        'const require = __demlRequire(import.meta.url);',
        'const __filename = __demlPath(import.meta.url);',
        "const __dirname = __demlPath(new URL('.', import.meta.url));",
      ].join(' '),
    },
    logLevel: 'warning',
  });
await bundle(
  {
    gpu: join(root, 'bench/gpu.ts'),
    speedRow: join(root, 'bench/lib/speedRow.ts'),
    presetCell: join(root, 'bench/lib/presetCell.ts'),
    doctor: join(root, 'bench/device/doctor.ts'),
  },
  '.mjs',
);
// The wasm backend's task workers, where engine/parallel/startWorker.ts looks for a bundled entry
// (<entry>.js beside the bundle; the kit's package.json makes .js an ES module).
await bundle({ taskWorker: join(root, 'src-main/engine/parallel/taskWorker.ts') }, '.js');
writeFileSync(join(kit, 'package.json'), '{ "type": "module" }\n');

// tfjs-backend-wasm's binaries, where its bundled code looks for them (beside the bundle).
const wasmDist = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of readdirSync(wasmDist).filter((f) => f.endsWith('.wasm')))
  copyFileSync(join(wasmDist, f), join(kit, f));

const webgpu = join(root, 'node_modules/webgpu');
const addon = join(kit, 'node_modules/webgpu');
mkdirSync(join(addon, 'dist/linux-x64'), { recursive: true });
for (const f of ['package.json', 'index.js', 'LICENSE.md']) copyFileSync(join(webgpu, f), join(addon, f));
copyFileSync(join(webgpu, 'dist/linux-x64/dawn.node'), join(addon, 'dist/linux-x64/dawn.node'));

const loader = '/lib/x86_64-linux-gnu/libvulkan.so.1';
if (existsSync(loader)) {
  mkdirSync(join(kit, 'lib'));
  copyFileSync(realpathSync(loader), join(kit, 'lib/libvulkan.so.1'));
} else {
  console.warn(`no ${loader} here (apt-get install libvulkan1): the kit relies on the device's own loader`);
}
cpSync(realpathSync(process.execPath), join(kit, 'node'));

rmSync(out, { force: true });
execFileSync('tar', ['-czf', out, '-C', kit, '.'], { stdio: 'inherit' });
rmSync(kit, { recursive: true, force: true });
const mib = statSync(out).size / 2 ** 20;
console.log(`${out}: ${mib.toFixed(1)} MiB${mib > 64 ? ' — over the 64 MiB a lent machine is carried' : ''}`);
