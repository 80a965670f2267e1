/**
 * Explicit parameter lists. A network is a pure function of (params, input), so a learner can
 * run the same network with adapted weights θ' without touching θ, and Meta-SGD can hold a
 * learning-rate tensor of the same name and shape for every parameter.
 */
import { tf } from '../tf';
import type { Tensor } from '../tf';
import type { Rng } from '../random';

export type Initializer =
  | { kind: 'glorotUniform'; fanIn: number; fanOut: number }
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'constant'; value: number };

export interface ParamSpec {
  /** Stable, unique name ("conv1.weight"): the key in Params, checkpoints and optimiser state. */
  name: string;
  shape: number[];
  init: Initializer;
}

/** Parameters by name. Insertion order follows the network's specs. */
export type Params = Record<string, Tensor>;

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Draw initial values from the seeded generator (not tf.random*, so runs are reproducible on every backend). */
export function initialValues(spec: ParamSpec, rng: Rng): Float32Array {
  const values = new Float32Array(sizeOf(spec.shape));
  const init = spec.init;
  if (init.kind === 'constant') {
    values.fill(init.value);
  } else {
    const [low, high] =
      init.kind === 'uniform'
        ? [init.low, init.high]
        : [-1, 1].map((s) => s * Math.sqrt(6 / (init.fanIn + init.fanOut)));
    for (let i = 0; i < values.length; i++) values[i] = rng.uniform(low!, high!);
  }
  return values;
}

export function initParams(specs: readonly ParamSpec[], rng: Rng): Params {
  const params: Params = {};
  for (const spec of specs) params[spec.name] = tf.tensor(initialValues(spec, rng), spec.shape);
  return params;
}

/** Apply f to every parameter, by name. */
export function mapParams(params: Params, f: (t: Tensor, name: string) => Tensor): Params {
  const out: Params = {};
  for (const name of Object.keys(params)) out[name] = f(params[name]!, name);
  return out;
}

export function paramList(params: Params, names: readonly string[]): Tensor[] {
  return names.map((name) => {
    const t = params[name];
    if (t == null) throw new Error(`missing parameter '${name}'`);
    return t;
  });
}

export function paramsFromList(names: readonly string[], tensors: readonly Tensor[]): Params {
  const out: Params = {};
  names.forEach((name, i) => (out[name] = tensors[i]!));
  return out;
}

export function disposeParams(params: Params | null | undefined): void {
  if (params) for (const t of Object.values(params)) t.dispose();
}

export function countParameters(specs: readonly ParamSpec[]): number {
  return specs.reduce((n, s) => n + sizeOf(s.shape), 0);
}
