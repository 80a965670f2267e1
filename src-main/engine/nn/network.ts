import type { Tensor, Tensor2D } from '../tf';
import type { ParamSpec, Params } from './params';

/** A network as a pure function of explicit parameters: logits = forward(params, images). */
export interface Network {
  readonly specs: readonly ParamSpec[];
  /** Inputs (images NHWC in [0, 1], or feature vectors) → logits [N, outputs]. */
  forward(params: Params, input: Tensor): Tensor2D;
  /** One line for logs and run records, e.g. "conv4 (64 filters, maxpool, relu) 28×28×1 → 5". */
  readonly description: string;
}
