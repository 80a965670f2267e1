/**
 * The webgpu backend under test: on a machine without a GPU, Dawn runs on SwiftShader, the CPU
 * Vulkan driver in Debian's chromium package (.ci/run installs it with libvulkan1, the loader).
 * Where neither is there the tests skip and say why; on CI, which installs both, that is an error,
 * so CI never skips them.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BackendDescription, selectBackend } from '../../src-main/engine';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Select the webgpu backend (SwiftShader unless the environment names another Vulkan driver). */
export async function webgpuForTests(why: string): Promise<BackendDescription | null> {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD))
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  // Dawn's Vulkan loader complains on stderr without a runtime folder.
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'deml-xdg-'));
  try {
    return await selectBackend('webgpu');
  } catch (e) {
    const reason = `${(e as Error).message}${existsSync(SWIFTSHADER_ICD) ? '' : ` (${SWIFTSHADER_ICD} is missing: apt-get install chromium libvulkan1)`}`;
    if (process.env.CI)
      throw new Error(`CI installs SwiftShader for the webgpu tests (.ci/run), but ${reason}: ${why}`);
    console.warn(`skipped: ${reason} (${why})`);
    return null;
  }
}
