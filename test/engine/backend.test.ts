import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CUDA_LIBRARIES,
  probeCudaLibraries,
  resolveBackendPreference,
  selectBackend,
  tf,
} from '../../src-main/engine';
import { defaultTrainingThreads } from '../../src-main/engine/parallel/taskPool';
import { availableKernelBuilds } from '../../src-main/engine/autodiff/nativeKernels';
import { summariseAdapter } from '../../src-main/engine/webgpu';
import { SWIFTSHADER_ICD } from '../helpers/webgpu';

describe('backend selection', () => {
  const icd = process.env.VK_ICD_FILENAMES;
  afterEach(() => {
    delete process.env.DEML_BACKEND;
    if (icd === undefined) delete process.env.VK_ICD_FILENAMES;
    else process.env.VK_ICD_FILENAMES = icd;
  });

  it('auto falls back to wasm here and says why the GPU is not used', async () => {
    const d = await selectBackend('auto');
    expect(tf.getBackend()).toBe(d.name);
    // This machine cannot install tfjs-node-gpu; a user's machine with it takes the first branch.
    if (d.name === 'tensorflow') {
      expect(d.gpu || d.gpuReason !== null).toBe(true);
      return;
    }
    expect(d.name).toBe('wasm');
    expect(d.gpu).toBe(false);
    expect(d.fallbacks.map((f) => f.name)).toEqual(['tensorflow', 'webgpu']);
    // Both GPU paths say why they are not used.
    expect(d.gpuReason).toMatch(/tfjs-node-gpu/);
    expect(d.gpuReason).toMatch(/no GPU adapter/);
    // Tasks are spread over every core (DEML_THREADS aside).
    expect(d.threads).toBe(defaultTrainingThreads('wasm'));
    expect(d.details).toMatch(/XNNPACK/);
    // Our SIMD kernels (filter gradient, pooling gradient) run on this Node, in their relaxed
    // build (fused multiply-adds) where it compiles.
    expect(d.details).toMatch(
      availableKernelBuilds().includes('relaxed')
        ? /native training kernels \(fused multiply-add\)$/
        : /native training kernels$/,
    );
  });

  it('a forced backend that cannot start is an error, not a silent fallback', async () => {
    let installed = true;
    try {
      await import('@tensorflow/tfjs-node-gpu' as string);
    } catch {
      installed = false;
    }
    if (installed) return;
    // Not installed, or installed without its native addon (an npm install whose libtensorflow
    // download failed leaves the package behind): either way an error, never a fallback.
    await expect(selectBackend('tensorflow')).rejects.toThrow(
      /backend 'tensorflow' is unavailable: .*(not installed|failed to load)/,
    );
  });

  it('auto never trains on a CPU adapter: SwiftShader is named and skipped', async (ctx) => {
    if (!existsSync(SWIFTSHADER_ICD)) {
      if (process.env.CI) throw new Error(`CI installs chromium, but ${SWIFTSHADER_ICD} is missing`);
      ctx.skip();
    }
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    const d = await selectBackend('auto');
    expect(d.name).not.toBe('webgpu');
    expect(d.fallbacks.find((f) => f.name === 'webgpu')?.reason).toMatch(
      /^no GPU adapter: Dawn's only adapter is SwiftShader .*a CPU implementation of the GPU API \(--backend webgpu forces it/,
    );
  });

  it('webgpu forced with no adapter at all fails, naming where Vulkan drivers were looked for', async () => {
    process.env.VK_ICD_FILENAMES = '/nonexistent/icd.json';
    const error = await selectBackend('webgpu').then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.name).toBe('BackendUnavailableError');
    expect(error?.message).toMatch(
      /^backend 'webgpu' is unavailable: no GPU adapter: Dawn found none \(.*missing: \/nonexistent\/icd\.json/,
    );
  });

  it('a software adapter is told from a GPU by its flag or its name', () => {
    const limits = { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31 };
    const of = (info: Record<string, unknown>) => summariseAdapter({ info, limits }).cpu;
    expect(of({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' })).toBe(
      false,
    );
    expect(of({ vendor: 'apple', architecture: 'metal-3' })).toBe(false);
    expect(of({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true })).toBe(true);
    expect(of({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(of({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })).toBe(true);
  });

  it('cpu can be forced, and DEML_BACKEND overrides the config', async () => {
    expect((await selectBackend('cpu')).name).toBe('cpu');
    process.env.DEML_BACKEND = 'wasm';
    expect((await selectBackend('cpu')).name).toBe('wasm');
    process.env.DEML_BACKEND = 'gpu';
    expect(() => resolveBackendPreference('auto')).toThrow(/DEML_BACKEND='gpu' is not one of/);
  });

  it('the CUDA probe names exactly the libraries that are missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deml-cuda-'));
    try {
      for (const lib of ['libcudart.so.11.0', 'libcublas.so.11']) writeFileSync(join(dir, lib), '');
      const listing = '\tlibcudnn.so.8 (libc6,x86-64) => /opt/cudnn/libcudnn.so.8\n';
      const probe = probeCudaLibraries({ LD_LIBRARY_PATH: `/nonexistent:${dir}` }, listing);
      expect(probe.found).toEqual(
        expect.arrayContaining(['libcudart.so.11.0', 'libcublas.so.11', 'libcudnn.so.8']),
      );
      expect(probe.missing).not.toContain('libcudnn.so.8');
      expect([...probe.found, ...probe.missing].sort()).toEqual([...CUDA_LIBRARIES].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
