/**
 * The training flags' help and completion follow whatever args.ts's TRAIN_OPTIONS lists (its
 * groups, their order, choices), with no flag named in the CLI's code: here TRAIN_OPTIONS is
 * replaced by a made-up list, and TRAIN_FLAGS (the parsing) kept.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as Args from '../../src-main/cli/args';
import { main } from '../../src-main/cli/main';

vi.mock('../../src-main/cli/args', async (importOriginal) => {
  const args = await importOriginal<typeof Args>();
  return {
    ...args,
    TRAIN_OPTIONS: [
      {
        flag: 'learner',
        valueName: 'LEARNER',
        help: 'the learner',
        group: 'method',
        choices: ['maml', 'protonet'],
      },
      { flag: 'ways', valueName: 'N', help: 'classes per task', group: 'tasks' },
      { flag: 'aggregate', valueName: 'HOW', help: 'pair scores', group: 'method', choices: ['mean', 'max'] },
      { flag: 'shots', valueName: 'K', help: 'images per class', group: 'tasks' },
    ],
  };
});

afterEach(() => vi.restoreAllMocks());

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await main(argv), out };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('training flags from TRAIN_OPTIONS', () => {
  it('deml train --help groups them under their groups, in order of first appearance', async () => {
    const { code, out } = await run(['train', '--help']);
    expect(code).toBe(0);
    const method = out.slice(out.indexOf('\nMethod:\n'), out.indexOf('\nTasks:\n'));
    const tasks = out.slice(out.indexOf('\nTasks:\n'));
    expect(out.indexOf('\nMethod:\n')).toBeGreaterThan(out.indexOf('\nOptions:\n'));
    expect(method).toMatch(/--learner <LEARNER> +the learner \(choices: "maml", "protonet"\)\n/);
    expect(method.indexOf('--aggregate <HOW>')).toBeGreaterThan(method.indexOf('--learner'));
    expect(tasks).toMatch(/--ways <N> +classes per task\n {2}--shots <K> +images per class\n/);
    // Flags TRAIN_FLAGS parses but TRAIN_OPTIONS leaves out are taken, not listed.
    expect(out).not.toContain('--meta-batch');
  });

  it('launch lists them the same way', async () => {
    const { out } = await run(['launch', '--help']);
    expect(out).toMatch(/\nMethod:\n {2}--learner <LEARNER> /);
    expect(out).toMatch(/\nTasks:\n {2}--ways <N> /);
  });

  it('a choice is completed, and checked by the config schema, not by the parser', async () => {
    const { out } = await run(['completion', 'bash']);
    const test = `${out}
COMP_WORDS=(deml train --learner '')
COMP_CWORD=3
_deml
echo "\${COMPREPLY[*]}"`;
    expect(spawnSync('bash', ['-c', test], { encoding: 'utf8' }).stdout).toBe('maml protonet\n');
    const zsh = await run(['completion', 'zsh']);
    expect(zsh.out).toContain("'--aggregate') echo 'mean max' ;;");
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
    expect(await main(['train', '--learner', 'leo', '--meta-batch', '2'])).toBe(2);
    expect(err).toMatch(/^deml train: Learner: must be one of /m);
  });
});
