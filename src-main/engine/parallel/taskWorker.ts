/**
 * A task worker: computes the meta-gradients (or meta-test scores) of some of a meta-batch's tasks
 * on its own copy of the backend, so the tasks of one iteration run on several cores. It builds
 * the same model from the same config and runs the same kernels as the trainer's thread, so a
 * task's gradient is bit-for-bit what the trainer would have computed itself.
 */
import { parentPort } from 'node:worker_threads';
import { selectBackend } from '../backend';
import { taskTensors } from '../learners/task';
import type { Learner } from '../learners/learner';
import { buildModel } from '../model';
import { type Params, disposeParams } from '../nn/params';
import { tf } from '../tf';
import type { FromWorker, ParamValues, TaskGradient, TaskScore, ToWorker } from './messages';

const port = parentPort;
if (!port) throw new Error('taskWorker.ts runs as a worker thread, not as a script');

let learner: Learner | null = null;
let imageShape: [number, number, number] = [0, 0, 0];

function reply(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/** The meta-parameters as tensors, shaped by the learner's own specs. */
function metaTensors(l: Learner, values: ParamValues): Params {
  const meta: Params = {};
  for (const spec of l.metaSpecs) {
    const v = values[spec.name];
    if (v == null) throw new Error(`task worker: no values for parameter '${spec.name}'`);
    meta[spec.name] = tf.tensor(v, spec.shape);
  }
  return meta;
}

function gradients(l: Learner, values: ParamValues, m: ToWorker & { kind: 'gradients' }): TaskGradient[] {
  const meta = metaTensors(l, values);
  try {
    return m.episodes.map((episode) => {
      // The copies are made outside the tidy: tidy walks whatever its function returns looking
      // for tensors, element by element through typed arrays (150 ms a task for Meta-SGD's
      // 224k gradient values, more than the disposal it is there for).
      const g = tf.tidy(() => {
        const { grads, loss, accuracy } = l.metaGradient(meta, taskTensors(episode, imageShape));
        return { grads, loss, accuracy };
      });
      try {
        const grads: ParamValues = {};
        // Synchronous reads stall nothing here: workers exist only on wasm and cpu, whose tensors
        // live in host memory. A copy: on the cpu backend dataSync returns the tensor's own
        // storage, which must not be transferred away.
        for (const [name, t] of Object.entries(g.grads)) grads[name] = new Float32Array(t.dataSync());
        return { grads, loss: g.loss.dataSync()[0]!, accuracy: g.accuracy.dataSync()[0]! };
      } finally {
        tf.dispose([...Object.values(g.grads), g.loss, g.accuracy]);
      }
    });
  } finally {
    disposeParams(meta);
  }
}

function scores(l: Learner, values: ParamValues, m: ToWorker & { kind: 'evaluate' }): TaskScore[] {
  const meta = metaTensors(l, values);
  try {
    return m.episodes.map((episode) =>
      tf.tidy(() => {
        const out = l.evaluate(meta, taskTensors(episode, imageShape), m.steps);
        return {
          loss: out.loss.dataSync()[0]!,
          accuracy: out.accuracy.dataSync()[0]!,
          ...(out.byInstance ? { byInstance: Array.from(out.byInstance.dataSync()) } : {}),
        };
      }),
    );
  } finally {
    disposeParams(meta);
  }
}

port.on('message', (m: ToWorker) => {
  void (async () => {
    const id = m.kind === 'init' ? null : m.id;
    try {
      if (m.kind === 'init') {
        await selectBackend(m.backend);
        const external =
          m.externalClasses == null ? null : { classNames: new Array<string>(m.externalClasses).fill('') };
        learner = buildModel(m.config, m.image, external).learner;
        imageShape = [m.image.height, m.image.width, m.image.channels];
        reply({ kind: 'ready' });
        return;
      }
      if (!learner) throw new Error('task worker: not initialised');
      if (m.kind === 'gradients') {
        const results = gradients(learner, m.params, m);
        reply(
          { kind: 'gradients', id: m.id, results },
          results.flatMap((r) => Object.values(r.grads).map((a) => a.buffer as ArrayBuffer)),
        );
      } else {
        reply({ kind: 'evaluate', id: m.id, results: scores(learner, m.params, m) });
      }
    } catch (e) {
      reply({ kind: 'error', id, message: (e as Error).stack ?? String(e) });
    }
  })();
});
