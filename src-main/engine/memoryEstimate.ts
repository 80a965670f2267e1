/**
 * How much memory a training config needs, estimated before anything is allocated, so that a
 * config that cannot fit ("--filters 20000", "--meta-batch 1e9", a second-order MAML with a
 * million inner steps) is refused with the estimate instead of being killed by the OOM killer.
 *
 * An estimate, not an accounting: float32 activations of the network's layers (each conv block
 * keeps its convolution, batch norm and non-linearity outputs, then the pooled map), doubled for
 * the backward pass; second-order learners keep every inner step's graph of the support set (on
 * the pixels about 12 activation maps per image and step, measured);
 * tasks in flight at once (one per thread); DEML's external batch; the parameters with Adam's
 * moments and gradients; the sampled tasks of a meta-batch; the dataset's pixels; and the
 * runtime itself.
 */
import type { ExperimentConfig } from '../contract/config';
import { learnerInfo } from '../contract/learners';

/** Float activations per image and parameters of a network, and the setting that drives its size. */
interface NetworkSize {
  activations: number;
  parameters: number;
  field: string;
}

/** A MANN reading the image: per step its input, the LSTM's gates and the memory it wrote. */
function mannOnPixels(config: ExperimentConfig, image: ImageShape): NetworkSize {
  const m = config.mann;
  const input = image.height * image.width * image.channels + config.ways;
  return {
    activations:
      input + 8 * m.controllerSize + 2 * m.memorySlots * m.slotSize + 4 * m.readHeads * m.memorySlots,
    parameters:
      4 * m.controllerSize * (input + m.controllerSize + m.readHeads * m.slotSize) +
      m.controllerSize * config.ways,
    field: 'mann.controllerSize',
  };
}

const FLOAT = 4;
/**
 * Activation maps a second-order learner keeps per support image and inner step on the pixels,
 * fitted to peak RSS measured by bench/lib/speedRow.ts (MAML, 2 threads). With batch norm's
 * second derivative as native kernels (wasm, the default backend where tfjs-node-gpu is absent):
 * 2.9 with 5 shots, 3.7 with 5 inner steps on 28×28, 2.4 on the miniImageNet shape (84×84×3, 5
 * steps). Composed of tfjs ops (the cpu and tensorflow backends): 11.2, 13.3 and 10.6.
 */
const SECOND_ORDER_SUPPORT = { kernels: 4, composed: 12 } as const;
/** The Node + tfjs-wasm process before any tensor (measured: ~250 MB RSS at the first iteration). */
const RUNTIME_BYTES = 300 * 2 ** 20;

export interface MemoryEstimate {
  bytes: number;
  /** The parts, in bytes, and the setting that drives each. */
  parts: Array<{ what: string; bytes: number; field: string }>;
}

interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/**
 * Float activations per image and parameter count of the network: conv4, the learner's own on the
 * pixels (a MANN's), or the concept ResNet with M.
 */
function network(config: ExperimentConfig, image: ImageShape): NetworkSize {
  let activations = 0;
  let parameters = 0;
  let channels = image.channels;
  let h = image.height;
  let w = image.width;
  if (config.space === 'pixels' && learnerInfo(config.learner).memory.onPixels === 'mann')
    return mannOnPixels(config, image);
  if (config.space === 'pixels') {
    const f = config.model.filters;
    for (let b = 0; b < config.model.blocks; b++) {
      parameters += 9 * channels * f + 3 * f; // kernel, bias, batch norm
      activations += 3 * f * h * w;
      h = Math.max(1, Math.floor(h / 2));
      w = Math.max(1, Math.floor(w / 2));
      activations += f * h * w;
      channels = f;
    }
    parameters += channels * h * w * config.ways;
    return { activations, parameters, field: 'model.filters' };
  }
  const g = config.concept.generator;
  // A stem at full size, then stages at halving sizes with doubling widths, two convolutions per block.
  parameters += 9 * channels * g.width;
  activations += 3 * g.width * h * w;
  g.stages.forEach((blocks, i) => {
    const width = g.width * 2 ** i;
    if (i > 0) {
      h = Math.max(1, Math.ceil(h / 2));
      w = Math.max(1, Math.ceil(w / 2));
    }
    parameters += blocks * 2 * (9 * width * width + 2 * width) + (i > 0 ? channels * width : 0);
    activations += blocks * 2 * 3 * width * h * w;
    channels = width;
  });
  parameters += channels * g.conceptSize;
  let prev = g.conceptSize;
  for (const hidden of config.concept.head) {
    parameters += prev * hidden;
    prev = hidden;
  }
  parameters += prev * config.ways;
  return { activations, parameters, field: 'concept.generator.width' };
}

/** SECOND_ORDER_SUPPORT for the backend the config asks for ('auto' is wasm unless tfjs-node-gpu is there). */
function supportMaps(config: ExperimentConfig): number {
  return config.backend === 'wasm' || config.backend === 'auto'
    ? SECOND_ORDER_SUPPORT.kernels
    : SECOND_ORDER_SUPPORT.composed;
}

export function estimateTrainingMemory(
  config: ExperimentConfig,
  image: ImageShape,
  datasetBytes: number,
  threads: number,
): MemoryEstimate {
  const { activations, parameters, field: width } = network(config, image);
  const info = learnerInfo(config.learner);
  const sequences = info.tasks === 'sequences';
  const support = sequences ? 0 : config.ways * config.shots;
  const perTask = sequences
    ? config.ways * config.mann.instances * config.mann.batch
    : config.ways * (config.shots + config.queries);
  const secondOrder = info.order === 'second';
  // Through the whole network on the pixels; through a head on features computed once in the
  // concept space (and for ANIL).
  const throughNetwork = config.space === 'pixels' && info.memory.innerLoop === 'network';
  // Second order keeps each inner step's support graph for the meta-gradient; first order and the
  // metric and model-based learners hold one forward graph of the task at a time (forward and
  // backward: twice the activations). On the pixels the inner loop runs through the whole
  // network, whose second-order graph keeps a few activation maps per support image and step
  // (about 12 where batch norm's second derivative is composed of tfjs ops); in the concept space
  // it runs through the head only, on concepts computed once.
  const kept =
    secondOrder && throughNetwork
      ? 2 * (perTask - support) + supportMaps(config) * config.innerSteps * support
      : 2 * (secondOrder ? config.innerSteps * support + (perTask - support) : perTask);
  const inFlight = Math.max(1, Math.min(threads, config.metaBatch));
  const taskGraph =
    kept * activations * FLOAT + (secondOrder ? 3 * config.innerSteps * parameters * FLOAT : 0);
  const imageBytes = image.height * image.width * image.channels * FLOAT;
  // What drives the activations: the inner steps' kept graphs, or the network's width.
  const steps =
    secondOrder && config.innerSteps > 1 && kept - 2 * (perTask - support) > 2 * (perTask - support);
  const parts = [
    {
      what: 'activations of the tasks in flight',
      bytes: inFlight * taskGraph,
      field: steps ? 'innerSteps' : width,
    },
    {
      // DEML's external batch (G forward and backward), on the trainer's thread beside the tasks.
      what: "the concept discriminator's external batch",
      bytes:
        config.space === 'concept' && config.concept.generatorMode === 'joint' && config.concept.lambda > 0
          ? 2 * config.concept.externalBatch * activations * FLOAT
          : 0,
      field: 'concept.externalBatch',
    },
    { what: 'parameters, gradients and Adam moments', bytes: 4 * parameters * FLOAT, field: width },
    {
      what: "a meta-batch's sampled tasks",
      bytes: config.metaBatch * perTask * imageBytes,
      field: 'metaBatch',
    },
    { what: 'the dataset', bytes: datasetBytes, field: 'data' },
    { what: 'the runtime', bytes: RUNTIME_BYTES, field: 'backend' },
  ];
  return { bytes: parts.reduce((n, p) => n + p.bytes, 0), parts };
}

export const formatBytes = (bytes: number): string =>
  bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`;
