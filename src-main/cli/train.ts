/** `deml train`: run one experiment config headlessly on the engine. */
import { ConfigError, LEARNERS } from '../contract/config';
import { configFromFlags, readConfigFile } from './args';
import { defineCommand } from './command';
import { addTrainFlags, stringValues } from './trainFlags';
import { DATA_DIR_FLAG, dataDirOf } from './usage';

/** `deml train`'s command line: its own flags, then the training flags (args.ts), by group. */
export const TRAIN = defineCommand({
  name: 'train',
  summary:
    `meta-train and meta-test one configuration (learners: ${LEARNERS.join(', ')}; ` +
    "in the pixel space or DEML's concept space)",
  details:
    'The training flags override the --config file. Ctrl-C stops at the next iteration, after a ' +
    'checkpoint when --checkpoint-dir is given; a second Ctrl-C stops at once.',
  options: {
    config: {
      type: 'string',
      value: 'file.json',
      help: 'an experiment config (JSON); the training flags override its fields',
    },
    'checkpoint-dir': {
      type: 'string',
      value: 'DIR',
      help: 'save checkpoints in DIR as training goes, and on Ctrl-C',
    },
    resume: {
      type: 'boolean',
      help: 'continue from the newest checkpoint in --checkpoint-dir (give the same config)',
    },
    json: {
      type: 'boolean',
      help: 'print JSON lines on stdout: backend, start, iteration, validation, checkpoint, result',
    },
    'data-dir': DATA_DIR_FLAG,
  },
  moreOptions: addTrainFlags,
  interrupt: 'again-exits',
  run: async (values, _args, signal) => {
    if (values.resume && !values['checkpoint-dir']) {
      throw new ConfigError([{ field: '--resume', message: 'needs --checkpoint-dir' }]);
    }
    const base = values.config !== undefined ? readConfigFile(values.config) : {};
    const config = configFromFlags(base, stringValues(values));
    // Training loads TensorFlow.js: only the commands that train pay for it (trainCommand.ts).
    const { trainCommand } = await import('./trainCommand');
    return trainCommand({
      config,
      json: values.json === true,
      checkpointDir: values['checkpoint-dir'],
      resume: values.resume === true,
      dataDir: dataDirOf(values),
      signal,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  },
});
