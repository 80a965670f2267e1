/**
 * A run worker: meta-trains and meta-tests one run on its own copy of the backend, so that several
 * runs of a preset train side by side (trainInWorker.ts). It runs the same metaTrain as the
 * calling thread would, with the same config, data and thread count, so its result is the one
 * the caller would have computed itself.
 */
import { parentPort } from 'node:worker_threads';
import { selectBackend } from '../backend';
import { metaTrain } from '../trainer';
import type { FromRunWorker, ToRunWorker } from './runMessages';

const port = parentPort;
if (!port) throw new Error('runWorker.ts runs as a worker thread, not as a script');

const stop = new AbortController();

port.on('message', (m: ToRunWorker) => {
  if (m.kind === 'cancel') {
    stop.abort();
    return;
  }
  void (async () => {
    try {
      await selectBackend(m.config.backend);
      const result = await metaTrain({
        config: m.config,
        dataset: m.dataset,
        external: m.external,
        threads: m.threads,
        signal: stop.signal,
        callbacks: {
          onIteration: (p) => {
            const message: FromRunWorker = {
              kind: 'iteration',
              iteration: p.iteration,
              iterations: p.iterations,
              loss: p.loss,
            };
            port.postMessage(message);
          },
        },
      });
      const message: FromRunWorker = { kind: 'result', result };
      port.postMessage(message);
    } catch (e) {
      const message: FromRunWorker = { kind: 'error', message: (e as Error).message ?? String(e) };
      port.postMessage(message);
    }
  })();
});
