/**
 * The `deml` command line. Exit codes: 0 done, 1 error, 2 bad usage or config, 130 cancelled.
 */
import { parseArgs } from 'node:util';
import { ConfigError, LEARNERS } from '../contract/config';
import { ServiceError } from '../service/errors';
import { describeWriteError } from '../store/database';
import { DATA_DIR_RULE } from '../layout/dataDirectory';
import { TRAIN_FLAGS, configFromFlags, readConfigFile } from './args';
import { DATA_USAGE, dataCommand } from './data';
import { DOCTOR_USAGE, doctorCommand } from './doctor';
import { PRESET_USAGE, presetCommand } from './preset';
import { EVAL_USAGE, evalCommand } from './eval';
import { EXPORT_USAGE, exportCommand } from './export';
import { SERVE_USAGE, serveCommand } from './serve';
import { RUNS_USAGE, cancelCommand, launchCommand, resumeCommand, runsCommand } from './runs';
import { trainCommand } from './train';
import { DATA_DIR_OPTION, UsageError, dataDirOf } from './usage';

const USAGE = `usage: deml <command> [options]

commands:
  train      meta-train and meta-test one configuration (learners: maml, fomaml, metasgd,
             protonet, matchingnet, siamese, mann; in the pixel space or DEML's concept space)
  data       import, list and describe datasets
  preset     list or run a ready-made comparison (e.g. concept-vs-pixels)
  launch     create an experiment (learners × seeds) in the store and train its runs
  runs       list the stored runs, or show one
  cancel     cancel a queued or running run (it checkpoints first)
  resume     continue a cancelled, interrupted or failed run from its newest checkpoint (or --from N)
  eval       evaluate a trained run (or checkpoint) on any dataset, split, N-way K-shot or episode file
  export     the results table of experiments or runs as LaTeX (booktabs), Markdown or CSV
  serve      the workbench in a browser (HTTP + WebSocket on 127.0.0.1, with an access token)
  doctor     which backends train here, which one auto picks, and whether the GPU computes correctly

deml train [--config file.json] [--learner ${LEARNERS.join('|')}] [--ways 5] [--shots 1]
           [--queries 15] [--meta-batch 4] [--iterations N] [--inner-steps 1]
           [--test-inner-steps 3] [--inner-lr 0.4] [--meta-lr 0.001] [--meta-sgd-init 0.005,0.1]
           [--eval-tasks 600] [--val-every 500] [--val-tasks 100] [--seed 0] [--eval-seed 0]
           [--split-fractions 0.6,0.2,0.2 (train,val,test of the classes, where the dataset stores no split)]
           [--backend auto|tensorflow|webgpu|wasm|cpu] [--data glyphs|synthetic[:classes=N,...]|NAME]
           [--data-dir DIR]
           [--filters 64] [--blocks 4] [--activation relu|tanh|softplus] [--downsample maxpool|stride]
           [--space pixels|concept] (concept space, DEML:) [--lambda 1] [--external glyphs-external]
           [--external-batch 64] [--stages 1,1,1,1] [--generator-width 16] [--concept-size 64]
           [--pre-activation true|false] [--head 128,64] [--generator-mode joint|frozen]
           [--pretrain-iterations 0] [--generator-lr LR]
           (Siamese:) [--positive-fraction 0.5] [--pairs 64] [--aggregate mean|max]
           (MANN:) [--instances 10] [--memory-slots 128] [--slot-size 40] [--read-heads 4]
           [--controller-size 200] [--gamma 0.95|learned] [--sequences 16] [--shuffled-labels true]
           [--checkpoint-dir DIR [--checkpoint-every 500] [--resume]] [--json]

${DATA_USAGE}

${PRESET_USAGE}

${RUNS_USAGE}

${SERVE_USAGE}

${EVAL_USAGE}

${EXPORT_USAGE}

${DOCTOR_USAGE}

Flags override the --config file. --json prints JSON lines (backend, start, iteration,
validation, checkpoint, result) on stdout. Ctrl-C stops at the next iteration, after a
checkpoint when --checkpoint-dir is given. The data directory (datasets, the experiment
store, runs): ${DATA_DIR_RULE}.`;

type Subcommand = (argv: string[], signal: AbortSignal) => Promise<number>;

/** The commands besides train, each with its usage text. */
const SUBCOMMANDS: Record<string, { run: Subcommand; usage: string }> = {
  data: { run: dataCommand, usage: DATA_USAGE },
  preset: { run: presetCommand, usage: PRESET_USAGE },
  export: { run: exportCommand, usage: EXPORT_USAGE },
  eval: { run: evalCommand, usage: EVAL_USAGE },
  serve: { run: serveCommand, usage: SERVE_USAGE },
  launch: { run: launchCommand, usage: RUNS_USAGE },
  runs: { run: runsCommand, usage: RUNS_USAGE },
  cancel: { run: cancelCommand, usage: RUNS_USAGE },
  resume: { run: resumeCommand, usage: RUNS_USAGE },
  doctor: { run: doctorCommand, usage: DOCTOR_USAGE },
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const sub = SUBCOMMANDS[command];
  if (sub) {
    // Every command answers --help with its own usage (parseArgs would refuse the flag).
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${sub.usage}\n`);
      return 0;
    }
    return runSubcommand(command, rest, sub.run);
  }
  if (command !== 'train') {
    process.stderr.write(`deml: unknown command '${command}'\n\n${USAGE}\n`);
    return 2;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.keys(TRAIN_FLAGS).map((f) => [f, { type: 'string' as const }])),
        config: { type: 'string' },
        'checkpoint-dir': { type: 'string' },
        ...DATA_DIR_OPTION,
        resume: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`deml train: ${(e as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130); // second Ctrl-C: stop now
    process.stderr.write('\nstopping after this iteration (Ctrl-C again to stop at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (values.resume && !values['checkpoint-dir']) {
      throw new ConfigError([{ field: '--resume', message: 'needs --checkpoint-dir' }]);
    }
    const base = typeof values.config === 'string' ? readConfigFile(values.config) : {};
    const config = configFromFlags(base, values as Record<string, string | undefined>);
    return await trainCommand({
      config,
      json: values.json === true,
      checkpointDir: values['checkpoint-dir'] as string | undefined,
      resume: values.resume === true,
      dataDir: dataDirOf(values),
      signal: controller.signal,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  } catch (e) {
    if (e instanceof ConfigError || isUsageError(e)) {
      process.stderr.write(`deml train: ${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`deml train: ${(e as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Refusals the user fixes like a bad flag (exit 2): a backend asked for by name that cannot start
 * here (engine/backend.ts), a dataset name that breaks the naming rule (data/cache.ts). Matched by
 * name so that this module loads neither.
 */
const USAGE_ERROR_NAMES = new Set(['BackendUnavailableError', 'DatasetNameError']);
function isUsageError(e: unknown): boolean {
  return e instanceof Error && USAGE_ERROR_NAMES.has(e.name);
}

async function runSubcommand(name: string, argv: string[], command: Subcommand): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await command(argv, controller.signal);
  } catch (e) {
    // Not every thrown thing has a string code (a signal's abort reason, a number, nothing).
    const code = (e as { code?: unknown } | null)?.code;
    const usage =
      e instanceof UsageError ||
      e instanceof ConfigError ||
      isUsageError(e) ||
      (e instanceof ServiceError && e.code === 'invalid') ||
      (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
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
