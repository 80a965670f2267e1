/**
 * Starting a trainer process. The queue sees one interface; the CLI and `deml serve` use
 * child_process.fork, the app Electron's utilityProcess (electron/trainerLauncher.ts).
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromTrainer, ToTrainer } from './messages';
import { sourceBundle, sourceLayout } from '../../bin/sourceBundle.mjs';

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

/** This module's folder: src-main/jobs, or that of a bundle of the sources. */
const HERE = dirname(fileURLToPath(import.meta.url));

let bundleFailure: string | null = null;

/**
 * The entry a trainer started from the sources runs: the bundle of the sources as they are now
 * (bin/sourceBundle.mjs), also from a process that itself runs an older bundle of them, or the
 * TypeScript through tsx's loader where that bundle cannot be built (said once on stderr) or
 * DEML_BUNDLE=0 asks for it.
 */
function sourceTrainerEntry(): string {
  const layout = sourceLayout(HERE);
  const typescript = join(layout ? join(layout.sources, 'jobs') : HERE, 'trainerEntry.ts');
  if (layout == null || process.env.DEML_BUNDLE === '0' || bundleFailure != null) return typescript;
  try {
    return join(sourceBundle(layout), 'trainerEntry.mjs');
  } catch (e) {
    bundleFailure = (e as Error).message;
    process.stderr.write(
      `deml: trainers start from the TypeScript sources, more slowly: their bundle could not be built in ${layout.cache} (${bundleFailure})\n`,
    );
    return typescript;
  }
}

/**
 * The command that starts the trainer entry with this Node: the same for a forked child and for
 * a cluster job's script (which runs it on a compute node, from the shared filesystem). Without
 * an entry, the sources' (above), looked up at each start so that a trainer runs the sources as
 * they are when it starts, as it did when tsx loaded them.
 */
export function trainerCommand(entry?: string): { node: string; execArgv: string[]; entry: string } {
  const chosen = entry ?? sourceTrainerEntry();
  // Resolved here, not by the child: the child's cwd may be anywhere.
  const execArgv = chosen.endsWith('.ts')
    ? [`--import=${import.meta.resolve('tsx')}`]
    : existsSync(`${chosen}.map`)
      ? ['--enable-source-maps'] // a crash's stack names the sources' lines
      : [];
  return { node: process.execPath, execArgv, entry: chosen };
}

export function forkLauncher(options: { entry?: string; env?: NodeJS.ProcessEnv } = {}): TrainerLauncher {
  return (job) => {
    const { entry, execArgv } = trainerCommand(options.entry);
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
