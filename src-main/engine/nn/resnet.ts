/**
 * The concept generator G: a residual network (He et al. 2016) over explicit parameters, for
 * 28–84 px inputs: a 3×3 stem, stages of basic blocks (standard, or pre-activation as in He et al.
 * 2016b) whose first block halves the resolution from the second stage on, global average pooling,
 * and a linear projection to the concept vector. Batch norm uses the batch's statistics, as in
 * the rest of the engine.
 */
import { tf } from '../tf';
import type { Tensor, Tensor2D, Tensor4D } from '../tf';
import type { ImageShape } from './shapes';
import { batchNorm, batchNormRelu, linear } from './layers';
import type { Network } from './network';
import type { ParamSpec, Params } from './params';

export interface ResNetConfig {
  /** Basic blocks per stage: [1,1,1,1] is ResNet-10-like, [2,2,2,2] ResNet-18-like. */
  stages: number[];
  /** Channels of the first stage; each later stage doubles them. */
  width: number;
  /** Size of the concept vector. */
  conceptSize: number;
  /** Pre-activation blocks (BN → ReLU → conv) instead of the standard (conv → BN → ReLU). */
  preActivation: boolean;
}

export function resnet(
  config: ResNetConfig,
  input: ImageShape,
  prefix = '',
): Network & { outputSize: number } {
  const specs: ParamSpec[] = [];
  const conv = (name: string, k: number, cin: number, cout: number) =>
    specs.push({
      name: `${prefix}${name}`,
      shape: [k, k, cin, cout],
      init: { kind: 'glorotUniform', fanIn: k * k * cin, fanOut: k * k * cout },
    });
  const bn = (name: string, c: number) =>
    specs.push(
      { name: `${prefix}${name}.gamma`, shape: [c], init: { kind: 'constant', value: 1 } },
      { name: `${prefix}${name}.beta`, shape: [c], init: { kind: 'constant', value: 0 } },
    );

  interface Block {
    id: string;
    stride: 1 | 2;
    cin: number;
    cout: number;
    projection: boolean;
  }
  const blocks: Block[] = [];
  conv('stem.conv', 3, input.channels, config.width);
  bn('stem.bn', config.width);
  let channels = config.width;
  config.stages.forEach((count, s) => {
    const cout = config.width * 2 ** s;
    for (let b = 0; b < count; b++) {
      const stride: 1 | 2 = s > 0 && b === 0 ? 2 : 1;
      const id = `stage${s + 1}.block${b + 1}`;
      const projection = stride !== 1 || channels !== cout;
      // Pre-activation normalises the block's input (cin channels), the standard block its first conv's output.
      bn(`${id}.bn1`, config.preActivation ? channels : cout);
      conv(`${id}.conv1`, 3, channels, cout);
      bn(`${id}.bn2`, cout);
      conv(`${id}.conv2`, 3, cout, cout);
      if (projection) conv(`${id}.shortcut`, 1, channels, cout);
      blocks.push({ id, stride, cin: channels, cout, projection });
      channels = cout;
    }
  });
  if (config.preActivation) bn('final.bn', channels);
  specs.push(
    {
      name: `${prefix}concept.weight`,
      shape: [channels, config.conceptSize],
      init: { kind: 'glorotUniform', fanIn: channels, fanOut: config.conceptSize },
    },
    { name: `${prefix}concept.bias`, shape: [config.conceptSize], init: { kind: 'constant', value: 0 } },
  );

  const p = (params: Params, name: string): Tensor => {
    const t = params[`${prefix}${name}`];
    if (t == null) throw new Error(`resnet: missing parameter '${prefix}${name}'`);
    return t;
  };
  const norm = (params: Params, x: Tensor4D, name: string) =>
    batchNorm(x, p(params, `${name}.gamma`), p(params, `${name}.beta`));
  const normRelu = (params: Params, x: Tensor4D, name: string) =>
    batchNormRelu(x, p(params, `${name}.gamma`), p(params, `${name}.beta`));
  const conv2d = (params: Params, x: Tensor4D, name: string, stride: 1 | 2) =>
    tf.conv2d(x, p(params, name) as Tensor4D, stride, 'same');

  const forward = (params: Params, images: Tensor): Tensor2D => {
    let x = normRelu(params, conv2d(params, images as Tensor4D, 'stem.conv', 1), 'stem.bn');
    for (const b of blocks) {
      if (config.preActivation) {
        // He et al. 2016b: a projecting shortcut reads the pre-activated input too.
        const pre = normRelu(params, x, `${b.id}.bn1`);
        const shortcut = b.projection ? conv2d(params, pre, `${b.id}.shortcut`, b.stride) : x;
        const h = conv2d(params, pre, `${b.id}.conv1`, b.stride);
        x = tf.add(
          conv2d(params, normRelu(params, h, `${b.id}.bn2`), `${b.id}.conv2`, 1),
          shortcut,
        ) as Tensor4D;
      } else {
        const shortcut = b.projection ? conv2d(params, x, `${b.id}.shortcut`, b.stride) : x;
        const h = normRelu(params, conv2d(params, x, `${b.id}.conv1`, b.stride), `${b.id}.bn1`);
        x = tf.relu(
          tf.add(norm(params, conv2d(params, h, `${b.id}.conv2`, 1), `${b.id}.bn2`), shortcut),
        ) as Tensor4D;
      }
    }
    if (config.preActivation) x = normRelu(params, x, 'final.bn');
    const pooled = tf.mean(x, [1, 2]) as Tensor2D;
    return linear(pooled, p(params, 'concept.weight') as Tensor2D, p(params, 'concept.bias'));
  };

  const depth = 2 * config.stages.reduce((a, b) => a + b, 0) + 2;
  return {
    specs,
    forward,
    outputSize: config.conceptSize,
    description:
      `resnet-${depth}${config.preActivation ? ' (pre-activation)' : ''} width ${config.width} ` +
      `${input.height}×${input.width}×${input.channels} → ${config.conceptSize}-d concept`,
  };
}
