/**
 * The `deml` command tree, built from each command's declaration (command.ts): the program that
 * main.ts parses a command line with.
 */
import { Command } from 'commander';
import { DATA_DIR_RULE } from '../layout/dataDirectory';
import { addDetails, allCommands, pathOf } from './command';
import { DATA } from './data';
import { DOCTOR } from './doctor';
import { EVAL } from './eval';
import { EXPORT } from './export';
import { PRESET } from './preset';
import { CANCEL, LAUNCH, RESUME, RUNS } from './runs';
import { SERVE } from './serve';
import { TRAIN } from './train';

/** The commands in the order `deml --help` lists them. */
const COMMANDS = [TRAIN, DATA, PRESET, LAUNCH, RUNS, CANCEL, RESUME, EVAL, EXPORT, SERVE, DOCTOR];

/** A fresh program (a parse leaves its values in the commands). */
export function buildProgram(): Command {
  const program = new Command('deml').description(
    'DEML Workbench: few-shot meta-learning (MAML, Meta-SGD, DEML) on the command line',
  );
  addDetails(
    program,
    '`deml <command> --help` shows the options of a command. Exit codes: 0 done, 1 error, 2 bad ' +
      'usage or config, 130 cancelled.\nThe data directory (datasets, the experiment store, runs): ' +
      `${DATA_DIR_RULE}.`,
  );
  for (const command of COMMANDS) program.addCommand(command());
  for (const cmd of allCommands(program)) {
    const name = ['deml', ...pathOf(cmd)].join(' ');
    // Errors as the commands word their own: "deml train: unknown option '--meta-bach' (Did you
    // mean --meta-batch?)"; main.ts turns commander's exit into ours (2).
    cmd.exitOverride().configureOutput({
      outputError: (text, write) =>
        write(`${name}: ${text.replace(/^error: /, '').replace(/\n(?=.)/g, ' ')}`),
    });
  }
  return program;
}
