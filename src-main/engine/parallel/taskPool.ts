/**
 * Spreads the tasks of a meta-batch (or of a meta-test) over worker threads. The trainer's own
 * thread takes the first share and workers the rest, each on its own backend instance; results
 * come back per task, in task order, so the trainer sums them exactly as it would have summed its
 * own: the same gradients, bit for bit, on 1 or N threads (tested).
 *
 * Only for backends that run on the calling thread (wasm, cpu). TensorFlow (tfjs-node-gpu)
 * already spreads each op over the CPU's cores or runs it on the GPU.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { ExperimentConfig } from '../../contract/config';
import type { Episode } from '../episodes';
import type { ImageShape } from '../nn/shapes';
import type { Params } from '../nn/params';
import type { FromWorker, ParamValues, TaskGradient, TaskScore, ToWorker } from './messages';
import { startWorker } from './startWorker';

export interface TaskPoolOptions {
  /** Threads in all, the caller's included: threads − 1 workers are started (see sideWork). */
  threads: number;
  /**
   * The caller has work of its own beside each meta-batch (DEML's external batch: G and D forward
   * and backward on 64 images, about three quarters of a task). Then one more worker is started
   * and the caller takes no share of a meta-batch's gradients: it computes its own work while
   * every task runs on a worker. With the caller holding two tasks plus that batch, the other
   * thread sat idle a quarter of each iteration; with one thread more than there are cores, the
   * operating system shares the cores at a grain no split of whole tasks can (measured ~5% on
   * concept runs on 2 threads; the README's changes table). A meta-test still gives the caller
   * its share and uses threads − 1 workers.
   */
  sideWork?: boolean;
  backend: 'wasm' | 'cpu';
  config: ExperimentConfig;
  image: ImageShape;
  externalClasses: number | null;
}

/**
 * Threads for training on a backend: DEML_THREADS when set, else every core for the backends
 * that compute on the calling thread, and 1 for TensorFlow (which threads each op itself).
 */
export function defaultTrainingThreads(backend: string, env: NodeJS.ProcessEnv = process.env): number {
  const forced = env.DEML_THREADS?.trim();
  if (forced) {
    const n = Number(forced);
    if (!Number.isInteger(n) || n < 1 || n > 256) {
      throw new Error(`DEML_THREADS='${forced}' is not a whole number of threads between 1 and 256`);
    }
    return n;
  }
  return backend === 'wasm' || backend === 'cpu' ? availableParallelism() : 1;
}

/** Contiguous shares of `items`, the first for the caller: sizes differ by at most one. */
export function shares<T>(items: readonly T[], parts: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const size = Math.floor(items.length / parts) + (p < items.length % parts ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}

export interface Spread<T> {
  /** The caller's share. */
  local: Episode[];
  /** The workers' results for the remaining tasks, in order. */
  remote: Promise<T[]>;
}

interface Pending {
  resolve(results: unknown[]): void;
  reject(e: Error): void;
}

class WorkerHandle {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor(readonly worker: Worker) {
    worker.on('message', (m: FromWorker) => {
      if (m.kind === 'ready') return;
      const p = m.id == null ? null : this.pending.get(m.id);
      if (m.kind === 'error') {
        const e = new Error(`task worker failed: ${m.message}`);
        if (p) {
          this.pending.delete(m.id!);
          p.reject(e);
        } else this.fail(e);
        return;
      }
      if (!p) return;
      this.pending.delete(m.id);
      p.resolve(m.results);
    });
    worker.on('error', (e) => this.fail(new Error(`task worker failed: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`task worker exited (code ${code})`)));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  request<T>(message: Omit<Extract<ToWorker, { id: number }>, 'id'>): Promise<T[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T[]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown[]) => void, reject });
      this.worker.postMessage({ ...message, id });
    });
  }
}

export class TaskPool {
  private constructor(
    private readonly workers: WorkerHandle[],
    /** Threads in all, the caller's included (with side work, one worker more runs beside them). */
    readonly threads: number,
    private readonly sideWork: boolean,
  ) {}

  static async start(options: TaskPoolOptions): Promise<TaskPool> {
    const workers: WorkerHandle[] = [];
    const count = options.threads - 1 + (options.sideWork && options.threads > 1 ? 1 : 0);
    try {
      for (let i = 0; i < count; i++) {
        const worker = startWorker('taskWorker');
        workers.push(new WorkerHandle(worker));
        await new Promise<void>((resolve, reject) => {
          const onMessage = (m: FromWorker) => {
            if (m.kind === 'ready') done(null);
            else if (m.kind === 'error') done(new Error(`task worker failed to start: ${m.message}`));
          };
          const onExit = (code: number) =>
            done(new Error(`task worker exited while starting (code ${code})`));
          // A worker that cannot even load (a missing module, a bad bundle) says why here.
          const onError = (e: Error) => done(new Error(`task worker failed to start: ${e.message}`));
          const done = (e: Error | null) => {
            worker.off('message', onMessage);
            worker.off('exit', onExit);
            worker.off('error', onError);
            if (e) reject(e);
            else resolve();
          };
          worker.on('message', onMessage);
          worker.on('exit', onExit);
          worker.on('error', onError);
          const init: ToWorker = {
            kind: 'init',
            backend: options.backend,
            config: options.config,
            image: {
              height: options.image.height,
              width: options.image.width,
              channels: options.image.channels,
            },
            externalClasses: options.externalClasses,
          };
          worker.postMessage(init);
        });
      }
    } catch (e) {
      await Promise.all(workers.map((w) => w.worker.terminate()));
      throw e;
    }
    return new TaskPool(workers, options.threads, count === options.threads);
  }

  /**
   * Start the workers on their shares of `episodes` and return the caller's share (for the
   * caller to compute meanwhile; none when the pool was started for side work) with a promise of
   * the workers' results, in task order.
   */
  gradients(meta: Params, episodes: readonly Episode[]): Spread<TaskGradient> {
    return this.spread(
      meta,
      episodes,
      (params, part) => ({ kind: 'gradients', params, episodes: part }),
      this.sideWork,
    );
  }

  /** Meta-test scores after `steps` adaptation steps, spread as `gradients` is. */
  scores(meta: Params, episodes: readonly Episode[], steps: number): Spread<TaskScore> {
    return this.spread(meta, episodes, (params, part) => ({
      kind: 'evaluate',
      params,
      episodes: part,
      steps,
    }));
  }

  private spread<T>(
    meta: Params,
    episodes: readonly Episode[],
    message: (params: ParamValues, part: Episode[]) => Omit<Extract<ToWorker, { id: number }>, 'id'>,
    workersOnly = false,
  ): Spread<T> {
    const [local, ...rest] = workersOnly
      ? [[], ...shares(episodes, this.workers.length)]
      : shares(episodes, this.threads);
    const params = valuesOf(meta);
    const remote = Promise.all(
      rest.map((part, i) =>
        part.length === 0 ? Promise.resolve([]) : this.workers[i]!.request<T>(message(params, part)),
      ),
    ).then((parts) => parts.flat());
    // Handled by the caller after its own share; this only keeps a failure during that share
    // from being reported as unhandled.
    remote.catch(() => undefined);
    return { local: local!, remote };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/** Host copies of the parameters (wasm and cpu keep tensors in host memory: no device sync). */
function valuesOf(meta: Params): ParamValues {
  const out: ParamValues = {};
  for (const [name, t] of Object.entries(meta)) out[name] = t.dataSync() as Float32Array;
  return out;
}
