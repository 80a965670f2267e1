/**
 * `deml eval`: evaluate a trained model as papers report it, in this process. A stored run's
 * checkpoint (`--run ID`, the newest or `--step N`) is evaluated and the result stored with the
 * run; a checkpoint of `deml train --checkpoint-dir` (`--checkpoint PATH`) is evaluated and printed.
 */
import { EVALUATION_SPLITS } from '../contract/evaluation';
import { defineCommand } from './command';
import { DATA_DIR_FLAG } from './usage';

export const EVAL_FLAGS = {
  run: { type: 'string', value: 'ID', help: 'a stored run: its newest checkpoint, or the one at --step' },
  step: { type: 'string', value: 'N', help: "which of the run's checkpoints: the one at iteration N" },
  checkpoint: {
    type: 'string',
    value: 'PATH',
    help: 'a checkpoint file of deml train --checkpoint-dir, or its folder (the newest in it)',
  },
  data: { type: 'string', value: 'NAME', help: 'the dataset to evaluate on (default: the one trained on)' },
  split: {
    type: 'string',
    value: 'SPLIT',
    help: "the dataset's classes to draw tasks from (default: test)",
    choices: EVALUATION_SPLITS,
  },
  ways: { type: 'string', value: 'N', help: 'N-way tasks (default: as trained)' },
  shots: { type: 'string', value: 'K', help: 'K support images per class (default: as trained)' },
  queries: { type: 'string', value: 'Q', help: 'query images per class (default: as trained)' },
  'inner-steps': {
    type: 'string',
    value: 'S',
    help: 'adaptation steps on each task (default: as trained for testing)',
  },
  tasks: { type: 'string', value: 'T', help: 'how many tasks (default: as trained for testing)' },
  'episode-seed': {
    type: 'string',
    value: 'S',
    help: "the seed the tasks are drawn with (default: the run's evaluation seed)",
  },
  episodes: {
    type: 'string',
    value: 'FILE.json',
    help: 'the fixed episodes of an episode file, in place of split, ways, shots, queries, tasks and seed',
  },
  'episodes-outside': {
    type: 'boolean',
    help: "let the episode file's image paths leave its folder (refused by default)",
  },
  json: { type: 'boolean', help: 'print the result as one JSON line' },
  'data-dir': DATA_DIR_FLAG,
} as const;

export const EVAL = defineCommand({
  name: 'eval',
  summary: 'evaluate a trained run (or checkpoint) on any dataset, split, N-way K-shot or episode file',
  details:
    'Give --run ID (the result is stored with the run) or --checkpoint PATH (it is printed). Settings ' +
    'not given are those the model was trained and tested with.',
  options: EVAL_FLAGS,
  // Evaluating loads TensorFlow.js: only this command pays for it (evalCommand.ts).
  run: async (values, _args, signal) => (await import('./evalCommand')).evalCommand(values, signal),
});
