/**
 * The one place the engine imports TensorFlow.js from. The `@tensorflow/tfjs` bundle is used
 * rather than tfjs-core alone because only the bundle registers tfjs's gradient functions in
 * Node (tfjs-core's Node build leaves them out). In Node it registers just the pure-JS cpu
 * backend; wasm and tfjs-node-gpu are loaded by `backend.ts` on demand.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export type {
  Tensor,
  Scalar,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  Rank,
  TensorInfo,
} from '@tensorflow/tfjs';
