/**
 * The WebGPU backend: Dawn, Chrome's WebGPU implementation (npm `webgpu`, a Node-API addon whose
 * package ships prebuilt binaries for Linux, macOS and Windows), under tfjs-backend-webgpu. It
 * serves any GPU with a Vulkan, Metal or Direct3D 12 driver: NVIDIA (the driver alone, no CUDA
 * toolkit), AMD, Intel and Apple silicon.
 *
 * A CPU adapter (SwiftShader, llvmpipe) is taken only when the user forces this backend: it is how
 * CI runs this path without a GPU, and it trains far slower than wasm.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { listsLibrary, readLdconfigCache } from './sharedLibraries';
import { tf } from './tf';

/** What a run's backend line says of the adapter. */
export interface GpuAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (SwiftShader, llvmpipe): no GPU. */
  cpu: boolean;
  /** The limits that bound what one tensor (one buffer) can hold. */
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
}

export type WebgpuStart = { ok: true; adapter: GpuAdapterSummary } | { ok: false; reason: string };

/** The few members of Dawn's objects read here (the DOM's WebGPU types are not in this build). */
interface DawnAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface DawnDevice {
  lost: Promise<{ reason: string; message: string }>;
  features: { has(name: string): boolean };
}
interface DawnAdapter {
  info: DawnAdapterInfo;
  limits: Record<string, number>;
  features: { has(name: string): boolean };
  requestDevice(descriptor: {
    requiredFeatures?: string[];
    requiredLimits?: Record<string, number>;
  }): Promise<DawnDevice>;
}
interface DawnGpu {
  requestAdapter(options?: {
    powerPreference?: 'high-performance' | 'low-power';
  }): Promise<DawnAdapter | null>;
}

const CPU_ADAPTER = /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/i;

/** The limits tfjs-backend-webgpu asks the device for: the adapter's own, not WebGPU's defaults. */
const DEVICE_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;

export function summariseAdapter(adapter: Pick<DawnAdapter, 'info' | 'limits'>): GpuAdapterSummary {
  const info = adapter.info ?? {};
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`;
  return {
    vendor: info.vendor || 'unknown vendor',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    cpu: info.isFallbackAdapter === true || CPU_ADAPTER.test(text),
    maxBufferSize: adapter.limits.maxBufferSize ?? 0,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize ?? 0,
    maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize ?? 0,
    maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup ?? 0,
  };
}

/**
 * "Dawn on google swiftshader (SwiftShader driver 5.0.0); one buffer ≤ 1 GiB, 32 KiB workgroup
 * storage, 256 invocations per workgroup": the adapter's vendor, architecture and description.
 */
export function describeAdapter(a: GpuAdapterSummary): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ');
  const detail = a.description || a.device;
  const gib = (n: number) => `${+(n / 2 ** 30).toFixed(2)} GiB`;
  return (
    `Dawn on ${name}${detail ? ` (${detail})` : ''}; one buffer ≤ ${gib(Math.min(a.maxBufferSize, a.maxStorageBufferBindingSize))}, ` +
    `${a.maxComputeWorkgroupStorageSize / 1024} KiB workgroup storage, ${a.maxComputeInvocationsPerWorkgroup} invocations per workgroup`
  );
}

/**
 * Where Dawn looks for a Vulkan driver on Linux, for a "no adapter" message a user can act on:
 * the loader (libvulkan.so.1) and the driver manifests (ICD files).
 */
export function vulkanEvidence(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform !== 'linux') {
    return process.platform === 'darwin' ? 'Metal found no device' : 'Direct3D 12 / Vulkan found no device';
  }
  const listing = readLdconfigCache();
  const loader =
    listing === null
      ? 'unknown (ldconfig failed)'
      : listsLibrary(listing, 'libvulkan.so.1')
        ? 'found'
        : 'not in the ldconfig cache';
  const forced = env.VK_ICD_FILENAMES ?? env.VK_DRIVER_FILES;
  const icds = forced
    ? forced.split(':').filter(Boolean)
    : ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'].flatMap((dir) => {
        try {
          return readdirSync(dir).map((f) => `${dir}/${f}`);
        } catch {
          return [];
        }
      });
  const missing = forced ? icds.filter((f) => !existsSync(f)) : [];
  return (
    `Vulkan loader libvulkan.so.1 ${loader}` +
    (loader === 'found' ? '' : ' (Debian/Ubuntu: apt-get install libvulkan1)') +
    `; Vulkan drivers: ${icds.length > 0 ? icds.join(', ') : 'none under /usr/share/vulkan/icd.d or /etc/vulkan/icd.d'}` +
    (missing.length > 0 ? ` (missing: ${missing.join(', ')})` : '') +
    (forced ? ' (from VK_ICD_FILENAMES)' : '')
  );
}

let dawn: { gpu: DawnGpu } | null = null;

async function loadDawn(): Promise<{ gpu: DawnGpu } | string> {
  if (dawn) return dawn;
  try {
    const { create, globals } = (await import('webgpu')) as unknown as {
      create(flags: string[]): DawnGpu;
      globals: Record<string, unknown>;
    };
    // tfjs-backend-webgpu reads GPUBufferUsage and friends as globals, and navigator.gpu.
    Object.assign(globalThis, globals);
    const gpu = create([]);
    const nav = (globalThis as { navigator?: object }).navigator;
    if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    else
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    dawn = { gpu };
    return dawn;
  } catch (e) {
    return `the webgpu package (Dawn) failed to load: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** The adapter Dawn would give this process, or why there is none; starts nothing. */
async function probeWebgpuAdapter(): Promise<
  { ok: true; adapter: DawnAdapter; summary: GpuAdapterSummary } | { ok: false; reason: string }
> {
  const d = await loadDawn();
  if (typeof d === 'string') return { ok: false, reason: d };
  let adapter: DawnAdapter | null;
  try {
    adapter = await d.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { ok: false, reason: `no GPU adapter: Dawn failed: ${(e as Error).message.split('\n')[0]}` };
  }
  if (!adapter) return { ok: false, reason: `no GPU adapter: Dawn found none (${vulkanEvidence()})` };
  return { ok: true, adapter, summary: summariseAdapter(adapter) };
}

/**
 * The adapter as a child process sees it: what `auto` asks before it loads Dawn here. Where there
 * is no GPU (most machines this runs on), Dawn writes its drivers' complaints straight to the
 * process's stderr ("Couldn't load Vulkan", lavapipe's missing feature), and a broken driver can
 * take the process down; in a child, neither reaches the user's run.
 */
export function probeWebgpuInChild(timeoutMs = 20_000): ChildProbe {
  // Asked once per process and driver choice: a preset's runs, and an evaluation after training,
  // ask again; the Vulkan loader's driver variables change the answer.
  const key = `${process.env.VK_ICD_FILENAMES ?? ''}|${process.env.VK_DRIVER_FILES ?? ''}`;
  let probe = childProbes.get(key);
  if (!probe) childProbes.set(key, (probe = probeInChild(timeoutMs)));
  return probe;
}

type ChildProbe = { ok: true; summary: GpuAdapterSummary } | { ok: false; reason: string };
const childProbes = new Map<string, ChildProbe>();

function probeInChild(timeoutMs: number): ChildProbe {
  let entry: string;
  try {
    entry = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch (e) {
    return {
      ok: false,
      reason: `the webgpu package (Dawn) is not installed: ${(e as Error).message.split('\n')[0]}`,
    };
  }
  const script = `
    const { create, globals } = await import(${JSON.stringify(entry)});
    Object.assign(globalThis, globals);
    const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
    const copy = (o) => { const c = {}; for (const k in o) if (typeof o[k] !== 'object') c[k] = o[k]; return c; };
    const info = a ? copy(a.info) : null;
    const limits = a ? copy(a.limits) : null;
    process.stdout.write(JSON.stringify({ info, limits }));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: timeoutMs,
    // Inside Electron, execPath is the app: this makes it plain Node for the probe.
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  if (r.status !== 0 || r.error) {
    const why = r.error?.message ?? (r.signal ? `killed by ${r.signal}` : r.stderr.trim().split('\n').at(-1));
    return { ok: false, reason: `no GPU adapter: the Dawn probe failed (${why})` };
  }
  let out: { info: DawnAdapterInfo | null; limits: Record<string, number> | null };
  try {
    out = JSON.parse(r.stdout) as typeof out;
  } catch {
    return { ok: false, reason: 'no GPU adapter: the Dawn probe printed no answer' };
  }
  if (!out.info || !out.limits)
    return { ok: false, reason: `no GPU adapter: Dawn found none (${vulkanEvidence()})` };
  return { ok: true, summary: summariseAdapter({ info: out.info, limits: out.limits }) };
}

let started: GpuAdapterSummary | null = null;

/** Why `auto` (or a start that may not use one) passes a CPU adapter by. */
export function cpuAdapterRefusal(a: GpuAdapterSummary): string {
  return (
    `no GPU adapter: Dawn's only adapter is ${a.description || a.architecture || a.vendor}, a CPU ` +
    `implementation of the GPU API (--backend webgpu forces it; slower than wasm)`
  );
}

/**
 * Start tfjs's webgpu backend on Dawn's adapter. A CPU adapter is refused unless `allowCpu` (the
 * user forced this backend), with the reason saying how to force it.
 */
export async function startWebgpu(allowCpu: boolean): Promise<WebgpuStart> {
  // One device per process: a second start reuses it (a new one would drop every tensor).
  if (started) {
    if (started.cpu && !allowCpu) return { ok: false, reason: cpuAdapterRefusal(started) };
    if (await tf.setBackend('webgpu')) return { ok: true, adapter: started };
  }
  const probe = await probeWebgpuAdapter();
  if (!probe.ok) return probe;
  const { adapter, summary } = probe;
  if (summary.cpu && !allowCpu) return { ok: false, reason: cpuAdapterRefusal(summary) };
  try {
    const requiredLimits: Record<string, number> = {};
    for (const name of DEVICE_LIMITS) {
      const v = adapter.limits[name];
      if (v !== undefined) requiredLimits[name] = v;
    }
    const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
    // Nothing here may throw from a callback: a lost device is recorded and said once.
    void device.lost.then(
      (info) => {
        if (info.reason === 'destroyed') return;
        process.stderr.write(`webgpu: the GPU device was lost: ${info.message || info.reason}\n`);
      },
      () => undefined,
    );
    const { WebGPUBackend } = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as {
      WebGPUBackend: new (device: DawnDevice, info: DawnAdapterInfo) => tf.KernelBackend;
    };
    // The package registers a factory of its own that asks for an adapter again; this one uses
    // the device made above, so the adapter described is the one that computes.
    if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info), 0);
    if (!(await tf.setBackend('webgpu'))) return { ok: false, reason: 'the webgpu backend did not start' };
    await tf.ready();
  } catch (e) {
    return {
      ok: false,
      reason: `the webgpu backend failed to start: ${(e as Error).message.split('\n')[0]}`,
    };
  }
  started = summary;
  return { ok: true, adapter: summary };
}
