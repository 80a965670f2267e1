import type { Params } from '../nn/params';
import { paramList, paramsFromList } from '../nn/params';
import { tf } from '../tf';
import type { Scalar, Tensor } from '../tf';

/**
 * The loss returned by f and its gradient w.r.t. the parameters named in `wrt` (the others in
 * `params` are constants), plus the accuracy f computed on the way. Tensors belong to the
 * caller's scope.
 */
export function lossAndGradients(
  params: Params,
  wrt: readonly string[],
  f: (p: Params) => { loss: Scalar; accuracy: Scalar },
): { grads: Params; loss: Scalar; accuracy: Scalar } {
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
