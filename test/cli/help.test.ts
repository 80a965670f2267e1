/**
 * The command line's help and refusals, generated from the commands' declarations: every command
 * answers --help (and -h) with its usage, exit 0; a mistyped flag or command is refused with the
 * nearest one, exit 2.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TRAIN_OPTIONS } from '../../src-main/cli/args';
import { allCommands, pathOf } from '../../src-main/cli/command';
import { trainGroupHeading } from '../../src-main/cli/trainFlags';
import { main } from '../../src-main/cli/main';
import { buildProgram } from '../../src-main/cli/program';

afterEach(() => vi.restoreAllMocks());

/** main() in this process, its stdout and stderr captured. */
export async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

const commands = allCommands(buildProgram()).slice(1);

describe('deml <command> --help', () => {
  it('covers every command, the commands of data and preset among them', () => {
    const names = commands.map((c) => pathOf(c).join(' '));
    for (const name of ['train', 'data import', 'data info', 'preset run', 'launch', 'runs', 'eval'])
      expect(names).toContain(name);
    for (const name of ['export', 'serve', 'cancel', 'resume', 'doctor', 'completion'])
      expect(names).toContain(name);
  });

  for (const command of commands) {
    const path = pathOf(command);
    it(`${path.join(' ')} --help and -h print its usage, its description and each of its flags`, async () => {
      for (const flag of ['--help', '-h']) {
        const r = await run([...path, flag]);
        expect(r.code, `${path.join(' ')} ${flag}`).toBe(0);
        expect(r.out).toMatch(new RegExp(`^Usage: deml ${path.join(' ')} `));
        // Help wraps long lines: compare words, not lines.
        const words = r.out.replace(/\s+/g, ' ');
        expect(words).toContain(command.description().replace(/\s+/g, ' '));
        for (const option of command.options.filter((o) => !o.hidden)) {
          expect(words).toContain(option.flags);
          expect(words).toContain(option.description.replace(/\s+/g, ' '));
        }
        for (const sub of command.commands) expect(r.out).toContain(sub.name());
        expect(r.err).toBe('');
      }
    });
  }

  it('deml --help and deml help list every command, exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.out).toMatch(/^Usage: deml /);
      for (const command of buildProgram().commands)
        expect(r.out).toMatch(new RegExp(`\\n  ${command.name()} `));
    }
    const r = await run(['help', 'eval']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: deml eval /);
  });

  it('deml train --help lists the training flags under their groups, in TRAIN_OPTIONS order', async () => {
    const { out } = await run(['train', '--help']);
    const groups = [...new Set(TRAIN_OPTIONS.map((o) => o.group))];
    const at = groups.map((g) => out.indexOf(`\n${trainGroupHeading(g)}\n`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    let last = -1;
    for (const o of TRAIN_OPTIONS) {
      const i = out.indexOf(`\n  --${o.flag} <`);
      const g = groups.indexOf(o.group);
      expect(i, o.flag).toBeGreaterThan(Math.max(last, at[g]!));
      if (g + 1 < at.length) expect(i, o.flag).toBeLessThan(at[g + 1]!);
      last = i;
    }
  });
});

describe('refusals of a bad command line (exit 2)', () => {
  it('deml with no command prints the usage', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^Usage: deml /);
    expect(r.err).toMatch(/\n {2}train /);
  });

  it('an unknown command, with the nearest one', async () => {
    const r = await run(['trian']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("deml: unknown command 'trian' (Did you mean train?)\n");
    const sub = await run(['data', 'lst']);
    expect(sub.code).toBe(2);
    expect(sub.err).toBe("deml data: unknown command 'lst' (Did you mean list?)\n");
  });

  it('a mistyped flag, with the nearest one', async () => {
    const r = await run(['train', '--meta-bach', '4']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("deml train: unknown option '--meta-bach' (Did you mean --meta-batch?)\n");
    expect(r.out).toBe('');
    const eval_ = await run(['eval', '--checkpiont', 'x']);
    expect(eval_.code).toBe(2);
    expect(eval_.err).toMatch(/^deml eval: unknown option '--checkpiont' \(Did you mean --checkpoint\?\)$/m);
    const launch = await run(['launch', '--learnrs', 'maml']);
    expect(launch.code).toBe(2);
    expect(launch.err).toMatch(/Did you mean --learners\?/);
  });

  it('a flag without its value, a missing argument, one too many', async () => {
    const noValue = await run(['train', '--ways']);
    expect(noValue.code).toBe(2);
    expect(noValue.err).toMatch(/^deml train: option '--ways <.*>' argument missing$/m);
    const noId = await run(['cancel']);
    expect(noId.code).toBe(2);
    expect(noId.err).toMatch(/^deml cancel: missing required argument 'ID'$/m);
    const extra = await run(['doctor', 'now']);
    expect(extra.code).toBe(2);
    expect(extra.err).toMatch(/^deml doctor: too many arguments/m);
  });

  it('a command that has commands, named without one, prints its usage', async () => {
    const r = await run(['data']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^Usage: deml data /);
  });
});
