/**
 * What the wasm kernels need of tfjs-backend-wasm: its output allocation and where a tensor lies
 * in its heap, which is where our native kernels (nativeKernels.ts) read and write.
 */
import type { TensorInfo, tf } from '../tf';

/** The parts of tfjs-backend-wasm's BackendWasm the kernels use. */
export interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: tf.DataId): void;
}

/** A kernel function's argument, as tfjs-core passes it. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: tf.KernelBackend;
  attrs: Record<string, unknown>;
}

/**
 * A tensor's byte offset in the wasm heap, for the native kernels. Offsets stay valid through
 * later allocations (growing the heap moves nothing; it only detaches earlier views, which is
 * why no view is kept).
 */
export function heapOffset(backend: WasmBackend, t: TensorInfo): number {
  return backend.typedArrayFromHeap(t).byteOffset;
}

/** heapOffset of each tensor, in order (a tuple, so it spreads into a kernel's arguments). */
export function heapOffsets<T extends TensorInfo[]>(
  backend: WasmBackend,
  ...ts: T
): { [K in keyof T]: number } {
  return ts.map((t) => heapOffset(backend, t)) as { [K in keyof T]: number };
}

/** Runs a native kernel with a scratch buffer of `floats` on the heap, freed after. */
export function withScratch(backend: WasmBackend, floats: number, run: (scratch: number) => void): void {
  const scratch = backend.makeOutput([floats], 'float32');
  try {
    run(heapOffset(backend, scratch));
  } finally {
    backend.disposeData(scratch.dataId);
  }
}
