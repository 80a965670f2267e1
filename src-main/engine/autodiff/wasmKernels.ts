/**
 * Training kernels for the wasm backend. tfjs-backend-wasm has no Conv2DBackpropFilter kernel
 * (so it cannot train a conv net at all) and its Conv2DBackpropInput runs at a tenth of the
 * forward conv's speed (TFJS-NOTES.md). Both are written here as XNNPACK forward convolutions:
 *
 * - filter gradient: dw[a,b,i,o] = Σ_{n,y,x} x[n, y·s+a−pt, x·s+b−pl, i] · dy[n,y,x,o], i.e. a
 *   conv of x transposed to [Cin,H,W,N] with dy transposed to [Ho,Wo,N,Cout] as the filter,
 *   dilated by the stride, then transposed back to [fh,fw,Cin,Cout];
 * - input gradient (stride 1): a conv of dy with the filter rotated 180° and its channel axes
 *   swapped. Strided input gradients keep tfjs's own kernel.
 *
 * Kernels are composed from the backend's own kernel functions (not tf ops), so nothing here is
 * recorded on a gradient tape or tracked by the engine; every intermediate is freed before return.
 */
import { tf } from '../tf';
import type { TensorInfo } from '../tf';

type Pads = [[number, number], [number, number], [number, number], [number, number]];

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: tf.KernelBackend;
  attrs: Record<string, unknown>;
}

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
    const out = kernel(name)({ inputs, backend: this.backend, attrs });
    this.made.push(out);
    return out;
  }

  finish(result: TensorInfo): TensorInfo {
    for (const t of this.made) if (t !== result) this.backend.disposeData(t.dataId);
    return result;
  }
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
  const pads: Pads = [
    [0, 0],
    [top, Math.max(bottom, 0)],
    [left, Math.max(right, 0)],
    [0, 0],
  ];
  const dwT = scope.run(
    'Conv2D',
    { x: xT, filter: dyT },
    { strides: [1, 1], pad: pads, dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth] },
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
    if (info.strideHeight !== 1 || info.strideWidth !== 1 || a.dataFormat === 'NCHW') {
      return fallback({ inputs, backend, attrs });
    }
    const [, h, w] = a.inputShape;
    const top = info.filterHeight - 1 - info.padInfo.top;
    const left = info.filterWidth - 1 - info.padInfo.left;
    const bottom = h + info.filterHeight - 1 - info.outHeight - top;
    const right = w + info.filterWidth - 1 - info.outWidth - left;
    const scope = new KernelScope(backend);
    const rotated = scope.run('Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = scope.run('Transpose', { x: rotated }, { perm: [0, 1, 3, 2] }); // [fh, fw, Cout, Cin]
    const dx = scope.run(
      'Conv2D',
      { x: dy, filter: swapped },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ] satisfies Pads,
        dataFormat: 'NHWC',
        dilations: [1, 1],
      },
    );
    return scope.finish(dx);
  };
}

let installed = false;

/**
 * Register the wasm training kernels. Must run after the wasm backend is initialised, so that
 * the stock Conv2DBackpropInput kernel (kept for strided convs) has been set up.
 */
export function installWasmKernels(): void {
  if (installed) return;
  const stockInput = kernel('Conv2DBackpropInput');
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') == null) {
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: conv2dBackpropFilterWasm as unknown as tf.KernelFunc,
    });
  }
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: makeConv2dBackpropInputWasm(stockInput) as unknown as tf.KernelFunc,
  });
  installed = true;
}
