/**
 * Starting a trainer process. The queue sees one interface; the CLI and `deml serve` use
 * child_process.fork, the app Electron's utilityProcess (electron/trainerLauncher.ts).
 */
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromTrainer, ToTrainer } from './messages';

export interface TrainerProcess {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  send(message: ToTrainer): void;
  /** SIGKILL for a trainer that does not stop when asked. */
  kill(signal?: NodeJS.Signals): void;
  onMessage(handler: (message: FromTrainer) => void): void;
  onExit(handler: (code: number | null, signal: string | null) => void): void;
}

/**
 * A job for a trainer process: train a run, carry out an evaluation or projection request, or look
 * into one episode of a run's meta-test (the episode viewer; id is the run's).
 */
export interface TrainerJobSpec {
  kind: 'run' | 'evaluation' | 'projection' | 'episode';
  id: number;
  dataDir: string;
  /** An episode job's episode (0-based) and checkpoint iteration (absent: the newest). */
  episode?: { index: number; step?: number };
}

export type TrainerLauncher = (job: TrainerJobSpec) => TrainerProcess;

export function trainerArgs(job: TrainerJobSpec): string[] {
  if (job.kind === 'episode') {
    const { index = 0, step } = job.episode ?? {};
    return [
      '--episode',
      String(job.id),
      '--index',
      String(index),
      ...(step == null ? [] : ['--step', String(step)]),
      '--data-dir',
      job.dataDir,
    ];
  }
  return [`--${job.kind}`, String(job.id), '--data-dir', job.dataDir];
}

/** What the job is, in process names and messages. */
export function describeJob(job: Pick<TrainerJobSpec, 'kind' | 'id'>): string {
  if (job.kind === 'episode') return `an episode of run ${job.id}`;
  return `${job.kind} ${job.id}`;
}

/** The trainer entry next to this file: TypeScript run through tsx's loader, as the CLI is. */
const SOURCE_ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'trainerEntry.ts');

/**
 * The command that starts the trainer entry with this Node: the same for a forked child and for
 * a cluster job's script (which runs it on a compute node, from the shared filesystem).
 */
export function trainerCommand(entry = SOURCE_ENTRY): { node: string; execArgv: string[]; entry: string } {
  // Resolved here, not by the child: the child's cwd may be anywhere.
  const execArgv = entry.endsWith('.ts') ? [`--import=${import.meta.resolve('tsx')}`] : [];
  return { node: process.execPath, execArgv, entry };
}

export function forkLauncher(options: { entry?: string; env?: NodeJS.ProcessEnv } = {}): TrainerLauncher {
  const { entry, execArgv } = trainerCommand(options.entry);
  return (job) => {
    const child = fork(entry, trainerArgs(job), {
      execArgv,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    // A trainer that is exiting can close its channel between our check and our write (EPIPE):
    // that is not an error of the service's; the exit handler records what happened.
    // A process that could not start at all never exits: report it to the exit handlers instead.
    const exitHandlers: Array<(code: number | null, signal: string | null) => void> = [];
    child.on('error', (e) => {
      if (child.pid === undefined) for (const h of exitHandlers) h(null, `not started: ${e.message}`);
    });
    return {
      pid: child.pid,
      stdout: child.stdout,
      stderr: child.stderr,
      send: (m) => {
        if (child.connected) child.send(m, (e) => void e);
      },
      kill: (signal) => child.kill(signal),
      onMessage: (h) => child.on('message', (m) => h(m as FromTrainer)),
      onExit: (h) => {
        exitHandlers.push(h);
        child.on('exit', (code, signal) => h(code, signal));
      },
    };
  };
}
