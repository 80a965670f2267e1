/**
 * Training kernels for the wasm backend. tfjs-backend-wasm has no Conv2DBackpropFilter kernel
 * (so it cannot train a conv net at all) and its Conv2DBackpropInput runs at a tenth of the
 * forward conv's speed (docs/TFJS-NOTES.md). Both are written here:
 *
 * - filter gradient: dw[a,b,i,o] = Σ_{n,y,x} x[n, y·s+a−pt, x·s+b−pl, i] · dy[n,y,x,o], by our
 *   own wasm SIMD kernel (native/filterGradient.c: 2–5× faster, since XNNPACK would repack a
 *   whole activation as a filter on every call); where that module cannot run, as a conv of x
 *   transposed to [Cin,H,W,N] with dy transposed to [Ho,Wo,N,Cout] as the filter, dilated by
 *   the stride, then transposed back to [fh,fw,Cin,Cout];
 * - input gradient: a conv of dy with the filter rotated 180° and its channel axes swapped; for
 *   a strided conv, native/stridedConv.c's direct kernel, phase by phase over each phase's own
 *   taps (1.6–4× the previous path, which stays where input channels are not in fours: one
 *   XNNPACK conv per output phase and a JavaScript scatter, see stridedInputGradient), so no
 *   multiplication by an inserted zero is spent;
 * - strided convs and first layers with fewer than 4 input channels: the forward pass by the
 *   same file's direct kernel (see directConv);
 * - 3×3 stride-1 'same' convs with channels in fours (conv4 after its first layer, most of the
 *   ResNet generator, and their input gradients, which are such convs too): forward and filter
 *   gradient by Winograd's minimal filtering: the forward pass by F(4×4, 3×3)
 *   (native/winograd4.c: 36 multiplications per 4×4 outputs instead of 144; 1.1–1.6× F(2×2,
 *   3×3) on 75 images, which was itself about 2.3× XNNPACK's forward conv on conv4's
 *   75×14×14×64, and which stays for calls with few tiles, see winogradTile), the filter
 *   gradient by its dual F(3×3, 4×4) (the same file: 1.2–1.8× F(3×3, 2×2) on 75 images) or,
 *   with few tiles, F(3×3, 2×2) (native/winograd.c: 2× our direct filter gradient there; see
 *   winogradFilterTile); with one
 *   input channel (the first layer on grey images), forward and filter gradient by
 *   native/singleChannel.c, about 1.7× and 1.9× the previous path.
 *
 * A profile of one MAML task (bench/profile.ts) showed a third of the time in kernels that do
 * little arithmetic, and these are replaced too, with the same results:
 * - Sum and Mean over leading axes (batch norm's statistics, and every gradient of a per-channel
 *   parameter): the stock kernels transpose the whole tensor first (25 ms for 75×28×28×64);
 *   here they are two XNNPACK average pools (2.2 ms; a product with a ones vector would be as
 *   fast on a reused tensor but repacks each new one, 70 ms);
 * - MaxPoolGrad: the stock kernel took 110 ms on the same tensor; here it is one pass over the
 *   wasm heap (28 ms in JavaScript; for conv4's 2×2 pooling, native/maxPoolGrad.c in about a
 *   tenth of that), routing each window's gradient to its first maximum as the cpu backend
 *   does (the tests compare with it, ties, NaNs and overlapping windows included);
 * - Identity, and Cast to the same dtype: the stock kernels copy (tfjs clones every tensor a
 *   gradient saves); here they share the buffer by reference count, as the cpu backend does.
 *
 * A profile of a MANN task (an LSTM stepping over sequences) found two more: products with a
 * transposed operand, which every matMul's gradient takes (makeBatchMatMulWasm), and Slice,
 * Unpack and SplitV, which copied their whole input per piece (wasmSlices.ts).
 *
 * Kernels are composed from the backend's own kernel functions (not tf ops), so nothing here is
 * recorded on a gradient tape or tracked by the engine; every intermediate is freed before return.
 */
import { tf } from '../tf';
import type { TensorInfo } from '../tf';
import { registerBatchNormWasmKernels } from './batchNorm';
import { registerBatchNormPoolWasmKernels } from './batchNormPool';
import { type NativeKernels, nativeKernelsFor } from './nativeKernels';
import { type KernelArgs, type WasmBackend, heapOffsets, withScratch } from './wasmHeap';
import { makeSliceWasm, makeSplitVWasm, makeUnpackWasm } from './wasmSlices';

type Pads = [[number, number], [number, number], [number, number], [number, number]];

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function kernel(name: string): (args: KernelArgs) => TensorInfo {
  const config = tf.getKernel(name, 'wasm');
  if (config == null) throw new Error(`the wasm backend has no '${name}' kernel`);
  return config.kernelFunc as unknown as (args: KernelArgs) => TensorInfo;
}

/** Runs backend kernels, freeing every intermediate it made except the one returned. */
class KernelScope {
  private readonly made: TensorInfo[] = [];
  constructor(private readonly backend: tf.KernelBackend) {}

  run(name: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown> = {}): TensorInfo {
    return this.keep(kernel(name)({ inputs, backend: this.backend, attrs }));
  }

  /** Free t with the other intermediates (unless it is the result). */
  keep(t: TensorInfo): TensorInfo {
    this.made.push(t);
    return t;
  }

  /** A stride-1 NHWC conv of x with explicit [before, after] padding per spatial axis. */
  conv(
    x: TensorInfo,
    filter: TensorInfo,
    padY: [number, number],
    padX: [number, number],
    dilations: [number, number] = [1, 1],
  ): TensorInfo {
    const pad: Pads = [[0, 0], padY, padX, [0, 0]];
    return this.run('Conv2D', { x, filter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations });
  }

  finish(result: TensorInfo): TensorInfo {
    for (const t of this.made) if (t !== result) this.backend.disposeData(t.dataId);
    return result;
  }

  /** Free every intermediate (the caller has read what it needed). */
  dispose(): void {
    for (const t of this.made) this.backend.disposeData(t.dataId);
  }
}

/**
 * Which of our native kernels computes this conv, if any. Both need 3×3 taps, stride and
 * dilation 1, one pad on every side (tfjs's 'same'), float32 NHWC, and output channels in fours:
 * - 'winograd', for input channels in fours: every conv4 layer after the first, most of the
 *   ResNet generator, and, since their input gradient is the same kind of conv, those too;
 * - 'single', for one input channel: the first layer on grey images.
 */
function nativeConv(
  info: tf.backend_util.Conv2DInfo,
  ...tensors: TensorInfo[]
): 'winograd' | 'single' | null {
  const same3x3 =
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.padInfo.top === 1 &&
    info.padInfo.left === 1 &&
    info.outHeight === info.inHeight &&
    info.outWidth === info.inWidth &&
    info.outChannels % 4 === 0 &&
    info.batchSize > 0 &&
    info.dataFormat === 'channelsLast' &&
    tensors.every((t) => t.dtype === 'float32');
  if (!same3x3) return null;
  if (info.inChannels === 1) return 'single';
  return info.inChannels % 4 === 0 ? 'winograd' : null;
}

/**
 * Conv2D: the 3×3 stride-1 'same' convs by Winograd's F(4×4, 3×3) (native/winograd4.c) or, with
 * few tiles, F(2×2, 3×3) (native/winograd.c; see winogradTile), or, with one input channel, by
 * native/singleChannel.c; everything else by the stock XNNPACK kernel.
 */
export function makeConv2dWasm(stock: (args: KernelArgs) => TensorInfo): (args: KernelArgs) => TensorInfo {
  return (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const a = args.attrs as unknown as ConvAttrs & { dilations: number | [number, number] };
    const native = nativeKernelsFor(args.backend);
    if (native == null) return stock(args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode,
      false,
      a.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast',
    );
    const kind = nativeConv(info, x, filter);
    if (kind == null) {
      return directConv(info, x, filter)
        ? nativeDirectConv(args.backend as WasmBackend, native, x, filter, info)
        : stock(args);
    }
    const b = args.backend as WasmBackend;
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
    const y = b.makeOutput([n, h, w, co], 'float32');
    const [xAt, fAt, yAt] = heapOffsets(b, x, filter, y);
    if (kind === 'single') native.conv3x3SingleChannel(xAt, fAt, yAt, n, h, w, co);
    else if (winogradTile(n, h, w) === 4) {
      withScratch(b, native.winograd4ScratchFloats(ci, co), (scratch) =>
        native.conv3x3Winograd4(xAt, fAt, yAt, scratch, n, h, w, ci, co),
      );
    } else {
      withScratch(b, native.winogradScratchFloats(ci, co, 1), (scratch) =>
        native.conv3x3Winograd(xAt, fAt, yAt, scratch, n, h, w, ci, co),
      );
    }
    return y;
  };
}

/**
 * Whether a conv that no Winograd or single-channel kernel takes goes to native/stridedConv.c's
 * direct forward pass rather than XNNPACK: the strided convs (measured on the generator's, 75
 * images, one thread: 1.1–1.3× XNNPACK's speed on its 3×3 stride-2 layers, 2–3× on its 1×1
 * stride-2 shortcuts) and those with fewer than 4 input channels (a first layer on RGB images:
 * 2.1× on 75×84×84×3 to 32 channels). Output channels in fours, float32 NHWC, no dilation.
 */
function directConv(info: tf.backend_util.Conv2DInfo, ...tensors: TensorInfo[]): boolean {
  return (
    (info.strideHeight > 1 || info.strideWidth > 1 || info.inChannels < 4) &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.outChannels % 4 === 0 &&
    info.dataFormat === 'channelsLast' &&
    tensors.every((t) => t.dtype === 'float32')
  );
}

/**
 * Runs one of native/stridedConv.c's kernels, which take the same arguments (input, filter,
 * output, scratch, then the conv's geometry), into a new output of `shape`: the forward pass
 * (input x, output y) or the input gradient (input dy, output dx).
 */
function runStridedConvKernel(
  backend: WasmBackend,
  kernel: NativeKernels['conv2dForward'],
  scratchFloats: number,
  input: TensorInfo,
  filter: TensorInfo,
  shape: number[],
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  const [inAt, fAt, outAt] = heapOffsets(backend, input, filter, out);
  withScratch(backend, scratchFloats, (scratch) =>
    kernel(
      inAt,
      fAt,
      outAt,
      scratch,
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.outChannels,
      info.filterHeight,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
    ),
  );
  return out;
}

/** A conv by native/stridedConv.c's direct forward pass (see directConv). */
function nativeDirectConv(
  backend: WasmBackend,
  native: NativeKernels,
  x: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const shape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  const scratch = native.conv2dForwardScratchFloats(info.inChannels);
  return runStridedConvKernel(backend, native.conv2dForward, scratch, x, filter, shape, info);
}

/**
 * Which Winograd forward kernel a 3×3 'same' conv of n images of h×w takes: F(4×4, 3×3) (4) or
 * F(2×2, 3×3) (2). Both cost a filter transform per call plus a part per output tile; F(4×4)'s
 * transform costs about 3× F(2×2)'s and each of its 4×4 tiles 2.7× a 2×2 one (fitted to
 * 64-channel timings: 0.138 against 0.044 ms, and 10.2 against 3.8 µs a tile; in units of the
 * latter below), so it pays off
 * once there are enough tiles: on the query sets everywhere, not on a 5-image support set of
 * 3×3 or 4×4 maps (there F(2×2) is 1.5× as fast).
 */
export function winogradTile(n: number, h: number, w: number): 2 | 4 {
  return 36.5 + 2.7 * tileCount(n, h, w, 4) < 11.6 + tileCount(n, h, w, 2) ? 4 : 2;
}

/** Tiles of size × size that cover n maps of h × w. */
function tileCount(n: number, h: number, w: number, size: number): number {
  return n * Math.ceil(h / size) * Math.ceil(w / size);
}

/**
 * Which Winograd filter gradient a 3×3 'same' conv of n images of h×w takes: F(3×3, 4×4) (4)
 * or F(3×3, 2×2) (2). Each sums its products over the tiles and transforms the sum once per call,
 * a fixed part that F(3×3, 4×4) (36 transform points) pays about 4× over; its 4×4 tiles each cost
 * about 2.4× a 2×2 one (fitted to 64- and 128-channel timings, in units of the latter below). So
 * it takes the query sets and larger maps (1.2–1.8× F(3×3, 2×2) on 75 images of 28×28 to 3×3),
 * not a 5-image support set of 3×3 or 4×4 maps (0.67×) nor 5×5 maps, whose 4×4 tiles are mostly
 * padding. Small channel counts favour F(3×3, 4×4) further (its transforms are cheaper per
 * output), which this leaves out: it errs toward F(3×3, 2×2).
 */
export function winogradFilterTile(n: number, h: number, w: number): 2 | 4 {
  return 30.8 + 2.4 * tileCount(n, h, w, 4) < 8 + tileCount(n, h, w, 2) ? 4 : 2;
}

function assertChannelsLast(attrs: ConvAttrs, op: string): void {
  if (attrs.dataFormat === 'NCHW') {
    throw new Error(`${op}: the wasm training kernels support NHWC only`);
  }
}

export function conv2dBackpropFilterWasm({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  assertChannelsLast(a, 'Conv2DBackpropFilter');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const [, h, w] = x.shape as [number, number, number, number];
  const { top, left } = info.padInfo;
  const native = nativeKernelsFor(backend);
  if (native && x.dtype === 'float32' && dy.dtype === 'float32') {
    const b = backend as WasmBackend;
    const dw = b.makeOutput(a.filterShape, 'float32');
    const [xAt, dyAt, dwAt] = heapOffsets(b, x, dy, dw);
    const { batchSize: n, inChannels: ci, outChannels: co } = info;
    switch (nativeConv(info, x, dy)) {
      case 'single':
        native.conv3x3SingleChannelFilterGrad(xAt, dyAt, dwAt, n, h, w, co);
        break;
      case 'winograd':
        if (winogradFilterTile(n, h, w) === 4) {
          withScratch(b, native.winograd4FilterGradScratchFloats(ci, co), (scratch) =>
            native.conv3x3Winograd4FilterGrad(xAt, dyAt, dwAt, scratch, n, h, w, ci, co),
          );
        } else {
          withScratch(b, native.winogradScratchFloats(ci, co, 0), (scratch) =>
            native.conv3x3WinogradFilterGrad(xAt, dyAt, dwAt, scratch, n, h, w, ci, co),
          );
        }
        break;
      default: {
        const { outHeight: ho, outWidth: wo, filterHeight: fh, filterWidth: fw } = info;
        native.conv2dFilterGrad(
          xAt,
          dyAt,
          dwAt,
          n,
          h,
          w,
          ci,
          ho,
          wo,
          co,
          fh,
          fw,
          info.strideHeight,
          info.strideWidth,
          top,
          left,
        );
      }
    }
    return dw;
  }
  // Extent of x the filter gradient reads, from −pad to the last window's far edge.
  const bottom = info.filterHeight + (info.outHeight - 1) * info.strideHeight - top - h;
  const right = info.filterWidth + (info.outWidth - 1) * info.strideWidth - left - w;

  const scope = new KernelScope(backend);
  let xT = scope.run('Transpose', { x }, { perm: [3, 1, 2, 0] }); // [Cin, H, W, N]
  if (bottom < 0 || right < 0) {
    // 'valid' windows that stop short of the edge: drop the rows/cols no window reads.
    const [cin, , , n] = xT.shape as [number, number, number, number];
    xT = scope.run(
      'Slice',
      { x: xT },
      { begin: [0, 0, 0, 0], size: [cin, h + Math.min(bottom, 0), w + Math.min(right, 0), n] },
    );
  }
  const dyT = scope.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [Ho, Wo, N, Cout]
  const dwT = scope.conv(
    xT,
    dyT,
    [top, Math.max(bottom, 0)],
    [left, Math.max(right, 0)],
    [info.strideHeight, info.strideWidth],
  ); // [Cin, fh, fw, Cout]
  const dw = scope.run('Transpose', { x: dwT }, { perm: [1, 2, 0, 3] });
  return scope.finish(dw);
}

export function makeConv2dBackpropInputWasm(
  fallback: (args: KernelArgs) => TensorInfo,
): (args: KernelArgs) => TensorInfo {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      a.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast',
    );
    if (a.dataFormat === 'NCHW') return fallback({ inputs, backend, attrs });
    if (info.strideHeight > 1 || info.strideWidth > 1) {
      const native = nativeKernelsFor(backend);
      if (native && info.inChannels % 4 === 0 && dy.dtype === 'float32' && filter.dtype === 'float32') {
        return nativeInputGradient(backend as WasmBackend, native, dy, filter, info);
      }
      return stridedInputGradient(backend as WasmBackend, dy, filter, info);
    }
    // Stride 1: a conv of dy with the filter rotated 180°, padded so dx has the input's size.
    const [, h, w] = a.inputShape;
    const top = info.filterHeight - 1 - info.padInfo.top;
    const left = info.filterWidth - 1 - info.padInfo.left;
    const bottom = h + info.filterHeight - 1 - info.outHeight - top;
    const right = w + info.filterWidth - 1 - info.outWidth - left;
    if (top < 0 || left < 0 || bottom < 0 || right < 0) return fallback({ inputs, backend, attrs });
    const scope = new KernelScope(backend);
    const swapped = swappedTaps(
      backend as WasmBackend,
      scope,
      filter,
      flippedTaps(0, 1, info.filterHeight),
      flippedTaps(0, 1, info.filterWidth),
    );
    const dx = scope.conv(dy, swapped, [top, bottom], [left, right]);
    return scope.finish(dx);
  };
}

/**
 * The input gradient of a strided conv by native/stridedConv.c: one pass per phase over
 * that phase's taps only, in register tiles, writing dx in place.
 */
function nativeInputGradient(
  backend: WasmBackend,
  native: NativeKernels,
  dy: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const scratch = native.conv2dInputGradScratchFloats(ci, co, info.filterHeight, info.filterWidth);
  return runStridedConvKernel(backend, native.conv2dInputGrad, scratch, dy, filter, [n, h, w, ci], info);
}

/** One axis of a strided input gradient, split by output phase r = (i + pad) mod stride. */
interface Phase {
  r: number;
  /** Filter taps of this phase: r, r + s, r + 2s, … below the filter size. */
  taps: number;
  /** First and count of j, where the phase's dx positions are i = j·s + r − pad. */
  first: number;
  count: number;
  /**
   * Padding of the stride-1 conv of dy that yields this phase, never negative, and the first of
   * its outputs that belongs to the phase (the conv may yield a few more than `count`).
   */
  before: number;
  after: number;
  skip: number;
  /** Outputs of that conv along this axis. */
  outputs: number;
}

function phases(size: number, outSize: number, filter: number, stride: number, pad: number): Phase[] {
  const out: Phase[] = [];
  for (let r = 0; r < stride; r++) {
    const taps = Math.max(0, Math.ceil((filter - r) / stride));
    const first = Math.ceil((pad - r) / stride);
    const count = Math.floor((size - 1 + pad - r) / stride) - first + 1;
    // Exact padding would be (taps − 1 − first, count − outSize − that + taps − 1); where either
    // is negative, pad by 0 instead and skip (or leave unread) the outputs that fall outside.
    const exact = taps - 1 - first;
    const before = Math.max(0, exact);
    const after = Math.max(0, count - outSize - exact + taps - 1);
    out.push({
      r,
      taps,
      first,
      count,
      before,
      after,
      skip: before - exact,
      outputs: outSize + before + after - taps + 1,
    });
  }
  return out;
}

/** Taps r, r + s, r + 2s, … (`count` of them) in reverse order: one axis of a flipped filter. */
function flippedTaps(r: number, s: number, count: number): number[] {
  return Array.from({ length: count }, (_, u) => r + s * (count - 1 - u));
}

/**
 * The filter's taps at `rows` × `cols`, in that order, with the channel axes swapped:
 * out[u, v, co, ci] = w[rows[u], cols[v], ci, co]. One JavaScript pass over a small tensor: the
 * stock Reverse and Transpose kernels took 7 ms on a 3×3×128×128 filter, on every input gradient.
 */
function swappedTaps(
  backend: WasmBackend,
  scope: KernelScope,
  filter: TensorInfo,
  rows: readonly number[],
  cols: readonly number[],
): TensorInfo {
  const [, kw, cin, cout] = filter.shape as [number, number, number, number];
  const out = scope.keep(backend.makeOutput([rows.length, cols.length, cout, cin], 'float32'));
  // Views after the allocation: growing the heap detaches earlier views.
  const wv = backend.typedArrayFromHeap(filter) as Float32Array;
  const ov = backend.typedArrayFromHeap(out) as Float32Array;
  for (let u = 0; u < rows.length; u++) {
    for (let v = 0; v < cols.length; v++) {
      const from = (rows[u]! * kw + cols[v]!) * cin * cout;
      const to = (u * cols.length + v) * cout * cin;
      for (let ci = 0; ci < cin; ci++) {
        for (let co = 0; co < cout; co++) ov[to + co * cin + ci] = wv[from + ci * cout + co]!;
      }
    }
  }
  return out;
}

/**
 * The input gradient of a strided conv by output phase: the dx positions with the same
 * (i + pad) mod stride all come from one stride-1 conv of dy with the taps of that phase
 * (dx[j·s + r − pad] = Σ_m dy[j − m]·w[r + s·m]), so no multiplication by a zero is spent, where
 * spreading dy by the stride first would spend s² − 1 in s².
 */
function stridedInputGradient(
  backend: WasmBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const ys = phases(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, info.padInfo.top);
  const xs = phases(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, info.padInfo.left);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const dx = backend.makeOutput([n, h, w, cin], 'float32');
  backend.typedArrayFromHeap(dx).fill(0);
  for (const py of ys) {
    for (const px of xs) {
      if (py.taps === 0 || px.taps === 0 || py.count <= 0 || px.count <= 0) continue;
      const scope = new KernelScope(backend);
      const rows = flippedTaps(py.r, sh, py.taps);
      const cols = flippedTaps(px.r, sw, px.taps);
      const sub = swappedTaps(backend, scope, filter, rows, cols);
      const part = scope.conv(dy, sub, [py.before, py.after], [px.before, px.after]); // [N, count_y, count_x, Cin]
      // Views after the allocations above.
      const pv = backend.typedArrayFromHeap(part) as Float32Array;
      const dv = backend.typedArrayFromHeap(dx) as Float32Array;
      for (let b = 0; b < n; b++) {
        for (let jy = 0; jy < py.count; jy++) {
          const y = (py.first + jy) * sh + py.r - info.padInfo.top;
          for (let jx = 0; jx < px.count; jx++) {
            const x = (px.first + jx) * sw + px.r - info.padInfo.left;
            const to = ((b * h + y) * w + x) * cin;
            const from = ((b * py.outputs + py.skip + jy) * px.outputs + px.skip + jx) * cin;
            for (let ci = 0; ci < cin; ci++) dv[to + ci] = pv[from + ci]!;
          }
        }
      }
      scope.dispose();
    }
  }
  return dx;
}

/** A tensor that shares x's buffer (tensors are immutable: kernels never write their inputs). */
function share(x: TensorInfo, backend: WasmBackend): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function identityWasm({ inputs, backend }: KernelArgs): TensorInfo {
  return share(inputs.x!, backend as WasmBackend);
}

export function makeCastWasm(fallback: (args: KernelArgs) => TensorInfo): (args: KernelArgs) => TensorInfo {
  return (args) => {
    const x = args.inputs.x!;
    return args.attrs.dtype === x.dtype ? share(x, args.backend as WasmBackend) : fallback(args);
  };
}

/** [0, 1, …, k − 1] for a reduction over the first k of rank > k axes, else null. */
function leadingAxes(axis: unknown, shape: readonly number[]): number | null {
  const axes = tf.util.parseAxisParam(axis as number | number[], shape as number[]);
  const sorted = [...axes].sort((a, b) => a - b);
  if (sorted.length === 0 || sorted.length >= shape.length) return null;
  return sorted.every((a, i) => a === i) ? sorted.length : null;
}

/** Mean over the rows of x viewed as [rows, cols]: one XNNPACK average pool of a rows × 1 window. */
function meanOfRows(scope: KernelScope, x: TensorInfo, rows: number, cols: number): TensorInfo {
  const view: TensorInfo = { dataId: x.dataId, shape: [1, rows, 1, cols], dtype: x.dtype };
  if (rows === 1) return scope.run('Identity', { x: view });
  return scope.run('AvgPool', { x: view }, { filterSize: [rows, 1], strides: [rows, 1], pad: 'valid' });
}

/**
 * Mean (or Σ) over the leading axes of x, i.e. over the rows of x viewed as [rows, cols], as two
 * XNNPACK average pools: the rows in blocks of `rows / x.shape[0]`, then the block means. Reads
 * stay contiguous (the stock kernels transpose the whole tensor first), every row is counted
 * once whatever the split, and two stages round less than one running float32 sum.
 */
function makeLeadingReduction(
  fallback: (args: KernelArgs) => TensorInfo,
  sum: boolean,
): (args: KernelArgs) => TensorInfo {
  return (args) => {
    const x = args.inputs.x!;
    const k = x.dtype === 'float32' ? leadingAxes(args.attrs.axis, x.shape) : null;
    if (k == null || x.shape.some((d) => d === 0)) return fallback(args);
    const backend = args.backend as WasmBackend;
    const scope = new KernelScope(backend);
    const outer = x.shape[0]!;
    const kept = x.shape.slice(k);
    const cols = kept.reduce((a, b) => a * b, 1);
    const rows = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
    const blocks = meanOfRows(scope, x, rows / outer, outer * cols);
    const out = scope.finish(meanOfRows(scope, blocks, outer, cols));
    if (sum) {
      const values = backend.typedArrayFromHeap(out);
      for (let i = 0; i < values.length; i++) values[i]! *= rows;
    }
    return { ...out, shape: args.attrs.keepDims ? [...x.shape.slice(0, k).map(() => 1), ...kept] : kept };
  };
}

/** The permutation that swaps a rank-n tensor's last two axes. */
function lastTwoSwapped(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
  return perm;
}

/**
 * BatchMatMul with one operand transposed. The stock kernel gives XNNPACK only plain products
 * and runs the others as a plain loop, which is what every matMul's gradient asks for: measured,
 * [200,789]ᵀ·[200,800] took 130 ms against 12 ms with A transposed first, and [4,800]·[360,800]ᵀ
 * 1.1 ms against 0.08 ms as (B·Aᵀ)ᵀ (a MANN's controller, per step). So Aᵀ·B is computed as
 * (A transposed)·B, and A·Bᵀ as (B·Aᵀ)ᵀ: each a plain product of operands transposed first.
 * The same numbers up to summation order; both operands transposed go to the stock kernel.
 */
export function makeBatchMatMulWasm(
  stock: (args: KernelArgs) => TensorInfo,
): (args: KernelArgs) => TensorInfo {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (transposeA === transposeB || a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
    const scope = new KernelScope(args.backend);
    const swapped = (t: TensorInfo) =>
      scope.run('Transpose', { x: t }, { perm: lastTwoSwapped(t.shape.length) });
    const product = (x: TensorInfo, y: TensorInfo) =>
      scope.keep(
        stock({
          inputs: { a: x, b: y },
          backend: args.backend,
          attrs: { transposeA: false, transposeB: false },
        }),
      );
    return scope.finish(transposeA ? product(swapped(a), b) : swapped(product(b, swapped(a))));
  };
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * dx of a max-pool: each window's dy goes to the window's first maximum in row-major order
 * (NaNs never win), summed where windows overlap: the cpu backend's rule (tested against it).
 */
export function maxPoolGradWasm({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const a = attrs as unknown as PoolAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const b = backend as WasmBackend;
  const dx = b.makeOutput(input.shape, 'float32');
  // Views after the allocation: growing the heap detaches earlier views.
  const x = b.typedArrayFromHeap(input) as Float32Array;
  const g = b.typedArrayFromHeap(dy) as Float32Array;
  const out = b.typedArrayFromHeap(dx) as Float32Array;
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  if (
    filterHeight === 2 &&
    filterWidth === 2 &&
    strideHeight === 2 &&
    strideWidth === 2 &&
    top === 0 &&
    left === 0
  ) {
    const native = nativeKernelsFor(backend);
    if (native && input.dtype === 'float32' && dy.dtype === 'float32') {
      native.maxPool2x2Grad(
        x.byteOffset,
        g.byteOffset,
        out.byteOffset,
        batchSize,
        inHeight,
        inWidth,
        c,
        outHeight,
        outWidth,
      );
    } else {
      out.fill(0);
      maxPool2x2Grad(x, g, out, batchSize, inHeight, inWidth, c, outHeight, outWidth);
    }
    return dx;
  }
  out.fill(0);
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let n = 0; n < batchSize; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        best.fill(-Infinity);
        where.fill(-1);
        for (let fy = 0; fy < filterHeight; fy++) {
          const yy = y0 + fy;
          if (yy < 0 || yy >= inHeight) continue;
          for (let fx = 0; fx < filterWidth; fx++) {
            const xx = x0 + fx;
            if (xx < 0 || xx >= inWidth) continue;
            const base = ((n * inHeight + yy) * inWidth + xx) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch]!;
              if (v > best[ch]! || where[ch] === -1) {
                if (v !== v) continue;
                best[ch] = v;
                where[ch] = base + ch;
              }
            }
          }
        }
        const gBase = ((n * outHeight + oy) * outWidth + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          const at = where[ch]!;
          if (at >= 0) out[at]! += g[gBase + ch]!;
        }
      }
    }
  }
  return dx;
}

/**
 * The 2×2 stride-2 unpadded case (conv4's pooling) without the general loop's bookkeeping: the
 * windows do not overlap, so each gradient is written once, to the first of the four maxima.
 */
function maxPool2x2Grad(
  x: Float32Array,
  g: Float32Array,
  out: Float32Array,
  batch: number,
  height: number,
  width: number,
  c: number,
  outHeight: number,
  outWidth: number,
): void {
  const row = width * c;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const p00 = (n * height + 2 * oy) * row + 2 * ox * c;
        const p01 = p00 + c;
        const p10 = p00 + row;
        const p11 = p10 + c;
        const gBase = ((n * outHeight + oy) * outWidth + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          // First maximum in row-major order; a NaN never wins (comparisons with it are false).
          let at = p00 + ch;
          let best = x[at]!;
          let v = x[p01 + ch]!;
          if (v > best || best !== best) {
            best = v;
            at = p01 + ch;
          }
          v = x[p10 + ch]!;
          if (v > best || best !== best) {
            best = v;
            at = p10 + ch;
          }
          v = x[p11 + ch]!;
          if (v > best || best !== best) {
            best = v;
            at = p11 + ch;
          }
          if (best === best) out[at] = g[gBase + ch]!;
        }
      }
    }
  }
}

let installed = false;

/**
 * Register the wasm training kernels. Must run after the wasm backend is initialised, so that
 * the stock Conv2DBackpropInput kernel (kept for strided convs) has been set up.
 */
export function installWasmKernels(): void {
  if (installed) return;
  const stockInput = kernel('Conv2DBackpropInput');
  const stockConv = kernel('Conv2D');
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') == null) {
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: conv2dBackpropFilterWasm as unknown as tf.KernelFunc,
    });
  }
  const replace = (name: string, kernelFunc: (args: KernelArgs) => TensorInfo) => {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  };
  replace('Conv2D', makeConv2dWasm(stockConv));
  replace('Conv2DBackpropInput', makeConv2dBackpropInputWasm(stockInput));
  replace('Sum', makeLeadingReduction(kernel('Sum'), true));
  replace('Mean', makeLeadingReduction(kernel('Mean'), false));
  replace('MaxPoolGrad', maxPoolGradWasm);
  replace('Identity', identityWasm);
  replace('Cast', makeCastWasm(kernel('Cast')));
  replace('BatchMatMul', makeBatchMatMulWasm(kernel('BatchMatMul')));
  replace('Slice', makeSliceWasm(kernel('Slice')));
  replace('Unpack', makeUnpackWasm(kernel('Unpack')));
  replace('SplitV', makeSplitVWasm(kernel('SplitV')));
  registerBatchNormWasmKernels();
  registerBatchNormPoolWasmKernels();
  installed = true;
}
