/**
 * Trainers in the app run in Electron utility processes (never in the window's process), started
 * from the bundled trainer entry (out/main/trainer.js) and seen by the queue through the same
 * interface as child_process.fork.
 */
import { utilityProcess } from 'electron';
import type { FromTrainer } from '../jobs/messages';
import { type TrainerLauncher, describeJob, trainerArgs } from '../jobs/launcher';

export function utilityProcessLauncher(entry: string): TrainerLauncher {
  return (job) => {
    const child = utilityProcess.fork(entry, trainerArgs(job), {
      serviceName: `DEML trainer (${describeJob(job)})`,
      stdio: 'pipe',
    });
    let exited = false;
    child.on('exit', () => (exited = true));
    return {
      get pid() {
        return child.pid;
      },
      stdout: child.stdout,
      stderr: child.stderr,
      send: (m) => {
        if (!exited) child.postMessage(m);
      },
      // utilityProcess.kill() is the only stop it offers; the queue asks nicely (a message) first.
      kill: () => void child.kill(),
      onMessage: (h) => child.on('message', (m) => h(m as FromTrainer)),
      onExit: (h) => child.on('exit', (code) => h(code, null)),
    };
  };
}
