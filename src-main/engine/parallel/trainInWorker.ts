/**
 * One run meta-trained and meta-tested in a worker thread of its own (runWorker.ts), for callers
 * that train several runs side by side: on a machine with more cores than one run keeps busy,
 * runs side by side finish sooner than the same runs one after another on every core (a
 * meta-batch of 4 tasks cannot use 8 cores; on 2 cores the tasks of one run leave a core idle
 * while its trainer computes DEML's external batch and between meta-test batches). Results do not
 * depend on it: a run gives the same figures, bit for bit, on any number of threads.
 */
import type { ExperimentConfig } from '../../contract/config';
import type { ClassIndexedDataset } from '../dataset';
import type { TrainResult } from '../trainer';
import type { FromRunWorker, ToRunWorker } from './runMessages';
import { startWorker } from './startWorker';

export interface WorkerRun {
  config: ExperimentConfig;
  dataset: ClassIndexedDataset;
  external: ClassIndexedDataset | null;
  /** Threads of the run (its trainer and task workers). */
  threads: number;
  /** Cancels at the next iteration boundary; the result then says 'cancelled'. */
  signal?: AbortSignal;
  onIteration?(p: { iteration: number; iterations: number; loss: number }): void;
}

export async function trainInWorker(run: WorkerRun): Promise<TrainResult> {
  const worker = startWorker('runWorker');
  const cancel = () => worker.postMessage({ kind: 'cancel' } satisfies ToRunWorker);
  try {
    return await new Promise<TrainResult>((resolve, reject) => {
      worker.on('message', (m: FromRunWorker) => {
        if (m.kind === 'iteration') run.onIteration?.(m);
        else if (m.kind === 'result') resolve(m.result);
        else reject(new Error(m.message));
      });
      worker.on('error', (e) => reject(new Error(`run worker failed: ${e.message}`)));
      worker.on('exit', (code) => reject(new Error(`run worker exited (code ${code}) before its result`)));
      if (run.signal?.aborted) cancel();
      run.signal?.addEventListener('abort', cancel, { once: true });
      const message: ToRunWorker = {
        kind: 'train',
        config: run.config,
        dataset: run.dataset,
        external: run.external,
        threads: run.threads,
      };
      worker.postMessage(message);
    });
  } finally {
    run.signal?.removeEventListener('abort', cancel);
    await worker.terminate();
  }
}
