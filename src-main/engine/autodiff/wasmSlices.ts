/**
 * Slice, and the kernels made of slices (Unpack, SplitV), for the wasm backend. The stock Slice
 * copies its whole input out of the wasm heap (readSync) before it takes its part, and Unpack and
 * SplitV call it once per piece: unstacking a MANN's 50 steps of [4, 800] copied the 640 KB
 * tensor 50 times (19 ms for 640 KB of results). Here a slice reads a view of the heap, copying
 * only what it returns, a contiguous run of the last axis at a time.
 */
import { tf } from '../tf';
import type { TensorInfo } from '../tf';
import type { KernelArgs, WasmBackend } from './wasmHeap';

/** x[begin … begin + size) as a new tensor (`size` with every −1 resolved). */
export function sliceOf(backend: WasmBackend, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const count = size.reduce((a, b) => a * b, 1);
  if (count === 0) return out;
  // Views taken after the allocation: growing the heap detaches older ones.
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  if (rank === 0) {
    to[0] = from[0]!;
    return out;
  }
  const strides = tf.util.computeStrides(x.shape);
  const run = size[rank - 1]!;
  const index = new Array<number>(rank - 1).fill(0);
  for (let at = 0; at < count; at += run) {
    let offset = begin[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) offset += (begin[d]! + index[d]!) * strides[d]!;
    to.set(from.subarray(offset, offset + run), at);
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

export function makeSliceWasm(stock: (args: KernelArgs) => TensorInfo): (args: KernelArgs) => TensorInfo {
  return (args) => {
    const x = args.inputs.x!;
    if (x.dtype === 'string') return stock(args);
    const { begin, size } = args.attrs as { begin: number | number[]; size?: number | number[] };
    const [from, extent] = tf.slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
    return sliceOf(args.backend as WasmBackend, x, from, extent);
  };
}

export function makeUnpackWasm(stock: (args: KernelArgs) => TensorInfo): (args: KernelArgs) => TensorInfo {
  return (args) => {
    const value = args.inputs.value!;
    if (value.dtype === 'string') return stock(args);
    const rank = value.shape.length;
    const axis = ((args.attrs.axis as number) + rank) % rank;
    const shape = value.shape.filter((_, i) => i !== axis);
    const size = [...value.shape];
    size[axis] = 1;
    return Array.from({ length: value.shape[axis]! }, (_, i) => {
      const begin = new Array<number>(rank).fill(0);
      begin[axis] = i;
      return { ...sliceOf(args.backend as WasmBackend, value, begin, size), shape };
    }) as unknown as TensorInfo;
  };
}

export function makeSplitVWasm(stock: (args: KernelArgs) => TensorInfo): (args: KernelArgs) => TensorInfo {
  return (args) => {
    const x = args.inputs.x!;
    if (x.dtype === 'string') return stock(args);
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const along = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const pieces = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, along);
    const begin = new Array<number>(x.shape.length).fill(0);
    return pieces.map((piece) => {
      const size = [...x.shape];
      size[along] = piece;
      const out = sliceOf(args.backend as WasmBackend, x, [...begin], size);
      begin[along]! += piece;
      return out;
    }) as unknown as TensorInfo;
  };
}
