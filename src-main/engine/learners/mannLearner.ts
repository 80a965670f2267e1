/**
 * MANN, the memory-augmented neural network of Santoro et al. (2016, "One-shot learning with
 * memory-augmented neural networks"). An LSTM controller reads each step's image features (the
 * pixels themselves, or DEML's concepts G(x)) with the previous step's label (one-hot; zero at the
 * first step) and the last read vectors. Each read head's key addresses the external memory by a
 * softmax over cosine similarities (with the memory as it stood before this step's write, so a key
 * does not simply find what it writes), and reads the memory as it is after the write. Writes use
 * least-recently-used access (nn/memory.ts): a learned gate interpolates between the previous read
 * weights and the least-used slots, after the least-used slot is erased; what is written is a
 * vector of its own (a second projection of the controller, as in common implementations). The
 * output layer sees the controller and the reads; the loss is the cross-entropy of every step, so
 * the error of the last step reaches back through every step before it. Sequences are batched:
 * one task is `batch` sequences, run together.
 *
 * Nothing is adapted per task (its weights are fixed at test time: the memory does the binding).
 * The accuracy it reports is that of each class's second presentation, after one labelled
 * example: the figure comparable to a 1-shot episode. Accuracy by presentation (1st, 2nd, …) is
 * reported alongside, as the paper does.
 */
import { softmaxCrossEntropy } from '../losses';
import {
  type LstmState,
  leastUsed,
  lstmCell,
  read,
  readWeights,
  usage,
  write,
  writeWeights,
} from '../nn/memory';
import type { Network } from '../nn/network';
import { type ParamSpec, type Params, initParams } from '../nn/params';
import type { Rng } from '../random';
import { tf } from '../tf';
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D } from '../tf';
import { lossAndGradients } from './differentiate';
import type { Learner, TaskEvaluation, TaskMetaGradient } from './learner';
import type { TaskTensors } from './task';

export interface MannOptions {
  name: string;
  /** Image features: conv4 on pixels, or DEML's concept generator G. */
  encoder: Network & { outputSize: number };
  trainEncoder?: boolean;
  ways: number;
  instances: number;
  memorySlots: number;
  slotSize: number;
  readHeads: number;
  controllerSize: number;
  gamma: number | 'learned';
}

/** The learned usage decay starts here: σ(logit) = 0.95. */
const GAMMA_START = 0.95;

export interface MannOutputs {
  /** Cross-entropy over every step of every sequence. */
  loss: Scalar;
  /** [batch, steps, ways] */
  logits: Tensor3D;
}

export interface MannNetwork {
  specs: ParamSpec[];
  /** Every step's logits for the task's sequences, and their loss. */
  run(p: Params, task: TaskTensors): MannOutputs;
}

export function createMannLearner(o: MannOptions): Learner {
  const net = mannNetwork(o);
  const specs = [...o.encoder.specs, ...net.specs];
  const trainable = o.trainEncoder === false ? net.specs.map((s) => s.name) : specs.map((s) => s.name);

  /** Accuracy by presentation [instances], and that of the second presentation. */
  const scored = (logits: Tensor3D, task: TaskTensors) => {
    const seq = task.sequence!;
    const correct = tf.cast(tf.equal(tf.argMax(logits, 2), seq.labels), 'float32'); // [B, T]
    const byInstance = tf.div(
      tf.sum(tf.mul(tf.expandDims(correct, 2), tf.oneHot(seq.instance, o.instances)), [0, 1]),
      seq.batch * task.ways, // each class is shown once per presentation per sequence
    ) as Tensor1D;
    return { byInstance, accuracy: tf.reshape(tf.slice(byInstance, [1], [1]), []) as Scalar };
  };

  return {
    name: o.name,
    metaSpecs: specs,
    trainable,
    adaptsAtTestTime: false,
    initMetaParams: (rng: Rng) => initParams(specs, rng),
    metaGradient(meta: Params, task: TaskTensors): TaskMetaGradient {
      return lossAndGradients(meta, trainable, (p) => {
        const out = net.run(p, task);
        return { loss: out.loss, accuracy: scored(out.logits, task).accuracy };
      });
    },
    evaluate(meta: Params, task: TaskTensors): TaskEvaluation {
      const out = net.run(meta, task);
      const [batch, steps, used] = out.logits.shape;
      // Every step's class probabilities, sequence-major (the episode viewer shows them): the
      // softmax of the logits `scored` takes its arg-max of, so they agree with its figures.
      const probabilities = tf.softmax(tf.reshape(out.logits, [batch * steps, used])) as Tensor2D;
      return { loss: out.loss, ...scored(out.logits, task), probabilities };
    },
  };
}

/** The MANN's own parameters (beside its encoder's) and its forward pass over a task's sequences. */
export function mannNetwork(o: MannOptions): MannNetwork {
  const { encoder, ways, memorySlots: slots, slotSize: size, readHeads: heads, controllerSize: hidden } = o;
  const features = encoder.outputSize;
  const inputs = features + ways + heads * size;
  const glorot = (fanIn: number, fanOut: number) => ({ kind: 'glorotUniform' as const, fanIn, fanOut });
  const zero = { kind: 'constant' as const, value: 0 };
  const own: ParamSpec[] = [
    { name: 'mann.lstm.w', shape: [inputs, 4 * hidden], init: glorot(inputs, 4 * hidden) },
    { name: 'mann.lstm.u', shape: [hidden, 4 * hidden], init: glorot(hidden, 4 * hidden) },
    { name: 'mann.lstm.b', shape: [4 * hidden], init: zero },
    { name: 'mann.key.w', shape: [hidden, heads * size], init: glorot(hidden, heads * size) },
    { name: 'mann.key.b', shape: [heads * size], init: zero },
    { name: 'mann.value.w', shape: [hidden, heads * size], init: glorot(hidden, heads * size) },
    { name: 'mann.value.b', shape: [heads * size], init: zero },
    { name: 'mann.gate.w', shape: [hidden, heads], init: glorot(hidden, heads) },
    { name: 'mann.gate.b', shape: [heads], init: zero },
    { name: 'mann.out.w', shape: [hidden + heads * size, ways], init: glorot(hidden + heads * size, ways) },
    { name: 'mann.out.b', shape: [ways], init: zero },
    ...(o.gamma === 'learned'
      ? [
          {
            name: 'mann.gamma',
            shape: [1],
            init: { kind: 'constant' as const, value: Math.log(GAMMA_START / (1 - GAMMA_START)) },
          },
        ]
      : []),
  ];
  /** Every step's logits for the task's sequences, and their loss. */
  const run = (p: Params, task: TaskTensors): MannOutputs => {
    const seq = task.sequence;
    if (!seq) throw new Error('a MANN learns from sequences: the task has none');
    const { batch, steps } = seq;
    // A task of fewer classes than the label units (an evaluation at a smaller N) uses the first
    // ones; only its own labels compete in the output.
    const used = task.ways;
    if (used > ways) {
      throw new Error(`a MANN with ${ways} label units cannot take ${used}-way sequences`);
    }
    const x = tf.reshape(encoder.forward(p, seq.images), [batch, steps, features]);
    const oneHot = tf.cast(tf.oneHot(seq.labels, ways), 'float32') as Tensor3D; // [B, T, N]
    // Each step sees the previous step's label: shift right, the first step sees none.
    const previousLabels = tf.concat(
      [tf.zeros([batch, 1, ways]), tf.slice(oneHot, [0, 0, 0], [-1, steps - 1, -1])],
      1,
    );
    // A profile put most of a step's time in small products (4 rows by 949 × 800: their weight
    // gradients have an inner size of 4, one per step). What does not depend on the recurrence
    // is computed for every step at once: the image and label share of the LSTM's
    // pre-activations here, the output layer after the loop. Inside it, one product from the
    // reads and h, and one from h to keys, values and gates.
    const lstmW = p['mann.lstm.w'] as Tensor2D;
    const inputW = tf.slice(lstmW, [0, 0], [features + ways, -1]);
    const recurrentW = tf.concat([tf.slice(lstmW, [features + ways, 0], [-1, -1]), p['mann.lstm.u']!], 0);
    // Time-major before splitting into steps: each step's rows are then contiguous.
    const fromInputs = tf.unstack(
      tf.transpose(
        tf.reshape(
          tf.add(
            tf.matMul(
              tf.reshape(tf.concat([x, previousLabels], 2), [batch * steps, features + ways]),
              inputW,
            ),
            p['mann.lstm.b']!,
          ),
          [batch, steps, 4 * hidden],
        ),
        [1, 0, 2],
      ),
    ) as Tensor2D[];
    const headsW = tf.concat([p['mann.key.w']!, p['mann.value.w']!, p['mann.gate.w']!], 1);
    const headsB = tf.concat([p['mann.key.b']!, p['mann.value.b']!, p['mann.gate.b']!], 0);
    const gamma: Tensor | number = o.gamma === 'learned' ? tf.sigmoid(p['mann.gamma']!) : o.gamma;
    let state: LstmState = { h: tf.zeros([batch, hidden]), c: tf.zeros([batch, hidden]) };
    // A memory of tiny constants: cosine similarity needs no zero-length slot.
    let memory = tf.fill([batch, slots, size], 1e-6) as Tensor3D;
    let reads = tf.zeros([batch, heads * size]) as Tensor2D;
    let readW = tf.zeros([batch, heads, slots]) as Tensor3D;
    let usageW = tf.zeros([batch, slots]) as Tensor2D;
    let leastUsedW = leastUsed(usageW, heads);
    const outputs: Tensor2D[] = [];
    for (let t = 0; t < steps; t++) {
      const z = tf.add(fromInputs[t]!, tf.matMul(tf.concat([reads, state.h], 1), recurrentW)) as Tensor2D;
      state = lstmCell(z, state);
      const projected = tf.add(tf.matMul(state.h, headsW), headsB);
      const [keyZ, valueZ, gate] = tf.split(projected, [heads * size, heads * size, heads], 1) as [
        Tensor2D,
        Tensor2D,
        Tensor2D,
      ];
      const keys = tf.reshape(tf.tanh(keyZ), [batch, heads, size]) as Tensor3D;
      const values = tf.reshape(tf.tanh(valueZ), [batch, heads, size]) as Tensor3D;
      // Addressed in the memory as it was, so a key does not find what it writes now; read from
      // the memory as it is after the write.
      const nextReadW = readWeights(keys, memory);
      const writeW = writeWeights(gate, readW, leastUsedW);
      memory = write(memory, writeW, values, usageW);
      readW = nextReadW;
      reads = tf.reshape(read(readW, memory), [batch, heads * size]) as Tensor2D;
      usageW = usage(usageW, gamma, readW, writeW);
      leastUsedW = leastUsed(usageW, heads);
      outputs.push(tf.concat([state.h, reads], 1) as Tensor2D);
    }
    const features2d = tf.reshape(tf.stack(outputs, 1), [batch * steps, hidden + heads * size]) as Tensor2D;
    const allLogits = tf.add(
      tf.matMul(features2d, p['mann.out.w'] as Tensor2D),
      p['mann.out.b']!,
    ) as Tensor2D;
    const flatLogits = used < ways ? (tf.slice(allLogits, [0, 0], [-1, used]) as Tensor2D) : allLogits;
    const targets = tf.cast(tf.oneHot(tf.reshape(seq.labels, [batch * steps]), used), 'float32') as Tensor2D;
    const loss = softmaxCrossEntropy(flatLogits, targets);
    return { loss, logits: tf.reshape(flatLogits, [batch, steps, used]) as Tensor3D };
  };

  return { specs: own, run };
}
