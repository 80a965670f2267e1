/**
 * `deml completion bash|zsh`: scripts the shells accept, generated from the command tree, that
 * complete commands, flags and choices. The bash script is run here on simulated command lines.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RUN_STATUSES } from '../../src-main/contract/records';
import { EXPORT_FORMATS } from '../../src-main/contract/exportTable';
import { main } from '../../src-main/cli/main';
import { allCommands, pathOf } from '../../src-main/cli/command';
import { buildProgram } from '../../src-main/cli/program';

afterEach(() => vi.restoreAllMocks());

async function script(shell: string): Promise<{ code: number; out: string }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: await main(['completion', shell]), out };
  } finally {
    vi.restoreAllMocks();
  }
}

/**
 * Whether a shell is here to check the script with. Elsewhere its checks skip, saying so; CI
 * installs both (.ci/run), so a missing one there is an error, never a silent skip.
 */
const hasShell = (shell: string) => {
  if (spawnSync(shell, ['-c', 'true']).status === 0) return true;
  if (process.env.CI) throw new Error(`.ci/run installs ${shell}, but it is missing here`);
  console.warn(`skipped: ${shell} is not installed (its completion checks need it)`);
  return false;
};

/** What the bash script completes `line` to (the last word being the one completed). */
function bashCompletes(source: string, words: string[]): string[] {
  const test = `
${source}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length - 1}
_deml
printf '%s\\n' "\${COMPREPLY[@]}"
`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', test], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean);
}

describe('deml completion', () => {
  it('bash: a script bash accepts, with every command and flag', async () => {
    const { code, out } = await script('bash');
    expect(code).toBe(0);
    expect(out).toMatch(/^# bash completion for deml/);
    expect(out).toContain('complete -F _deml deml');
    for (const command of allCommands(buildProgram()).slice(1)) {
      expect(out).toContain(command.name());
      expect(out).toContain(`'deml ${pathOf(command).join(' ')}')`);
      for (const option of command.options.filter((o) => !o.hidden)) expect(out).toContain(option.long);
    }
    expect(out).toContain('--meta-batch');
    const check = spawnSync('bash', ['-n'], { input: out, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('zsh: a script zsh accepts, with the commands and flags described', async () => {
    const { code, out } = await script('zsh');
    expect(code).toBe(0);
    expect(out).toMatch(/^#compdef deml\n/);
    expect(out).toContain("'train:meta-train and meta-test one configuration");
    expect(out).toContain("'--meta-batch:");
    if (!hasShell('zsh')) return;
    const check = spawnSync('zsh', ['-n'], { input: out, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it.runIf(hasShell('bash'))('bash completes commands, flags, choices and files', async () => {
    const { out } = await script('bash');
    expect(bashCompletes(out, ['deml', ''])).toEqual(expect.arrayContaining(['train', 'data', 'completion']));
    expect(bashCompletes(out, ['deml', 'tr'])).toEqual(['train']);
    expect(bashCompletes(out, ['deml', 'train', '--meta-b'])).toEqual(['--meta-batch']);
    expect(bashCompletes(out, ['deml', 'data', ''])).toEqual([
      'import',
      'list',
      'check-episodes',
      'info',
      'help',
    ]);
    expect(bashCompletes(out, ['deml', 'data', 'import', '--ch'])).toEqual(['--channels']);
    expect(bashCompletes(out, ['deml', 'export', '--format', ''])).toEqual([...EXPORT_FORMATS]);
    // bash splits --flag=value at the '='.
    expect(bashCompletes(out, ['deml', 'export', '--format', '=', 'la'])).toEqual(['latex']);
    // A flag's value is not taken for a command: `--data train` is no `train` command.
    expect(bashCompletes(out, ['deml', 'runs', '--experiment', '3', '--status', ''])).toEqual([
      ...RUN_STATUSES,
    ]);
    expect(bashCompletes(out, ['deml', 'completion', ''])).toEqual(['bash', 'zsh']);
    expect(bashCompletes(out, ['deml', 'help', 'ev'])).toEqual(['eval']);
    expect(bashCompletes(out, ['deml', 'preset', 'run', 'maml-'])).toEqual(['maml-vs-metasgd']);
    // A folder for --data-dir, a file for --config.
    expect(bashCompletes(out, ['deml', 'train', '--data-dir', '/pro'])).toEqual(['/proc']);
    expect(bashCompletes(out, ['deml', 'train', '--config', '/etc/hostnam'])).toEqual(['/etc/hostname']);
  });

  it.runIf(hasShell('zsh'))('zsh completes commands, flags, choices and files', async () => {
    const { out } = await script('zsh');
    // zsh's completion system, stubbed: each of its functions prints what it was given.
    const zshCompletes = (words: string[]) => {
      const test = `
compdef() { :; }
${out}
# (_got: a name of its own, or it would hide the caller's array it reads.)
_describe() { local -a _got; _got=("\${(@P)\${@[-1]}}"); print -rl -- "\${_got[@]%%:*}"; }
compadd() { shift; print -rl -- "$@"; }
_files() { print -r -- "(files $*)"; }
compset() { :; }
words=(${words.map((w) => `'${w}'`).join(' ')})
CURRENT=${words.length}
_deml`;
      const r = spawnSync('zsh', ['-f', '-c', test], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter(Boolean);
    };
    expect(zshCompletes(['deml', ''])).toEqual(expect.arrayContaining(['train', 'data', 'completion']));
    expect(zshCompletes(['deml', 'train', '--'])).toEqual(expect.arrayContaining(['--meta-batch', '--json']));
    expect(zshCompletes(['deml', 'data', 'import', '--format', ''])).toEqual([
      'omniglot',
      'folder',
      'miniimagenet',
    ]);
    expect(zshCompletes(['deml', 'export', '--format=l'])).toEqual([...EXPORT_FORMATS]);
    expect(zshCompletes(['deml', 'runs', '--experiment', '3', '--status', ''])).toEqual([...RUN_STATUSES]);
    expect(zshCompletes(['deml', 'train', '--data-dir', ''])).toEqual(['(files -/)']);
    expect(zshCompletes(['deml', 'eval', '--episodes', ''])).toEqual(['(files )']);
  });

  it('refuses a shell it has no script for (exit 2)', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['completion', 'fish'])).toBe(2);
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(/the shell is one of bash, zsh, got 'fish'/);
  });
});
