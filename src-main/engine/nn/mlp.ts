/**
 * Linear and MLP heads over feature vectors: the meta-learner in the concept space is an MLP on
 * the concept generator's output (DEML: 2048 → 1024 → 512 → N).
 */
import { tf } from '../tf';
import type { Tensor, Tensor2D } from '../tf';
import { activate, type Activation, linear } from './layers';
import type { Network } from './network';
import type { ParamSpec, Params } from './params';

export function mlp(
  inputs: number,
  hidden: readonly number[],
  outputs: number,
  activation: Activation = 'relu',
  prefix = '',
): Network {
  const sizes = [inputs, ...hidden, outputs];
  const specs: ParamSpec[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const fanIn = sizes[i]!;
    const fanOut = sizes[i + 1]!;
    specs.push(
      {
        name: `${prefix}fc${i + 1}.weight`,
        shape: [fanIn, fanOut],
        init: { kind: 'glorotUniform', fanIn, fanOut },
      },
      { name: `${prefix}fc${i + 1}.bias`, shape: [fanOut], init: { kind: 'constant', value: 0 } },
    );
  }
  const layers = sizes.length - 1;
  const forward = (params: Params, input: Tensor): Tensor2D => {
    // Images (or any higher-rank input) are flattened per example.
    let x = (input.rank === 2 ? input : tf.reshape(input, [input.shape[0]!, -1])) as Tensor2D;
    for (let i = 1; i <= layers; i++) {
      x = linear(x, params[`${prefix}fc${i}.weight`] as Tensor2D, params[`${prefix}fc${i}.bias`]!);
      if (i < layers) x = activate(x, activation);
    }
    return x;
  };
  return {
    specs,
    forward,
    description:
      hidden.length === 0 ? `linear ${inputs} → ${outputs}` : `mlp ${sizes.join(' → ')} (${activation})`,
  };
}

/** A single linear layer: the MLP with no hidden layer. */
export function linearHead(inputs: number, outputs: number): Network {
  return mlp(inputs, [], outputs);
}
