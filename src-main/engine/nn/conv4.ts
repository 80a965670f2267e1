/**
 * conv4 (Finn et al. 2017; Vinyals et al. 2016): `blocks` × [3×3 conv → batch norm →
 * non-linearity → 2×2 max-pool (or a stride-2 conv)], then a linear layer to the N ways.
 */
import type { ModelConfig } from '../../contract/config';
import type { Tensor, Tensor2D, Tensor4D } from '../tf';
import {
  activate,
  batchNorm,
  batchNormRelu,
  batchNormReluPool,
  conv2d,
  flatten,
  linear,
  maxPool2x2,
} from './layers';
import type { Network } from './network';
import type { ParamSpec, Params } from './params';
import { type ImageShape, conv4OutputSize } from './shapes';

/** conv4 with a linear head to `outputs` logits (MAML, Meta-SGD). */
export function conv4(model: ModelConfig, input: ImageShape, outputs: number): Network {
  return buildConv4(model, input, outputs);
}

/** conv4 without the head: the flattened features (the embedding of metric learners). */
export function conv4Embedding(model: ModelConfig, input: ImageShape): Network & { outputSize: number } {
  const net = buildConv4(model, input, null);
  const size = conv4OutputSize(input.height, model) * conv4OutputSize(input.width, model) * model.filters;
  return { ...net, outputSize: size };
}

function buildConv4(model: ModelConfig, input: ImageShape, outputs: number | null): Network {
  const specs: ParamSpec[] = [];
  let channels = input.channels;
  for (let i = 1; i <= model.blocks; i++) {
    const fanIn = 9 * channels;
    specs.push(
      {
        name: `conv${i}.weight`,
        shape: [3, 3, channels, model.filters],
        init: { kind: 'glorotUniform', fanIn, fanOut: 9 * model.filters },
      },
      { name: `bn${i}.gamma`, shape: [model.filters], init: { kind: 'constant', value: 1 } },
      { name: `bn${i}.beta`, shape: [model.filters], init: { kind: 'constant', value: 0 } },
    );
    channels = model.filters;
  }
  const h = conv4OutputSize(input.height, model);
  const w = conv4OutputSize(input.width, model);
  if (h < 1 || w < 1) {
    throw new Error(
      `${model.blocks} blocks shrink a ${input.height}×${input.width} image to nothing; use fewer blocks`,
    );
  }
  const features = h * w * model.filters;
  if (outputs !== null)
    specs.push(
      {
        name: 'head.weight',
        shape: [features, outputs],
        init: { kind: 'glorotUniform', fanIn: features, fanOut: outputs },
      },
      { name: 'head.bias', shape: [outputs], init: { kind: 'constant', value: 0 } },
    );

  const stride = model.downsample === 'stride' ? 2 : 1;
  const forward = (params: Params, images: Tensor): Tensor2D => {
    let x = images as Tensor4D;
    for (let i = 1; i <= model.blocks; i++) {
      x = conv2d(x, param(params, `conv${i}.weight`) as Tensor4D, stride);
      const gamma = param(params, `bn${i}.gamma`);
      const beta = param(params, `bn${i}.beta`);
      const pool = model.downsample === 'maxpool';
      if (model.activation === 'relu') {
        x = pool ? batchNormReluPool(x, gamma, beta) : batchNormRelu(x, gamma, beta);
      } else {
        x = activate(batchNorm(x, gamma, beta), model.activation);
        if (pool) x = maxPool2x2(x);
      }
    }
    if (outputs === null) return flatten(x);
    return linear(flatten(x), param(params, 'head.weight') as Tensor2D, param(params, 'head.bias'));
  };

  return {
    specs,
    forward,
    description:
      `conv${model.blocks} (${model.filters} filters, ${model.downsample}, ${model.activation}) ` +
      `${input.height}×${input.width}×${input.channels} → ${outputs ?? `${features}-d embedding`}`,
  };
}

function param(params: Params, name: string): Tensor {
  const t = params[name];
  if (t == null) throw new Error(`conv4: missing parameter '${name}'`);
  return t;
}
