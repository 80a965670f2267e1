/**
 * `deml completion bash|zsh`: a completion script generated from the command tree, so a command or
 * flag added to a command's declaration completes with no change here. It completes the commands
 * (`deml data <TAB>`), each command's flags (`deml train --meta-<TAB>`), a flag's choices
 * (`--learner <TAB>`, also as `--learner=<TAB>`), and positional arguments with choices (a
 * preset's id). A value whose placeholder names a folder (DIR) completes folders; one naming a
 * file (FILE, PATH, *.json) completes files; any other completes nothing.
 *
 * The scripts are tables (shell functions of `case` statements, one branch per command) and one
 * walker: it follows the words typed so far to the command they name, skipping flags and their
 * values, then completes the current word from that command's branch. The bash script needs no
 * bash-completion package and runs on bash 3.2 (macOS); the zsh one uses zsh's own completion
 * system (compinit), with each command's and flag's help as its description.
 */
import { type Argument, type Command, type Option } from 'commander';
import { allCommands, pathOf } from './command';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** What a value completes to: these words, files, folders, or nothing. */
type Values = { words: string[] } | 'file' | 'dir' | null;

interface Node {
  /** 'deml data import' */
  path: string;
  commands: Array<{ name: string; help: string }>;
  options: Array<{ names: string[]; help: string; takesValue: boolean; values: Values }>;
  /** What the command's first positional argument completes to. */
  args: Values;
}

/** A shell word that is safe in both shells' `compgen -W` / `compadd` lists. */
const PLAIN_WORD = /^[\w.,:+@%/=-]+$/;

function valuesOf(placeholder: string, choices: readonly string[] | undefined): Values {
  if (choices?.length) return { words: choices.filter((c) => PLAIN_WORD.test(c)) };
  if (/DIR/.test(placeholder)) return 'dir';
  if (/FILE|PATH|\.json\b/i.test(placeholder)) return 'file';
  return null;
}

/** An option's placeholder as help shows it: 'N' of '--ways <N>'. */
const placeholderOf = (option: Option) => /<(.*)>|\[(.*)\]/.exec(option.flags)?.slice(1).find(Boolean) ?? '';

function argumentValues(argument: Argument | undefined): Values {
  return argument ? valuesOf(argument.name(), argument.argChoices) : null;
}

/** The completion model of every command of `program`. */
function nodesOf(program: Command): Node[] {
  return allCommands(program)
    .map((cmd) => {
      const help = cmd.createHelp();
      const commands = help.visibleCommands(cmd);
      return {
        path: ['deml', ...pathOf(cmd)].join(' '),
        commands: commands.map((c) => ({ name: c.name(), help: help.subcommandDescription(c) })),
        options: help.visibleOptions(cmd).map((o) => ({
          names: [o.short, o.long].filter((n): n is string => n !== undefined),
          help: o.description,
          takesValue: o.required || o.optional,
          values: o.required || o.optional ? valuesOf(placeholderOf(o), o.argChoices) : null,
        })),
        args: cmd.commands.length > 0 ? null : argumentValues(help.visibleArguments(cmd)[0]),
      };
    })
    .concat(implicitHelpNodes(program));
}

/**
 * `deml help <TAB>`, `deml data help <TAB>`: the commands beside it. Commander adds that `help`
 * command to every command with commands of its own, outside their list (`cmd.commands`).
 */
function implicitHelpNodes(program: Command): Node[] {
  return allCommands(program)
    .filter((cmd) => cmd.commands.length > 0)
    .map((cmd) => ({
      path: ['deml', ...pathOf(cmd), 'help'].join(' '),
      commands: [],
      options: [],
      args: { words: cmd.commands.map((c) => c.name()) },
    }));
}

/** Single-quoted for either shell. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const valuesWord = (v: Values): string =>
  v === null ? '' : v === 'file' ? '@file' : v === 'dir' ? '@dir' : v.words.join(' ');

/** A shell function printing, for the command path in $1, what `body` says (skipped when empty). */
function table(name: string, nodes: Node[], body: (node: Node) => string[]): string {
  const branches = nodes
    .map((node) => ({ node, lines: body(node) }))
    .filter((b) => b.lines.length > 0)
    .map((b) => `    ${quote(b.node.path)})\n${b.lines.map((l) => `      ${l}\n`).join('')}      ;;`);
  return `${name}() {\n  case "$1" in\n${branches.join('\n')}\n  esac\n}`;
}

/** `_deml_takes_value PATH FLAG`: whether FLAG of the command at PATH takes a value. */
function takesValueTable(nodes: Node[]): string {
  return table('_deml_takes_value', nodes, (node) => {
    const names = node.options.filter((o) => o.takesValue).flatMap((o) => o.names);
    return names.length ? [`case "$2" in ${names.map(quote).join('|')}) return 0 ;; esac`] : [];
  }).replace(/\n}$/, '\n  return 1\n}');
}

/** `_deml_values PATH FLAG`: what FLAG's value completes to (words, @file, @dir). */
function valuesTable(nodes: Node[]): string {
  return table('_deml_values', nodes, (node) => {
    const branches = node.options
      .filter((o) => o.takesValue && valuesWord(o.values) !== '')
      .map((o) => `${o.names.map(quote).join('|')}) echo ${quote(valuesWord(o.values))} ;;`);
    return branches.length ? ['case "$2" in', ...branches.map((b) => `  ${b}`), 'esac'] : [];
  });
}

function argumentsTable(nodes: Node[]): string {
  return table('_deml_arguments', nodes, (node) => {
    const words = valuesWord(node.args);
    return words ? [`echo ${quote(words)}`] : [];
  });
}

function bashScript(nodes: Node[]): string {
  const commands = table('_deml_commands', nodes, (node) =>
    node.commands.length ? [`echo ${quote(node.commands.map((c) => c.name).join(' '))}`] : [],
  );
  const options = table('_deml_options', nodes, (node) => [
    `echo ${quote(node.options.flatMap((o) => o.names).join(' '))}`,
  ]);
  return `# bash completion for deml, generated by \`deml completion bash\`.
# Load it with: source <(deml completion bash)   (e.g. in ~/.bashrc)

${commands}

${options}

${takesValueTable(nodes)}

${valuesTable(nodes)}

${argumentsTable(nodes)}

# COMPREPLY from $1 (words, @file or @dir) for the word $2.
_deml_reply() {
  local IFS=$'\\n'
  case "$1" in
    @file) COMPREPLY=($(compgen -f -- "$2")); compopt -o filenames 2>/dev/null ;;
    @dir) COMPREPLY=($(compgen -d -- "$2")); compopt -o filenames 2>/dev/null ;;
    *) IFS=$' \\t\\n'; COMPREPLY=($(compgen -W "$1" -- "$2")) ;;
  esac
}

_deml() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local path=deml flag= i=1 w words
  COMPREPLY=()
  # The command the words so far name, skipping flags and their values (bash splits --flag=value
  # into --flag, = and value).
  while [ "$i" -lt "$COMP_CWORD" ]; do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      -*)
        if _deml_takes_value "$path" "$w"; then
          i=$((i + 1))
          if [ "\${COMP_WORDS[i]}" = "=" ]; then i=$((i + 1)); fi
        fi
        ;;
      *)
        case " $(_deml_commands "$path") " in
          *" $w "*) path="$path $w" ;;
        esac
        ;;
    esac
    i=$((i + 1))
  done
  if [ "$cur" = "=" ]; then
    flag="$prev"
    cur=
  elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 2 ]; then
    flag="\${COMP_WORDS[COMP_CWORD-2]}"
  elif _deml_takes_value "$path" "$prev"; then
    flag="$prev"
  fi
  if [ -n "$flag" ]; then
    _deml_reply "$(_deml_values "$path" "$flag")" "$cur"
    return 0
  fi
  case "$cur" in
    -*) _deml_reply "$(_deml_options "$path")" "$cur" ;;
    *)
      words="$(_deml_commands "$path")"
      [ -n "$words" ] || words="$(_deml_arguments "$path")"
      [ -n "$words" ] || words="$(_deml_options "$path")"
      _deml_reply "$words" "$cur"
      ;;
  esac
  return 0
}

complete -F _deml deml
`;
}

/** zsh's _describe entries: 'name:description', a colon in the name escaped. */
const describe = (name: string, help: string) =>
  quote(`${name.replace(/:/g, '\\:')}:${help.replace(/\s+/g, ' ').trim()}`);

function zshScript(nodes: Node[]): string {
  const commands = table('_deml_commands', nodes, (node) =>
    node.commands.length
      ? [`print -rl -- ${node.commands.map((c) => describe(c.name, c.help)).join(' ')}`]
      : [],
  );
  const options = table('_deml_options', nodes, (node) => [
    `print -rl -- ${node.options.flatMap((o) => o.names.map((n) => describe(n, o.help))).join(' ')}`,
  ]);
  return `#compdef deml
# zsh completion for deml, generated by \`deml completion zsh\`.
# Load it with: source <(deml completion zsh)   (after compinit, e.g. in ~/.zshrc),
# or save it as _deml in a folder of $fpath.

${commands}

${options}

${takesValueTable(nodes)}

${valuesTable(nodes)}

${argumentsTable(nodes)}

# Complete from $1: words, @file or @dir.
_deml_complete() {
  case "$1" in
    @file) _files ;;
    @dir) _files -/ ;;
    '') return 1 ;;
    *) compadd -- \${=1} ;;
  esac
}

_deml() {
  local cmdpath=deml flag= i=2 w spec
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}"
  local -a items names
  # The command the words so far name, skipping flags and their values.
  while (( i < CURRENT )); do
    w="\${words[i]}"
    case "$w" in
      -*) _deml_takes_value "$cmdpath" "$w" && (( i++ )) ;;
      *)
        names=(\${(f)"$(_deml_commands "$cmdpath")"})
        names=(\${names%%:*})
        (( \${names[(Ie)$w]} )) && cmdpath="$cmdpath $w"
        ;;
    esac
    (( i++ ))
  done
  if [[ "$cur" == --*=* ]]; then
    flag="\${cur%%=*}"
    compset -P '*='
  elif (( CURRENT > 2 )) && _deml_takes_value "$cmdpath" "$prev"; then
    flag="$prev"
  fi
  if [[ -n "$flag" ]]; then
    _deml_complete "$(_deml_values "$cmdpath" "$flag")"
    return
  fi
  if [[ "$cur" != -* ]]; then
    items=(\${(f)"$(_deml_commands "$cmdpath")"})
    if (( $#items )); then
      _describe -t commands 'deml command' items
      return
    fi
    spec="$(_deml_arguments "$cmdpath")"
    if [[ -n "$spec" ]]; then
      _deml_complete "$spec"
      return
    fi
  fi
  items=(\${(f)"$(_deml_options "$cmdpath")"})
  _describe -t options option items
}

if [[ "\${funcstack[1]}" == _deml ]]; then
  _deml "$@"
else
  compdef _deml deml
fi
`;
}

/** The completion script of `program` for `shell`. */
export function completionScript(program: Command, shell: Shell): string {
  const nodes = nodesOf(program);
  return shell === 'bash' ? bashScript(nodes) : zshScript(nodes);
}
