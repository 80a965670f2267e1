/**
 * The training flags on the command line of `deml train` and `deml launch`: listed and completed
 * as args.ts's TRAIN_OPTIONS describes them, parsed as strings for configFromFlags (TRAIN_FLAGS).
 * No flag is named here: the list is TRAIN_OPTIONS'.
 */
import { type Command, Option } from 'commander';
import { TRAIN_FLAGS, TRAIN_OPTIONS } from './args';
import { type FlagSpec, valueOption } from './command';

/** The help section of a group of training flags ('concept space' → 'Concept space:'). */
export function trainGroupHeading(group: string): string {
  return `${group.charAt(0).toUpperCase()}${group.slice(1)}:`;
}

/**
 * Add the training flags to `cmd`, after its own: in TRAIN_OPTIONS' order, under their groups'
 * headings. A flag configFromFlags reads that TRAIN_OPTIONS leaves out is still taken, unlisted;
 * one the command declares itself keeps the command's meaning.
 */
export function addTrainFlags(cmd: Command): void {
  const taken = new Set(cmd.options.map((o) => o.long));
  for (const t of TRAIN_OPTIONS) {
    if (taken.has(`--${t.flag}`)) continue;
    taken.add(`--${t.flag}`);
    cmd.addOption(valueOption(t.flag, t.valueName, t.help, t.choices).helpGroup(trainGroupHeading(t.group)));
  }
  for (const flag of Object.keys(TRAIN_FLAGS)) {
    if (!taken.has(`--${flag}`)) cmd.addOption(new Option(`--${flag} <value>`).hideHelp());
  }
}

/**
 * A training flag that another command also takes (`deml data info --split-fractions`), with the
 * training flag's help and choices where TRAIN_OPTIONS lists it, else `fallback`'s.
 */
export function trainFlag(flag: string, fallback: FlagSpec): FlagSpec {
  const t = TRAIN_OPTIONS.find((o) => o.flag === flag);
  return t ? { type: 'string', value: t.valueName, help: t.help, choices: t.choices } : fallback;
}

/** The flags given a value, for configFromFlags (which takes the training flags among them). */
export function stringValues(values: object): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}
