/**
 * The trainer process: `trainerEntry --run ID --data-dir DIR` trains one run,
 * `trainerEntry --evaluation ID --data-dir DIR` carries out one evaluation request,
 * `trainerEntry --projection ID --data-dir DIR` one projection request,
 * `trainerEntry --episode RUN --index I --data-dir DIR` one episode for the episode viewer; then it
 * exits.
 * `trainerEntry --job FILE` trains a run on a cluster's compute node: FILE (a ClusterJob) says
 * what to train, and the run is recorded to an events file, never to the database.
 * Started by the job queue through child_process.fork (CLI, `deml serve`) or Electron's
 * utilityProcess (the app). Its status is in the store whatever happens; messages to the parent
 * are a live view.
 */
import { parseArgs } from 'node:util';
import { openStore } from '../store/store';
import { runEpisodeJob } from './episodeJob';
import { runEvaluationJob } from './evaluationJob';
import { describeJob } from './launcher';
import type { FromTrainer, StopReason } from './messages';
import { connectToParent } from './parentPort';
import { runProjectionJob } from './projectionJob';
import { storeJob } from './runRecorder';
import { fileRecorder } from './runEvents';
import { readClusterJob } from './slurm/clusterJob';
import { existsSync } from 'node:fs';
import { runTrainerJob } from './trainerJob';

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      run: { type: 'string' },
      evaluation: { type: 'string' },
      projection: { type: 'string' },
      'data-dir': { type: 'string' },
      job: { type: 'string' },
      episode: { type: 'string' },
      index: { type: 'string' },
      step: { type: 'string' },
    },
    strict: true,
  });
  if (values.job !== undefined) return clusterJob(values.job);
  if (values.episode !== undefined) return episodeJob(values);
  const kinds = (['run', 'evaluation', 'projection'] as const).filter((k) => values[k] !== undefined);
  const kind = kinds[0] ?? 'run';
  const id = Number(values[kind]);
  const dataDir = values['data-dir'];
  if (!Number.isInteger(id) || !dataDir || kinds.length > 1) {
    process.stderr.write(
      'usage: trainerEntry (--run ID | --evaluation ID | --projection ID) --data-dir DIR\n',
    );
    return 2;
  }
  const parent = connectToParent();
  // Received at all means the trainer is between tasks: tell the queue not to kill it while it
  // checkpoints, however long that takes.
  const { signal, reason, stop } = stopSwitch('cancelled', () => void parent?.send({ type: 'stopping' }));
  parent?.onMessage((m) => stop(m.type === 'cancel' ? 'cancelled' : 'interrupted'));
  // Orphaned (the service crashed): checkpoint and stop as interrupted, so it can be resumed.
  parent?.onDisconnect(() => stop('interrupted'));
  process.on('SIGTERM', () => stop('interrupted'));
  // Ctrl-C in a terminal reaches the whole process group: the parent decides (it sends cancel).
  process.on('SIGINT', () => {
    if (!parent) stop('interrupted');
  });

  const store = openStore(dataDir);
  const pending: Array<Promise<void>> = [];
  const send = (m: FromTrainer) => {
    if (parent) pending.push(parent.send(m));
  };
  try {
    const status =
      kind === 'run'
        ? await runTrainerJob({
            ...storeJob(store, id),
            dataDir,
            signal,
            stopReason: reason,
            requestStop: stop,
            send,
            log: logLine,
          })
        : kind === 'evaluation'
          ? await runEvaluationJob({
              store,
              dataDir,
              requestId: id,
              signal,
              stopReason: reason,
              requestStop: () => stop('cancelled'),
              send,
            })
          : await runProjectionJob({
              store,
              dataDir,
              projectionId: id,
              signal,
              stopReason: reason,
              requestStop: () => stop('cancelled'),
              send,
            });
    process.stderr.write(`${describeJob({ kind, id })}: ${status}\n`);
    return status === 'failed' ? 1 : 0;
  } finally {
    store.close();
    await Promise.all(pending);
    parent?.close();
  }
}

/** One episode of a run's meta-test, looked into for the episode viewer: one message back, then exit. */
async function episodeJob(values: {
  episode?: string;
  index?: string;
  step?: string;
  'data-dir'?: string;
}): Promise<number> {
  const runId = Number(values.episode);
  const index = Number(values.index ?? '0');
  const step = values.step === undefined ? undefined : Number(values.step);
  const dataDir = values['data-dir'];
  if (![runId, index, step ?? 0].every(Number.isInteger) || !dataDir) {
    process.stderr.write('usage: trainerEntry --episode RUN --index I [--step S] --data-dir DIR\n');
    return 2;
  }
  const parent = connectToParent();
  // The service gave up waiting (or is closing): nothing is stored, so just stop.
  parent?.onMessage(() => process.exit(1));
  parent?.onDisconnect(() => process.exit(1));
  const store = openStore(dataDir);
  try {
    const episode = await runEpisodeJob({ store, dataDir, runId, index, step });
    await parent?.send({ type: 'episode', runId, episode, error: null });
    return 0;
  } catch (e) {
    await parent?.send({ type: 'episode', runId, episode: null, error: (e as Error).message ?? String(e) });
    return 1;
  } finally {
    store.close();
    parent?.close();
  }
}

/** A run on a compute node: no parent process, no database; SIGTERM (scancel, a time limit) stops it. */
async function clusterJob(file: string): Promise<number> {
  const job = readClusterJob(file);
  const recorder = fileRecorder(job.eventsFile, job.cancelFile);
  const { signal, reason, stop } = stopSwitch('interrupted');
  // The workbench writes the cancel file before it calls scancel: then the stop is a cancel.
  const onSignal = () => stop(existsSync(job.cancelFile) ? 'cancelled' : 'interrupted');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const status = await runTrainerJob({
      spec: job.spec,
      recorder,
      dataDir: job.dataDir,
      signal,
      stopReason: reason,
      requestStop: stop,
      send: (m) => {
        if (m.type === 'progress') recorder.progress(m.progress);
      },
      log: logLine,
    });
    return status === 'failed' ? 1 : 0;
  } finally {
    recorder.close();
  }
}

/** A stop asked for once, and why: the first reason given wins. */
function stopSwitch(initial: StopReason, onStop: () => void = () => undefined) {
  const controller = new AbortController();
  let why = initial;
  return {
    signal: controller.signal,
    reason: () => why,
    stop: (reason: StopReason) => {
      if (controller.signal.aborted) return;
      why = reason;
      controller.abort();
      onStop();
    },
  };
}

/** The run's log: one timestamped line on stderr, which the queue or Slurm keeps as its log file. */
const logLine = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`trainer: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
