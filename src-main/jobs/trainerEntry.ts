/**
 * The trainer process: `trainerEntry --run ID --data-dir DIR`. Started by the job queue through
 * child_process.fork (CLI, `deml serve`) or Electron's utilityProcess (the app); trains one run
 * and exits. Its status is in the store whatever happens; messages to the parent are a live view.
 */
import { parseArgs } from 'node:util';
import { openStore } from '../store/store';
import type { StopReason } from './messages';
import { connectToParent } from './parentPort';
import { runTrainerJob } from './trainerJob';

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { run: { type: 'string' }, 'data-dir': { type: 'string' } },
    strict: true,
  });
  const runId = Number(values.run);
  const dataDir = values['data-dir'];
  if (!Number.isInteger(runId) || !dataDir) {
    process.stderr.write('usage: trainerEntry --run ID --data-dir DIR\n');
    return 2;
  }
  const parent = connectToParent();
  const controller = new AbortController();
  let reason: StopReason = 'cancelled';
  const stop = (why: StopReason) => {
    if (controller.signal.aborted) return;
    reason = why;
    controller.abort();
  };
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
  try {
    const status = await runTrainerJob({
      store,
      dataDir,
      runId,
      signal: controller.signal,
      stopReason: () => reason,
      requestStop: stop,
      send: (m) => {
        if (parent) pending.push(parent.send(m));
      },
    });
    process.stderr.write(`run ${runId}: ${status}\n`);
    return status === 'failed' ? 1 : 0;
  } finally {
    store.close();
    await Promise.all(pending);
    parent?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`trainer: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
