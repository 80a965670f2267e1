/**
 * Adam (Kingma & Ba) over explicit parameter maps. Its state is plain tensors and a step count,
 * so a checkpoint holds it like any parameter and a resumed run continues exactly.
 */
import type { Params } from './nn/params';
import { disposeParams, mapParams } from './nn/params';
import { tf } from './tf';

export interface AdamConfig {
  /** One rate, or a rate per parameter name (DEML's generator has its own). */
  learningRate: number | ((name: string) => number);
  beta1: number;
  beta2: number;
  epsilon: number;
  /**
   * Parameters stepped plainly, p ← p − rate·g, with their moments carried untouched (Reptile's
   * θ ← θ + ε(θ̃ − θ), whose "gradient" is θ − θ̃: Adam would rescale it).
   */
  plainStep?: (name: string) => boolean;
}

export const ADAM_DEFAULTS: Omit<AdamConfig, 'learningRate'> = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export interface AdamState {
  step: number;
  /** First-moment estimates, by parameter name. */
  m: Params;
  /** Second-moment estimates, by parameter name. */
  v: Params;
}

export function disposeAdam(state: AdamState): void {
  disposeParams(state.m);
  disposeParams(state.v);
}

export function initAdam(params: Params): AdamState {
  return {
    step: 0,
    m: mapParams(params, (t) => tf.keep(tf.zerosLike(t))),
    v: mapParams(params, (t) => tf.keep(tf.zerosLike(t))),
  };
}

/**
 * One Adam update of the parameters that have a gradient; the others (a frozen generator, say)
 * are carried over untouched, moments included. Returns new parameters and state (kept tensors);
 * replaced tensors are disposed, and `grads` is left to the caller. `learningRate` may differ per
 * parameter (DEML's generator has its own).
 */
export function adamStep(
  params: Params,
  grads: Params,
  state: AdamState,
  config: AdamConfig,
): { params: Params; state: AdamState } {
  const step = state.step + 1;
  const { beta1, beta2, epsilon, learningRate } = config;
  const c1 = 1 - beta1 ** step;
  const c2 = 1 - beta2 ** step;
  const updated = Object.keys(params).filter((name) => grads[name] != null);
  for (const name of Object.keys(grads)) {
    if (params[name] == null) throw new Error(`Adam: gradient for unknown parameter '${name}'`);
  }
  const next = tf.tidy(() => {
    const m: Params = {};
    const v: Params = {};
    const p: Params = {};
    for (const name of updated) {
      const g = grads[name]!;
      const lr = typeof learningRate === 'number' ? learningRate : learningRate(name);
      if (config.plainStep?.(name)) {
        p[name] = tf.keep(tf.sub(params[name]!, tf.mul(g, lr)));
        continue;
      }
      m[name] = tf.keep(tf.add(tf.mul(state.m[name]!, beta1), tf.mul(g, 1 - beta1)));
      v[name] = tf.keep(tf.add(tf.mul(state.v[name]!, beta2), tf.mul(tf.square(g), 1 - beta2)));
      const update = tf.div(tf.div(m[name], c1), tf.add(tf.sqrt(tf.div(v[name], c2)), epsilon));
      p[name] = tf.keep(tf.sub(params[name]!, tf.mul(update, lr)));
    }
    return { m, v, p };
  });
  const out: AdamState = { step, m: {}, v: {} };
  const newParams: Params = {};
  // Keep the parameter order stable (checkpoints, iteration over names).
  for (const name of Object.keys(params)) {
    if (next.p[name] && !next.m[name]) {
      params[name]!.dispose();
      newParams[name] = next.p[name]!;
      out.m[name] = state.m[name]!;
      out.v[name] = state.v[name]!;
    } else if (next.p[name]) {
      params[name]!.dispose();
      state.m[name]!.dispose();
      state.v[name]!.dispose();
      newParams[name] = next.p[name]!;
      out.m[name] = next.m[name]!;
      out.v[name] = next.v[name]!;
    } else {
      newParams[name] = params[name]!;
      out.m[name] = state.m[name]!;
      out.v[name] = state.v[name]!;
    }
  }
  return { params: newParams, state: out };
}
