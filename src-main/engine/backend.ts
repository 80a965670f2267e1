/**
 * Backend selection, for `auto`: tfjs-node-gpu on a CUDA GPU → WebGPU (Dawn) on a GPU adapter →
 * tfjs-node-gpu on the CPU → wasm (XNNPACK, SIMD) → cpu (pure JS, slow: tests only). The user can
 * force one with the config's `backend` or the DEML_BACKEND environment variable; a forced backend
 * that cannot start is an error (BackendUnavailableError), never a silent fall back to the CPU.
 * The returned description is recorded with every run and tells the user, in plain words, which
 * GPU computes or why none does.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { BackendPreference } from '../contract/config';
import { BACKENDS } from '../contract/config';
import { installEagerBackprop } from './autodiff/eagerBackprop';
import { installGradients } from './autodiff/gradients';
import { describeNativeKernels } from './autodiff/nativeKernels';
import { installWasmKernels } from './autodiff/wasmKernels';
import { defaultTrainingThreads } from './parallel/taskPool';
import { listsLibrary, readLdconfigCache } from './sharedLibraries';
import { tf } from './tf';
import {
  type GpuAdapterSummary,
  cpuAdapterRefusal,
  describeAdapter,
  probeWebgpuInChild,
  startWebgpu,
} from './webgpu';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** A backend the user asked for by name cannot start here: a setup problem (exit code 2). */
export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: BackendName,
    readonly reason: string,
  ) {
    super(`backend '${backend}' is unavailable: ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

export interface BackendDescription {
  name: BackendName;
  /** True only when the work runs on a GPU: TensorFlow on CUDA, or WebGPU on a GPU adapter. */
  gpu: boolean;
  /** Why the GPU is not used, in words a user can act on (null when it is). */
  gpuReason: string | null;
  /** Threads a run uses: task workers on wasm and cpu, TensorFlow's own thread pool otherwise. */
  threads: number;
  /** SIMD for wasm, the device for tensorflow, free text. */
  details: string;
  tfjsVersion: string;
  /** Backends tried before this one, each with why it was skipped. */
  fallbacks: Array<{ name: BackendName; reason: string }>;
  /** WebGPU's adapter (a CPU one only where the backend was forced). */
  adapter?: GpuAdapterSummary;
}

/** Libraries tfjs-node-gpu 4.22 (libtensorflow 2.9.1) loads for CUDA 11.2 / cuDNN 8.1. */
export const CUDA_LIBRARIES = [
  'libcuda.so.1',
  'libcudart.so.11.0',
  'libcublas.so.11',
  'libcublasLt.so.11',
  'libcufft.so.10',
  'libcurand.so.10',
  'libcusolver.so.11',
  'libcusparse.so.11',
  'libcudnn.so.8',
] as const;

export interface CudaProbe {
  found: string[];
  missing: string[];
}

/**
 * Look for the CUDA libraries where the dynamic loader would: LD_LIBRARY_PATH, the ldconfig
 * cache and the usual install folders. Done before loading TensorFlow because once loaded it
 * only logs the failure to stderr and silently runs on the CPU.
 */
export function probeCudaLibraries(
  env: NodeJS.ProcessEnv = process.env,
  ldconfigListing: string | null = readLdconfigCache(),
): CudaProbe {
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/local/cuda/lib64',
    '/usr/local/cuda/targets/x86_64-linux/lib',
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib64',
    '/usr/lib/wsl/lib',
  ];
  const found: string[] = [];
  const missing: string[] = [];
  for (const lib of CUDA_LIBRARIES) {
    (listsLibrary(ldconfigListing, lib) || dirs.some((d) => existsSync(join(d, lib))) ? found : missing).push(
      lib,
    );
  }
  return { found, missing };
}

interface NodeBackendLike {
  isGPUPackage?: boolean;
  isUsingGpuDevice?: boolean;
}

const NODE_GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';

async function tryTensorflow(): Promise<
  { ok: true; desc: Omit<BackendDescription, 'fallbacks'> } | { ok: false; reason: string }
> {
  if (process.platform !== 'linux') {
    return { ok: false, reason: `${NODE_GPU_PACKAGE} supports Linux only (this is ${process.platform})` };
  }
  try {
    // A variable specifier keeps bundlers and the type checker from requiring the optional package.
    const specifier = NODE_GPU_PACKAGE;
    await import(specifier);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason =
      code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
        ? `${NODE_GPU_PACKAGE} is not installed (npm drops this optional dependency when its ` +
          `libtensorflow download fails; reinstall with network access to use the GPU)`
        : `${NODE_GPU_PACKAGE} failed to load: ${(e as Error).message.split('\n')[0]}`;
    return { ok: false, reason };
  }
  if (!(await tf.setBackend('tensorflow'))) {
    return { ok: false, reason: `${NODE_GPU_PACKAGE} is installed but its backend did not start` };
  }
  const backend = tf.backend() as unknown as NodeBackendLike;
  const gpu = backend.isUsingGpuDevice === true;
  let gpuReason: string | null = null;
  if (!gpu) {
    const cuda = probeCudaLibraries();
    gpuReason =
      cuda.missing.length > 0
        ? `CUDA libraries not found: ${cuda.missing.join(', ')} (tfjs-node-gpu needs CUDA 11.2 and cuDNN 8.1; add their lib folders to LD_LIBRARY_PATH)`
        : 'TensorFlow found no usable CUDA device (check nvidia-smi and the driver version)';
  }
  return {
    ok: true,
    desc: {
      name: 'tensorflow',
      gpu,
      gpuReason,
      threads: cpus().length,
      details: gpu ? 'TensorFlow 2.9.1 on CUDA' : 'TensorFlow 2.9.1 on the CPU',
      tfjsVersion: tf.version.tfjs,
    },
  };
}

async function tryWasm(): Promise<
  { ok: true; desc: Omit<BackendDescription, 'fallbacks'> } | { ok: false; reason: string }
> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) return { ok: false, reason: 'the wasm backend did not start' };
    await tf.ready();
  } catch (e) {
    return { ok: false, reason: `the wasm backend failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  installWasmKernels();
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean;
  return {
    ok: true,
    desc: {
      name: 'wasm',
      gpu: false,
      gpuReason: 'the wasm backend runs on the CPU only',
      // One wasm thread per worker: the tasks of a meta-batch are spread over worker threads
      // (parallel/taskPool.ts), since tfjs-backend-wasm's multithreaded build is off in Node.
      threads: defaultTrainingThreads('wasm'),
      details: `XNNPACK${simd ? ' with SIMD' : ' without SIMD'}, ${describeNativeKernels(tf.backend())}`,
      tfjsVersion: tf.version.tfjs,
    },
  };
}

async function tryWebgpu(
  forced: boolean,
): Promise<{ ok: true; desc: Omit<BackendDescription, 'fallbacks'> } | { ok: false; reason: string }> {
  if (!forced) {
    // Asked first in a child: on a machine without a GPU, Dawn's driver complaints stay there.
    const probe = probeWebgpuInChild();
    if (!probe.ok) return probe;
    if (probe.summary.cpu) return { ok: false, reason: cpuAdapterRefusal(probe.summary) };
  }
  const started = await startWebgpu(forced);
  if (!started.ok) return started;
  const { adapter } = started;
  return {
    ok: true,
    desc: {
      name: 'webgpu',
      gpu: !adapter.cpu,
      gpuReason: adapter.cpu
        ? `no GPU adapter: forced onto ${adapter.description || adapter.architecture}, a CPU implementation of the GPU API`
        : null,
      threads: 1,
      details: describeAdapter(adapter),
      tfjsVersion: tf.version.tfjs,
      adapter,
    },
  };
}

async function useCpu(): Promise<Omit<BackendDescription, 'fallbacks'>> {
  await tf.setBackend('cpu');
  await tf.ready();
  return {
    name: 'cpu',
    gpu: false,
    gpuReason: 'the cpu backend (pure JavaScript) runs on the CPU only',
    threads: defaultTrainingThreads('cpu'),
    details: 'pure JavaScript (slow: for tests and tiny configs)',
    tfjsVersion: tf.version.tfjs,
  };
}

/** DEML_BACKEND overrides the config when set (useful for CI and for forcing a backend in the app). */
export function resolveBackendPreference(
  pref: BackendPreference,
  env: NodeJS.ProcessEnv = process.env,
): BackendPreference {
  const forced = env.DEML_BACKEND?.trim();
  if (!forced) return pref;
  if (!(BACKENDS as readonly string[]).includes(forced)) {
    throw new Error(`DEML_BACKEND='${forced}' is not one of ${BACKENDS.join(', ')}`);
  }
  return forced as BackendPreference;
}

/**
 * Select and initialise the backend, and install the gradient completion and the freeing backward
 * pass (always) and the wasm training kernels (on wasm). A forced backend that cannot start is an
 * error, not a fallback.
 */
export async function selectBackend(preference: BackendPreference = 'auto'): Promise<BackendDescription> {
  // tfjs's own console advice (e.g. "install tfjs-node") is replaced by the description below.
  tf.env().set('PROD', true);
  installGradients();
  installEagerBackprop();
  const pref = resolveBackendPreference(preference);
  const fallbacks: BackendDescription['fallbacks'] = [];
  /** Why no GPU computes: every GPU backend's reason, for the run's backend line. */
  const noGpu = (own: string | null) =>
    [...fallbacks.map((f) => f.reason), own].filter(Boolean).join('; ') || null;
  // tfjs-node-gpu on the CPU keeps its place in `auto` after WebGPU: a GPU adapter beats it.
  let tensorflowOnCpu: Omit<BackendDescription, 'fallbacks'> | null = null;
  if (pref === 'auto' || pref === 'tensorflow') {
    const t = await tryTensorflow();
    if (t.ok && (t.desc.gpu || pref === 'tensorflow')) return { ...t.desc, fallbacks };
    if (!t.ok && pref === 'tensorflow') throw new BackendUnavailableError('tensorflow', t.reason);
    if (t.ok) tensorflowOnCpu = t.desc;
    else fallbacks.push({ name: 'tensorflow', reason: t.reason });
  }
  if (pref === 'auto' || pref === 'webgpu') {
    const g = await tryWebgpu(pref === 'webgpu');
    if (g.ok) return { ...g.desc, fallbacks };
    if (pref === 'webgpu') throw new BackendUnavailableError('webgpu', g.reason);
    fallbacks.push({ name: 'webgpu', reason: g.reason });
  }
  if (tensorflowOnCpu) {
    await tf.setBackend('tensorflow');
    return { ...tensorflowOnCpu, gpuReason: noGpu(tensorflowOnCpu.gpuReason), fallbacks };
  }
  if (pref === 'auto' || pref === 'wasm') {
    const w = await tryWasm();
    if (w.ok)
      return { ...w.desc, gpuReason: fallbacks.length > 0 ? noGpu(null) : w.desc.gpuReason, fallbacks };
    if (pref === 'wasm') throw new BackendUnavailableError('wasm', w.reason);
    fallbacks.push({ name: 'wasm', reason: w.reason });
  }
  const c = await useCpu();
  const gpuReasons = fallbacks.filter((f) => f.name !== 'wasm');
  return {
    ...c,
    gpuReason: gpuReasons.length > 0 ? gpuReasons.map((f) => f.reason).join('; ') : c.gpuReason,
    fallbacks,
  };
}

export function describeBackend(d: BackendDescription): string {
  const gpu = d.gpu ? 'GPU' : `no GPU: ${d.gpuReason}`;
  return `${d.name} (${d.details}, ${d.threads} thread${d.threads === 1 ? '' : 's'}; ${gpu})`;
}
