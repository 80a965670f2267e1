/**
 * Ours for bench/generator.ts: DEML's concept generator G (src-main/engine/nn/resnet.ts), forward
 * and backward for each batch of one concept-space iteration, as bench/torch/generator_step.py
 * does in PyTorch: the same batches, each normalised on its own, the same fixed random projection
 * of the concept vectors as the loss, the gradients of G's parameters summed over the batches.
 * One thread (the wasm backend runs its kernels on the calling thread; runs spread tasks over
 * worker threads, not a kernel over cores). Prints one JSON line.
 *
 *   npx tsx bench/lib/generatorRow.ts [--size 28 --channels 1 --width 16 --stages 1,1,1,1 \
 *     --concept 64 --batches 5,75,5,75,5,75,5,75,64 --iterations 8 --backend wasm]
 */
import { parseArgs } from 'node:util';
import { Rng, initParams, paramList, paramsFromList, resnet, selectBackend, tf } from '../../src-main/engine';
import { peakRssSampler } from './peakRss';
import { median } from './reference';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '28' },
    channels: { type: 'string', default: '1' },
    width: { type: 'string', default: '16' },
    stages: { type: 'string', default: '1,1,1,1' },
    concept: { type: 'string', default: '64' },
    batches: { type: 'string', default: '5,75,5,75,5,75,5,75,64' },
    iterations: { type: 'string', default: '8' },
    backend: { type: 'string', default: 'wasm' },
  },
});

const rss = peakRssSampler();

const backend = await selectBackend(values.backend as 'wasm');
const [size, channels, concept] = [Number(values.size), Number(values.channels), Number(values.concept)];
const g = resnet(
  {
    stages: values.stages!.split(',').map(Number),
    width: Number(values.width),
    conceptSize: concept,
    preActivation: false,
  },
  { height: size, width: size, channels },
);
const rng = new Rng(1);
const params = initParams(g.specs, rng);
const names = g.specs.map((s) => s.name);
const batches = values.batches!.split(',').map((raw) => {
  const n = Number(raw);
  return {
    images: tf.randomUniform([n, size, size, channels], 0, 1, 'float32', 1),
    projection: tf.randomNormal([n, concept], 0, 1, 'float32', 2),
  };
});

function iteration(): void {
  let total: tf.Tensor[] | null = null;
  for (const { images, projection } of batches) {
    const grads = tf.tidy(() =>
      tf.grads((...ps: tf.Tensor[]) =>
        tf.sum(tf.mul(g.forward(paramsFromList(names, ps), images), projection)),
      )(paramList(params, names)),
    );
    if (total === null) total = grads;
    else {
      const sum: tf.Tensor[] = total.map((t, i) => tf.add(t, grads[i]!));
      tf.dispose([...total, ...grads]);
      total = sum;
    }
  }
  // Wait for the values, as PyTorch's step returns computed tensors (wasm computes eagerly anyway).
  for (const t of total ?? []) t.dataSync();
  tf.dispose(total ?? []);
}

iteration(); // warm-up: XNNPACK operators, the kernels' scratch
const tensorsBefore = tf.memory().numTensors;
const ms: number[] = [];
for (let i = 0; i < Number(values.iterations); i++) {
  const t0 = performance.now();
  iteration();
  ms.push(performance.now() - t0);
  rss.sample();
}
const peakRssMb = rss.stop();
console.log(
  JSON.stringify({
    msPerIteration: median(ms),
    peakRssMb,
    system: `ours (${backend.name}: ${backend.details}; 1 thread)`,
    description: g.description,
    tensorsFlat: tf.memory().numTensors === tensorsBefore,
  }),
);
