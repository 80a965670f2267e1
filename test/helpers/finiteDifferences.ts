/**
 * Central finite differences for checking gradients in float32: compare the analytic directional
 * derivative g·v with (f(x + εv) − f(x − εv)) / 2ε along a direction v per tensor.
 */
import { Rng, tf, type Params } from '../../src-main/engine';
import type { Tensor } from '@tensorflow/tfjs';

export interface DirectionalCheck {
  name: string;
  analytic: number;
  numeric: number;
  relativeError: number;
}

export function relativeError(a: number, b: number, floor = 1e-4): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), floor);
}

/**
 * A direction that has a large component along the analytic gradient (so the check has signal)
 * and a random component of equal norm (so a gradient pointing the wrong way is caught too).
 */
export function probeDirection(grad: Tensor, rng: Rng): Tensor {
  return tf.tidy(() => {
    const n = grad.size;
    const noise = tf.tensor(
      Float32Array.from({ length: n }, () => rng.normal()),
      grad.shape,
    );
    const unit = (t: Tensor) => tf.div(t, tf.add(tf.norm(t), 1e-12));
    return unit(tf.add(unit(grad), unit(noise)));
  });
}

export function scalarOf(t: Tensor): number {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

/**
 * Check every named tensor's gradient of `loss` along a probe direction.
 * `loss(params)` must be a pure function of the params (a fresh scalar each call).
 */
export function checkParamGradients(
  loss: (p: Params) => Tensor,
  params: Params,
  grads: Params,
  options: { eps: number; seed?: number },
): DirectionalCheck[] {
  const rng = new Rng(options.seed ?? 7);
  const out: DirectionalCheck[] = [];
  for (const name of Object.keys(params)) {
    const g = grads[name];
    if (!g) throw new Error(`no gradient for ${name}`);
    const v = probeDirection(g, rng);
    const analytic = scalarOf(tf.sum(tf.mul(g, v)));
    const shifted = (sign: number) =>
      tf.tidy(() => {
        const p = { ...params, [name]: tf.add(params[name]!, tf.mul(v, sign * options.eps)) };
        return loss(p);
      });
    const numeric = (scalarOf(shifted(1)) - scalarOf(shifted(-1))) / (2 * options.eps);
    v.dispose();
    out.push({ name, analytic, numeric, relativeError: relativeError(analytic, numeric) });
  }
  return out;
}
