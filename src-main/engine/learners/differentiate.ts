import type { Params } from '../nn/params';
import { disposeParams, paramList, paramsFromList } from '../nn/params';
import { tf } from '../tf';
import type { Scalar, Tensor } from '../tf';

/**
 * A loss, the accuracy computed beside it, and the loss's gradient by parameter name. (A type,
 * not an interface, so that tf.tidy accepts it as a tensor container.)
 */
export type LossAndGradients = {
  grads: Params;
  loss: Scalar;
  accuracy: Scalar;
};

export function disposeLossAndGradients(x: LossAndGradients | null): void {
  if (!x) return;
  disposeParams(x.grads);
  x.loss.dispose();
  x.accuracy.dispose();
}

/**
 * The loss returned by f and its gradient w.r.t. the parameters named in `wrt` (the others in
 * `params` are constants), plus the accuracy f computed on the way. Tensors belong to the
 * caller's scope.
 */
export function lossAndGradients(
  params: Params,
  wrt: readonly string[],
  f: (p: Params) => { loss: Scalar; accuracy: Scalar },
): LossAndGradients {
  let kept: Scalar | null = null;
  const { value, grads } = tf.valueAndGrads((...xs: Tensor[]) => {
    const out = f({ ...params, ...paramsFromList(wrt, xs) });
    // valueAndGrads disposes the forward scope when it returns; keep the metric past it.
    kept = tf.keep(out.accuracy);
    return out.loss;
  })(paramList(params, wrt));
  const accuracy = tf.clone(kept!);
  (kept as Scalar | null)?.dispose();
  return { grads: paramsFromList(wrt, grads), loss: value as Scalar, accuracy };
}
