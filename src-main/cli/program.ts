/**
 * The `deml` command tree, built from each command's declaration (command.ts): the program that
 * main.ts parses a command line with, and that completion.ts walks.
 */
import { Command } from 'commander';
import { DATA_DIR_RULE } from '../layout/dataDirectory';
import { addDetails, allCommands, defineCommand, pathOf } from './command';
import { SHELLS, type Shell, completionScript } from './completion';
import { DATA } from './data';
import { DOCTOR } from './doctor';
import { EVAL } from './eval';
import { EXPORT } from './export';
import { PRESET } from './preset';
import { CANCEL, LAUNCH, RESUME, RUNS } from './runs';
import { SERVE } from './serve';
import { SWEEP, SWEEPS } from './sweep';
import { TRAIN } from './train';
import { UsageError } from './usage';

/** The commands in the order `deml --help` lists them. */
const COMMANDS = [
  TRAIN,
  DATA,
  PRESET,
  LAUNCH,
  SWEEP,
  SWEEPS,
  RUNS,
  CANCEL,
  RESUME,
  EVAL,
  EXPORT,
  SERVE,
  DOCTOR,
];

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
  program.addCommand(
    defineCommand({
      name: 'completion',
      summary: 'print a completion script for bash or zsh: commands, their flags, and choices',
      details:
        'bash: source <(deml completion bash), e.g. in ~/.bashrc\n' +
        'zsh:  source <(deml completion zsh) after compinit, or save it as _deml in a folder of $fpath',
      options: {},
      args: [{ name: 'SHELL', help: 'the shell', required: true, choices: SHELLS }],
      run: async (_values, [shell]) => {
        if (!SHELLS.includes(shell as Shell)) {
          throw new UsageError(`the shell is one of ${SHELLS.join(', ')}, got '${shell}'`);
        }
        process.stdout.write(completionScript(program, shell as Shell));
        return 0;
      },
    })(),
  );
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
