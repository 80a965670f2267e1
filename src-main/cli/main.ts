/**
 * The `deml` command line. Exit codes: 0 done, 1 error, 2 bad usage or config, 130 cancelled.
 * program.ts builds the commands; this parses a command line with them and runs the one named.
 */
import { type Command, CommanderError } from 'commander';
import { ConfigError } from '../contract/config';
import { ServiceError } from '../service/errors';
import { describeWriteError } from '../store/database';
import { type Invocation, invocationOf } from './command';
import { buildProgram } from './program';
import { UsageError, isUsageErrorByName } from './usage';

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let chosen: Command | undefined;
  program.hook('preAction', (_program, command) => {
    chosen = command;
  });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    // Commander has printed the help, or the error with the nearest flag or command.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const invocation = chosen && invocationOf(chosen);
  if (!invocation) return 2;
  return invocation.interrupt === 'again-exits' ? runTraining(invocation) : runCommand(invocation);
}

/**
 * `deml train`: the first Ctrl-C stops at the next iteration (after a checkpoint), the second at
 * once. A bad config or flag exits 2, any other error 1.
 */
async function runTraining(invocation: Invocation): Promise<number> {
  const name = invocation.path[0];
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130); // second Ctrl-C: stop now
    process.stderr.write('\nstopping after this iteration (Ctrl-C again to stop at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await invocation.run(controller.signal);
  } catch (e) {
    process.stderr.write(`deml ${name}: ${(e as Error).message}\n`);
    return e instanceof ConfigError || isUsageErrorByName(e) ? 2 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Every other command: Ctrl-C cancels it (exit 130); its refusals of bad usage exit 2. */
async function runCommand(invocation: Invocation): Promise<number> {
  const name = invocation.path[0];
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await invocation.run(controller.signal);
  } catch (e) {
    // Not every thrown thing has a string code (a signal's abort reason, a number, nothing).
    const code = (e as { code?: unknown } | null)?.code;
    const usage =
      e instanceof UsageError ||
      e instanceof ConfigError ||
      isUsageErrorByName(e) ||
      (e instanceof ServiceError && e.code === 'invalid');
    // SQLite's own words ("database or disk is full") become the store's ("the disk is full …").
    const sqlite = typeof code === 'string' && code.startsWith('SQLITE_');
    const message = sqlite
      ? `${describeWriteError(e)}; what was stored before is kept (deml runs shows it)`
      : controller.signal.aborted && !usage
        ? 'cancelled'
        : (e as Error).message;
    process.stderr.write(`deml ${name}: ${message}\n`);
    return usage ? 2 : controller.signal.aborted ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
