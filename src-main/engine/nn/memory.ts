/**
 * The memory-augmented network's pieces (Santoro et al. 2016), batched over sequences: an LSTM
 * controller step, reads by a softmax over cosine similarities, and least-recently-used access
 * (LRUA) writes. Pure functions of explicit tensors, each checked against finite differences.
 *
 * Shapes: B sequences, H controller units, R read heads, N memory slots of S numbers each.
 */
import { tf } from '../tf';
import type { Tensor, Tensor2D, Tensor3D } from '../tf';

export interface LstmState {
  h: Tensor2D;
  c: Tensor2D;
}

/**
 * One LSTM step: [i, f, g, o] = x·W + h·U + b; c' = σ(f)⊙c + σ(i)⊙tanh(g); h' = σ(o)⊙tanh(c').
 * W: [inputs, 4H], U: [H, 4H], b: [4H].
 */
export function lstmStep(x: Tensor2D, state: LstmState, w: Tensor2D, u: Tensor2D, b: Tensor): LstmState {
  return lstmCell(tf.add(tf.add(tf.matMul(x, w), tf.matMul(state.h, u)), b) as Tensor2D, state);
}

/**
 * The LSTM's cell given its pre-activations z = [i, f, g, o] [B, 4H]: a network that computes the
 * input's share of z for every step at once (one large product instead of one per step) steps here.
 */
export function lstmCell(z: Tensor2D, state: LstmState): LstmState {
  const [i, f, g, o] = tf.split(z, 4, 1) as [Tensor2D, Tensor2D, Tensor2D, Tensor2D];
  const c = tf.add(tf.mul(tf.sigmoid(f), state.c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as Tensor2D;
  return { c, h: tf.mul(tf.sigmoid(o), tf.tanh(c)) as Tensor2D };
}

/** Cosine similarity of each key [B, R, S] with each slot of memory [B, N, S]: [B, R, N]. */
export function cosineSimilarity(keys: Tensor3D, memory: Tensor3D): Tensor3D {
  const dot = tf.matMul(keys, memory, false, true);
  const keyNorm = tf.sqrt(tf.add(tf.sum(tf.square(keys), 2, true), 1e-8)); // [B, R, 1]
  const slotNorm = tf.sqrt(tf.add(tf.sum(tf.square(memory), 2), 1e-8)); // [B, N]
  return tf.div(dot, tf.mul(keyNorm, tf.expandDims(slotNorm, 1))) as Tensor3D;
}

/** Read weights: a softmax over the slots of each key's cosine similarities [B, R, N]. */
export function readWeights(keys: Tensor3D, memory: Tensor3D): Tensor3D {
  return tf.softmax(cosineSimilarity(keys, memory)) as Tensor3D;
}

/** What the heads read, Σ_i w(i)·M(i): [B, R, S]. */
export function read(weights: Tensor3D, memory: Tensor3D): Tensor3D {
  return tf.matMul(weights, memory) as Tensor3D;
}

/**
 * The `n` least-used slots of usage [B, N] as a 0/1 mask [B, N]. Not differentiable (nor meant to
 * be): the gradient reaches usage through the write weights' other terms only.
 */
export function leastUsed(usage: Tensor2D, n: number): Tensor2D {
  const slots = usage.shape[1];
  let mask = tf.zeros([usage.shape[0], slots]) as Tensor2D;
  let remaining = usage;
  for (let k = 0; k < n; k++) {
    const pick = tf.oneHot(tf.argMin(remaining, 1), slots).asType('float32') as Tensor2D;
    mask = tf.add(mask, pick) as Tensor2D;
    // A picked slot is pushed past every other for the next pick.
    remaining = tf.add(remaining, tf.mul(pick, 1e9)) as Tensor2D;
  }
  return mask;
}

/**
 * LRUA write weights [B, R, N]: σ(α) of each head's previous read weights plus 1 − σ(α) of the
 * previously least-used slots; `gate` holds the heads' α logits [B, R].
 */
export function writeWeights(gate: Tensor2D, previousRead: Tensor3D, previousLeastUsed: Tensor2D): Tensor3D {
  const a = tf.sigmoid(tf.expandDims(gate, 2)); // [B, R, 1]
  const lu = tf.expandDims(previousLeastUsed, 1); // [B, 1, N]
  return tf.add(tf.mul(a, previousRead), tf.mul(tf.sub(1, a), lu)) as Tensor3D;
}

/**
 * The memory after a write: the least-used slot of the previous usage is erased first, then
 * each head adds its key where it writes, M(i) += Σ_r w_r(i)·k_r.
 */
export function write(
  memory: Tensor3D,
  weights: Tensor3D,
  keys: Tensor3D,
  previousUsage: Tensor2D,
): Tensor3D {
  const erase = tf.expandDims(tf.sub(1, leastUsed(previousUsage, 1)), 2); // [B, N, 1]
  return tf.add(tf.mul(memory, erase), tf.matMul(weights, keys, true, false)) as Tensor3D;
}

/** Usage after a step: γ·w_u + Σ_heads (w_r + w_w), [B, N]. */
export function usage(
  previous: Tensor2D,
  gamma: Tensor | number,
  read: Tensor3D,
  written: Tensor3D,
): Tensor2D {
  return tf.add(tf.mul(previous, gamma), tf.sum(tf.add(read, written), 1)) as Tensor2D;
}
