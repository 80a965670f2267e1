/**
 * Our own wasm SIMD kernels (compiled from native/*.c), run in place on tfjs-backend-wasm's
 * heap: the module imports the backend's WebAssembly.Memory, so a tensor's data is passed as
 * its byte offset and nothing is copied in or out.
 *
 * One instance per backend memory (each worker thread has its own backend). Where the module
 * cannot be used, the callers keep their XNNPACK formulations: a runtime without wasm SIMD, a
 * tfjs build that does not expose its memory, or DEML_NATIVE_KERNELS=0 (for A/B measurements,
 * and as an escape hatch should a kernel ever be suspected).
 *
 * The module comes in two builds: with relaxed SIMD, whose register tiles fuse each multiply-add
 * (12–33% faster kernels here), taken wherever the runtime compiles it (Electron and Node ≥ 22
 * ship relaxed SIMD; Node 20 has it behind a V8 flag, which is turned on for it, see
 * kernelsModule), and without, for any other runtime. DEML_RELAXED_SIMD=0 keeps the plain build
 * (A/B measurements, and an escape hatch). Every thread of a process takes the same build, so
 * runs stay bit-for-bit equal on 1 and N threads.
 */
import { setFlagsFromString } from 'node:v8';
import { KERNELS_RELAXED_WASM_BASE64, KERNELS_WASM_BASE64 } from './native/kernelsWasm';

/** Which build of the module: 'relaxed' (fused multiply-adds) or 'plain'. */
export type KernelsBuild = 'relaxed' | 'plain';

/**
 * The 3×3 stride-1 'same' convolution kernels and their filter gradients: (input, filter or
 * output gradient, output[, scratch], n, h, w[, ci], co), tensors and scratch as byte offsets.
 */
type SameConv3x3 = (
  x: number,
  b: number,
  out: number,
  scratch: number,
  n: number,
  h: number,
  w: number,
  ci: number,
  co: number,
) => void;
type SingleChannelConv3x3 = (
  x: number,
  b: number,
  out: number,
  n: number,
  h: number,
  w: number,
  co: number,
) => void;

/**
 * The byte offsets batch norm's forward kernels take first (batchNorm.c, batchNormPool.c: the
 * same inputs and statistics outputs), then their shape.
 */
type BatchNormForwardHeap = [
  x: number,
  gamma: number,
  beta: number,
  y: number,
  mean: number,
  rstd: number,
  scratch: number,
];
/** Likewise for their backward kernels. */
type BatchNormBackwardHeap = [
  x: number,
  dy: number,
  gamma: number,
  beta: number,
  mean: number,
  rstd: number,
  dx: number,
  dgamma: number,
  dbeta: number,
  scratch: number,
];

export interface NativeKernels {
  /**
   * dw[a,b,i,o] = Σ_{n,y,x} x[n, y·sh+a−pt, x·sw+b−pl, i] · dy[n,y,x,o] (NHWC, float32, taps
   * outside x read as zero). Arguments are byte offsets into the backend's heap.
   */
  conv2dFilterGrad(
    x: number,
    dy: number,
    dw: number,
    n: number,
    h: number,
    w: number,
    ci: number,
    ho: number,
    wo: number,
    co: number,
    fh: number,
    fw: number,
    sh: number,
    sw: number,
    pt: number,
    pl: number,
  ): void;
  /**
   * dx[n,iy,ix,i] = Σ_{a,b,o} dy[n,y,x,o] · w[a,b,i,o] over iy = y·sh+a−pt, ix = x·sw+b−pl: the
   * input gradient of a conv (NHWC, float32, no dilation; native/stridedConv.c, written for
   * strided convs). ci a multiple of 4; scratch holds conv2dInputGradScratchFloats(ci, co, fh, fw)
   * floats. Arguments are byte offsets into the backend's heap.
   */
  conv2dInputGrad(
    dy: number,
    w: number,
    dx: number,
    scratch: number,
    n: number,
    h: number,
    wd: number,
    ci: number,
    ho: number,
    wo: number,
    co: number,
    fh: number,
    fw: number,
    sh: number,
    sw: number,
    pt: number,
    pl: number,
  ): void;
  conv2dInputGradScratchFloats(ci: number, co: number, fh: number, fw: number): number;
  /**
   * y[n,oy,ox,o] = Σ_{a,b,i} x[n, oy·sh+a−pt, ox·sw+b−pl, i] · w[a,b,i,o], taps outside x reading
   * zero: a conv (NHWC, float32, no dilation) directly (native/stridedConv.c, written for strided
   * convs), with the same arguments as conv2dInputGrad but x, w, y. co a multiple of 4; scratch
   * holds conv2dForwardScratchFloats(ci) floats.
   */
  conv2dForward: NativeKernels['conv2dInputGrad'];
  conv2dForwardScratchFloats(ci: number): number;
  /**
   * dx of a 2×2 stride-2 unpadded max-pool of x [n,h,w,c] (NHWC, float32), g its gradient
   * [n,oh,ow,c]: each window's gradient to its first maximum, NaNs never winning.
   */
  maxPool2x2Grad(
    x: number,
    g: number,
    dx: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
  ): void;
  /**
   * y [n,h,w,co] = the 3×3 stride-1 convolution of x [n,h,w,ci] with f [3,3,ci,co], padded by 1
   * on every side (tfjs's 'same'), by Winograd's F(2×2, 3×3) (native/winograd.c):
   * (x, f, y, scratch, n, h, w, ci, co). ci and co multiples of 4; scratch holds
   * winogradScratchFloats(ci, co, 1) floats.
   */
  conv3x3Winograd: SameConv3x3;
  /** The same convolution by F(4×4, 3×3) (native/winograd4.c); scratch: winograd4ScratchFloats. */
  conv3x3Winograd4: SameConv3x3;
  winograd4ScratchFloats(ci: number, co: number): number;
  /**
   * dw [3,3,ci,co] of that convolution from x [n,h,w,ci] and dy [n,h,w,co], by F(3×3, 2×2):
   * (x, dy, dw, scratch, n, h, w, ci, co); scratch holds winogradScratchFloats(ci, co, 0) floats.
   */
  conv3x3WinogradFilterGrad: SameConv3x3;
  /** The same filter gradient by F(3×3, 4×4); scratch: winograd4FilterGradScratchFloats. */
  conv3x3Winograd4FilterGrad: SameConv3x3;
  winograd4FilterGradScratchFloats(ci: number, co: number): number;
  /** Scratch floats of the F(2×2, 3×3) forward (forward = 1) or filter-gradient (0) kernel. */
  winogradScratchFloats(ci: number, co: number, forward: 0 | 1): number;
  /** The same convolution of a one-channel x [n,h,w,1] with f [3,3,1,co]: (x, f, y, n, h, w, co). */
  conv3x3SingleChannel: SingleChannelConv3x3;
  /** Its filter gradient dw [3,3,1,co] from x [n,h,w,1] and dy [n,h,w,co]: (x, dy, dw, n, h, w, co). */
  conv3x3SingleChannelFilterGrad: SingleChannelConv3x3;
  /**
   * Batch norm over the rows of x [rows, c] (c a multiple of 4) with the batch's statistics,
   * then a ReLU if relu = 1: writes y [rows, c], mean [c] and rstd = 1/√(var + eps) [c].
   * scratch: c floats.
   */
  batchNormForward(
    ...args: [...BatchNormForwardHeap, rows: number, c: number, relu: 0 | 1, eps: number]
  ): void;
  /**
   * Its gradients dx [rows, c], dgamma and dbeta [c] from dy [rows, c], given the forward pass's
   * mean and rstd. scratch: 3c floats.
   */
  batchNormBackward(...args: [...BatchNormBackwardHeap, rows: number, c: number, relu: 0 | 1]): void;
  /**
   * batchNormBackward's own gradient (second-order MAML's support set): from a = d/d(dx)
   * [rows, c] and bg = d/d(dgamma), bb = d/d(dbeta) [c], writes gx = d/dx [rows, c] (the
   * statistics' dependence on x included), ggamma [c] and gdy = d/d(dy) [rows, c]. scratch: 11c
   * floats.
   */
  batchNormBackwardBackward(
    x: number,
    dy: number,
    gamma: number,
    beta: number,
    mean: number,
    rstd: number,
    a: number,
    bg: number,
    bb: number,
    gx: number,
    ggamma: number,
    gdy: number,
    scratch: number,
    rows: number,
    c: number,
    relu: 0 | 1,
  ): void;
  /**
   * maxPool2x2(relu(batch norm)) of x [n,h,w,c] (c a multiple of 4, the pooling 2×2, stride 2,
   * unpadded): writes y [n, h/2, w/2, c] (rounded down) and, as batchNormForward, mean and rstd.
   * scratch: c floats.
   */
  batchNormPoolForward(
    ...args: [...BatchNormForwardHeap, n: number, h: number, w: number, c: number, eps: number]
  ): void;
  /** Its gradients dx [n,h,w,c], dgamma and dbeta [c] from the pooled dy. scratch: 3c floats. */
  batchNormPoolBackward(
    ...args: [...BatchNormBackwardHeap, n: number, h: number, w: number, c: number]
  ): void;
}

/** The part of tfjs-backend-wasm's emscripten module this needs. */
interface EmscriptenModule {
  asm?: { memory?: unknown };
}

const compiled = new Map<KernelsBuild, WebAssembly.Module | null>();
const instances = new WeakMap<WebAssembly.Memory, NativeKernels>();

function compile(build: KernelsBuild): WebAssembly.Module | null {
  try {
    const base64 = build === 'relaxed' ? KERNELS_RELAXED_WASM_BASE64 : KERNELS_WASM_BASE64;
    return new WebAssembly.Module(Buffer.from(base64, 'base64'));
  } catch {
    return null; // no wasm SIMD, or (for 'relaxed') no relaxed SIMD
  }
}

/**
 * Whether this is a V8 that has relaxed SIMD behind its flag rather than on: before 11.4 (Node
 * 20's 11.3; Electron's and Node 22's are later and have it on).
 */
export function relaxedSimdBehindFlag(v8 = process.versions.v8): boolean {
  const [major = 0, minor = 0] = v8.split('.').map(Number);
  return major < 11 || (major === 11 && minor < 4);
}

/**
 * A build's compiled module, or null where this runtime cannot compile it. On Node 20 the relaxed
 * build first turns on V8's --experimental-wasm-relaxed-simd, a flag that lets the wasm decoder
 * accept the relaxed opcodes (on by default from V8 11.4), for this process and its worker
 * threads, so that `deml` and the benches on Node 20 run the same kernels as the desktop app (the
 * kernel tests check that build's results on Node 20). Not done under DEML_RELAXED_SIMD=0.
 */
function kernelsModule(build: KernelsBuild): WebAssembly.Module | null {
  let module = compiled.get(build);
  if (module === undefined) {
    module = compile(build);
    if (module == null && build === 'relaxed' && relaxedSimdBehindFlag()) {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
      module = compile(build);
    }
    compiled.set(build, module);
  }
  return module;
}

/** The builds this runtime can compile. */
export function availableKernelBuilds(): KernelsBuild[] {
  return (['relaxed', 'plain'] as const).filter((b) => kernelsModule(b) != null);
}

/** The build this process uses: relaxed where it compiles, unless DEML_RELAXED_SIMD=0. */
export function preferredKernelsBuild(env: NodeJS.ProcessEnv = process.env): KernelsBuild {
  if (env.DEML_RELAXED_SIMD?.trim() === '0') return 'plain';
  return kernelsModule('relaxed') != null ? 'relaxed' : 'plain';
}

export function nativeKernelsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DEML_NATIVE_KERNELS?.trim() !== '0';
}

/** The kernels on a memory of their own choosing (the tests use a fresh one, and each build). */
export function instantiateNativeKernels(
  memory: WebAssembly.Memory,
  build: KernelsBuild = preferredKernelsBuild(),
): NativeKernels | null {
  const module = kernelsModule(build);
  if (module == null) return null;
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  return {
    conv2dFilterGrad: exports.conv2d_filter_grad as NativeKernels['conv2dFilterGrad'],
    conv2dInputGrad: exports.conv2d_input_grad as NativeKernels['conv2dInputGrad'],
    conv2dInputGradScratchFloats:
      exports.conv2d_input_grad_scratch_floats as NativeKernels['conv2dInputGradScratchFloats'],
    conv2dForward: exports.conv2d_forward as NativeKernels['conv2dForward'],
    conv2dForwardScratchFloats:
      exports.conv2d_forward_scratch_floats as NativeKernels['conv2dForwardScratchFloats'],
    maxPool2x2Grad: exports.max_pool_2x2_grad as NativeKernels['maxPool2x2Grad'],
    conv3x3Winograd: exports.conv3x3_winograd as SameConv3x3,
    conv3x3Winograd4: exports.conv3x3_winograd4 as SameConv3x3,
    winograd4ScratchFloats: exports.winograd4_scratch_floats as NativeKernels['winograd4ScratchFloats'],
    conv3x3WinogradFilterGrad: exports.conv3x3_winograd_filter_grad as SameConv3x3,
    conv3x3Winograd4FilterGrad: exports.conv3x3_winograd4_filter_grad as SameConv3x3,
    winograd4FilterGradScratchFloats:
      exports.winograd4_filter_grad_scratch_floats as NativeKernels['winograd4FilterGradScratchFloats'],
    winogradScratchFloats: exports.winograd_scratch_floats as NativeKernels['winogradScratchFloats'],
    conv3x3SingleChannel: exports.conv3x3_single_channel as SingleChannelConv3x3,
    conv3x3SingleChannelFilterGrad: exports.conv3x3_single_channel_filter_grad as SingleChannelConv3x3,
    batchNormForward: exports.batch_norm_forward as NativeKernels['batchNormForward'],
    batchNormBackward: exports.batch_norm_backward as NativeKernels['batchNormBackward'],
    batchNormBackwardBackward:
      exports.batch_norm_backward_backward as NativeKernels['batchNormBackwardBackward'],
    batchNormPoolForward: exports.batch_norm_pool_forward as NativeKernels['batchNormPoolForward'],
    batchNormPoolBackward: exports.batch_norm_pool_backward as NativeKernels['batchNormPoolBackward'],
  };
}

/** The kernels bound to this wasm backend's heap, or null where they cannot run. */
export function nativeKernelsFor(backend: unknown): NativeKernels | null {
  if (!nativeKernelsEnabled()) return null;
  const memory = (backend as { wasm?: EmscriptenModule }).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    const made = instantiateNativeKernels(memory);
    if (made == null) return null;
    instances.set(memory, made);
    kernels = made;
  }
  return kernels;
}

/** For the backend description: whether the training kernels are ours or the fallbacks. */
export function describeNativeKernels(backend: unknown): string {
  if (!nativeKernelsEnabled()) return 'native training kernels off (DEML_NATIVE_KERNELS=0)';
  if (nativeKernelsFor(backend) == null) {
    return 'native training kernels unavailable (no wasm SIMD or no heap access): XNNPACK fallbacks';
  }
  return preferredKernelsBuild() === 'relaxed'
    ? 'native training kernels (fused multiply-add)'
    : 'native training kernels';
}
