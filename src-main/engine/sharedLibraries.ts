/**
 * The dynamic loader's cache (`ldconfig -p`), read where a GPU backend needs to say which shared
 * library is missing: CUDA's for tfjs-node-gpu, the Vulkan loader for Dawn.
 */
import { execFileSync } from 'node:child_process';

/** `ldconfig -p`'s listing, or null off Linux or where ldconfig cannot be run. */
export function readLdconfigCache(): string | null {
  if (process.platform !== 'linux') return null;
  for (const bin of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    try {
      return execFileSync(bin, ['-p'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5000,
      });
    } catch {
      // try the next location
    }
  }
  return null;
}

/** Whether the listing holds `lib` ("\tlibvulkan.so.1 (libc6,x86-64) => …"). */
export function listsLibrary(listing: string | null, lib: string): boolean {
  return listing?.split('\n').some((line) => line.trim().startsWith(`${lib} `)) ?? false;
}
