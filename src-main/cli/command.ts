/**
 * How a `deml` command is declared: its options and arguments, each with its one-line help, and
 * what it runs. The declaration becomes a commander command, which parses the command line,
 * answers --help from these descriptions and suggests the nearest flag for a mistyped one; the
 * completion scripts (completion.ts) are generated from the same commands.
 *
 * Commands receive their flags as node:util's parseArgs gave them: keyed by the flag's name
 * without its dashes ('data-dir'), every value a string (or a list of strings, for a repeatable
 * flag), switches `true` when given; a flag not given is absent.
 */
import { Argument, Command, CommanderError, Option } from 'commander';

/** One option of a command. */
export interface FlagSpec {
  /** 'string': takes a value; 'boolean': a switch. */
  type: 'string' | 'boolean';
  /** The value's placeholder in help ('N', 'FILE.json', 'ID,ID…'); strings only. */
  value?: string;
  /** One line, for help and for zsh's completion menu. */
  help: string;
  /** The values it takes, where it is a choice: help lists them and completion offers them. */
  choices?: readonly string[];
  /** May be given more than once; the values are collected in order. */
  multiple?: boolean;
  /** The help section it is listed under (commander's "Options:" when none). */
  group?: string;
}
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The parsed flags of a command declared with `S`, typed as parseArgs would type them. */
export type FlagValues<S extends FlagSpecs> = {
  -readonly [K in keyof S]?: S[K]['type'] extends 'boolean'
    ? boolean
    : S[K] extends { multiple: true }
      ? string[]
      : string;
};

/** A positional argument. */
export interface ArgumentSpec {
  /** As help shows it: 'ID', 'PATH', 'FILE.json'. */
  name: string;
  help: string;
  /** Absent: the command checks for it (or it is optional). */
  required?: boolean;
  /** Takes every remaining word. */
  variadic?: boolean;
  choices?: readonly string[];
}

export interface CommandSpec<S extends FlagSpecs> {
  name: string;
  /** One line: what it does (the command list of `deml --help`). */
  summary: string;
  /** More, shown after the options in the command's own help. */
  details?: string;
  options: S;
  args?: readonly ArgumentSpec[];
  /** Options declared elsewhere, added after `options` (the training flags: trainFlags.ts). */
  moreOptions?: (cmd: Command) => void;
  /**
   * Ctrl-C: by default the first one aborts `signal` (the command stops cleanly and exits 130).
   * 'again-exits': training's, where a second Ctrl-C exits at once (main.ts).
   */
  interrupt?: 'again-exits';
  run: (values: FlagValues<S>, args: string[], signal: AbortSignal) => Promise<number>;
}

/** A command ready to run: its words on the command line and its parsed flags bound in. */
export interface Invocation {
  /** The words naming it ('data', 'import'), without 'deml'. */
  path: string[];
  interrupt?: 'again-exits';
  run: (signal: AbortSignal) => Promise<number>;
}

/** A declared command: a fresh commander command each call (a parse leaves its values in it). */
export type CommandFactory = () => Command;

const INVOCATIONS = new WeakMap<Command, (cmd: Command) => Invocation>();

/** A leaf command: options, arguments, and what it runs. */
export function defineCommand<S extends FlagSpecs>(spec: CommandSpec<S>): CommandFactory {
  return () => {
    const cmd = new Command(spec.name).summary(spec.summary).description(spec.summary);
    for (const [flag, f] of Object.entries(spec.options)) cmd.addOption(optionOf(flag, f));
    spec.moreOptions?.(cmd);
    for (const a of spec.args ?? []) {
      const name = `${a.name}${a.variadic ? '...' : ''}`;
      const argument = new Argument(a.required ? `<${name}>` : `[${name}]`, a.help);
      // Listed and completed, not checked: as for options (valueOption).
      if (a.choices) argument.argChoices = [...a.choices];
      cmd.addArgument(argument);
    }
    if (spec.details) addDetails(cmd, spec.details);
    // The run happens after parsing (main.ts), outside commander: this only marks the command
    // runnable, so that commander parses its arguments.
    cmd.action(() => {});
    INVOCATIONS.set(cmd, (parsed) => {
      const values = valuesOf(parsed) as FlagValues<S>;
      const args = [...parsed.args];
      return {
        path: pathOf(parsed),
        interrupt: spec.interrupt,
        run: (signal) => spec.run(values, args, signal),
      };
    });
    return cmd;
  };
}

/** A command made of commands (`deml data import|list|…`). */
export function defineGroup(spec: {
  name: string;
  summary: string;
  details?: string;
  commands: readonly CommandFactory[];
}): CommandFactory {
  return () => {
    const cmd = new Command(spec.name).summary(spec.summary).description(spec.summary);
    for (const sub of spec.commands) cmd.addCommand(sub());
    if (spec.details) addDetails(cmd, spec.details);
    return cmd;
  };
}

/** Text after the options in the command's help, wrapped as commander wraps the rest. */
export function addDetails(cmd: Command, text: string): Command {
  return cmd.addHelpText('after', () => {
    const width = (process.stdout.isTTY ? process.stdout.columns : undefined) ?? 80;
    return `\n${cmd.createHelp().boxWrap(text, width)}`;
  });
}

/** The command that parsed a command line, ready to run; undefined for one that runs nothing. */
export function invocationOf(cmd: Command): Invocation | undefined {
  return INVOCATIONS.get(cmd)?.(cmd);
}

/** Every command below `root`, `root` first, parents before their commands. */
export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap(allCommands)];
}

/** The command's words, from below the program: ['data', 'import']. */
export function pathOf(cmd: Command): string[] {
  const words: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) words.unshift(c.name());
  return words;
}

function optionOf(flag: string, f: FlagSpec): Option {
  if (f.type === 'boolean') {
    const option = new Option(`--${flag}`, f.help);
    if (f.group) option.helpGroup(f.group);
    return option;
  }
  const option = valueOption(flag, f.value ?? 'VALUE', f.help, f.choices);
  if (f.multiple) option.argParser((v: string, previous: string[] | undefined) => [...(previous ?? []), v]);
  if (f.group) option.helpGroup(f.group);
  return option;
}

/**
 * An option that takes a value. Commander reads flags' placeholders for their syntax (a '[' makes
 * the value optional, a trailing '...' variadic), so the option is made with a plain one and the
 * placeholder help shows is set after. The choices are listed and completed but not checked here:
 * the command checks the value itself, in its own words (the schema, for training flags).
 */
export function valueOption(flag: string, value: string, help: string, choices?: readonly string[]): Option {
  const option = new Option(`--${flag} <value>`, help);
  option.flags = `--${flag} <${value}>`;
  if (choices) option.argChoices = [...choices];
  return option;
}

/** The parsed flags as parseArgs gave them (see the top of this module). */
function valuesOf(cmd: Command): Record<string, string | string[] | boolean | undefined> {
  const values: Record<string, string | string[] | boolean | undefined> = {};
  for (const option of cmd.options) {
    if (!option.long) continue;
    const value: unknown = cmd.getOptionValue(option.attributeName());
    const flag = option.long.slice(2);
    // --invert and --no-invert share one value: true, false, or undefined when neither is given.
    if (option.negate) {
      if (value === false) values[flag] = true;
    } else if (option.isBoolean()) {
      if (value === true) values[flag] = true;
    } else if (typeof value === 'string' || Array.isArray(value)) {
      values[flag] = value as string | string[];
    }
  }
  return values;
}

/**
 * Parse `argv` for one command on its own and run it, for a script that bundles one command
 * without the rest of the CLI. Exit 2 for a bad command line, 0 after --help.
 */
export async function runAlone(factory: CommandFactory, argv: string[]): Promise<number> {
  const cmd = factory().exitOverride();
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return invocationOf(cmd)!.run(new AbortController().signal);
}
