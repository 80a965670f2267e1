/**
 * The trainer's provenance (contract/provenance.ts), collected in the trainer's own process once
 * its backend is chosen: on a cluster node, the node's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, hostname, release, totalmem, type, arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Provenance } from '../contract/provenance';
import type { BackendDescription } from '../engine/backend';
import { workbenchRoot } from '../../bin/sourceBundle.mjs';

/** The npm package behind each backend, whose version the record names. */
const BACKEND_PACKAGES: Record<string, string> = {
  wasm: '@tensorflow/tfjs-backend-wasm',
  webgpu: 'webgpu',
  tensorflow: '@tensorflow/tfjs-node-gpu',
  cpu: '@tensorflow/tfjs-core',
};

/** The workbench's folder above this module (a checkout or the app). */
function appRoot(): string | null {
  return workbenchRoot(dirname(fileURLToPath(import.meta.url)));
}

function packageVersion(root: string | null, name: string): string | null {
  if (!root) return null;
  try {
    const manifest = join(root, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/**
 * The checkout's commit, with "+changes" when tracked files differ from it; null outside a
 * checkout or without git (a packaged app). Bounded: a slow disk never holds the run.
 */
function gitCommit(root: string | null): string | null {
  if (!root || !existsSync(join(root, '.git'))) return null;
  const git = (args: string[]) =>
    spawnSync('git', ['-C', root, ...args], { encoding: 'utf8', timeout: 5000 });
  const head = git(['rev-parse', '--short=12', 'HEAD']);
  if (head.status !== 0 || !head.stdout.trim()) return null;
  const dirty = git(['status', '--porcelain', '--untracked-files=no']);
  return `${head.stdout.trim()}${dirty.status === 0 && dirty.stdout.trim() ? '+changes' : ''}`;
}

export function collectProvenance(backend: BackendDescription): Provenance {
  const root = appRoot();
  const library = BACKEND_PACKAGES[backend.name];
  const version = library ? packageVersion(root, library) : null;
  const cores = cpus();
  const gpu = backend.gpu ? backend.adapter?.description || backend.details : null;
  return {
    commit: gitCommit(root),
    node: process.version,
    tfjs: backend.tfjsVersion,
    backend: library ? `${backend.name}: ${library}${version ? ` ${version}` : ''}` : backend.name,
    os: `${type()} ${release()} ${arch()}`,
    cpu: cores.length ? `${cores.length} × ${cores[0]!.model.trim()}` : 'unknown CPU',
    memoryBytes: totalmem(),
    gpu,
    host: hostname(),
  };
}
