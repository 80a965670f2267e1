/** `deml sweep` and `deml sweeps` as a user runs them: a real sweep to its final table, and its refusals. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp';

const BIN = resolve(__dirname, '../../bin/deml.mjs');
const tempDir = tempDirs('deml-cli-sweep');
const TINY = [
  ...['--data', 'synthetic:classes=40,size=12', '--blocks', '2', '--filters', '8', '--meta-batch', '2'],
  ...['--queries', '3', '--iterations', '10', '--val-every', '10', '--val-tasks', '10', '--eval-tasks', '20'],
  ...['--backend', 'wasm'],
];

function deml(dataDir: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('deml sweep', () => {
  it('tunes two learners on validation and prints their chosen settings and the final table, marked §', () => {
    const dir = tempDir();
    const r = deml(dir, [
      'sweep',
      ...['--learners', 'maml,protonet', '--space', 'meta-lr=log(1e-3,1e-2)', '--space', 'inner-lr=0.1,0.4'],
      ...['--trials', '1', '--final-seeds', '1', '--sweep-seed', '3', ...TINY],
    ]);
    expect(r.stderr).toMatch(
      /sweep 1 \(sweep: maml vs protonet on synthetic.*\): 1 trial of maml, 1 trial of protonet/,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^maml: 1 trial\(s\)$/m);
    // ProtoNet has no inner loop: only β is searched for it, and only β is reported.
    expect(r.stdout).toMatch(/^ {2}chosen: Meta learning rate β = [\d.e-]+ \(validation [\d.]+%\)$/m);
    expect(r.stdout).toMatch(
      /^ {2}chosen: Meta learning rate β = [\d.e-]+, Inner learning rate α = 0\.[14] \(/m,
    );
    expect(r.stdout).toMatch(/^\| ProtoNet.*§ \|$/m);
    expect(r.stdout).toMatch(/§: tuned on validation, then trained again on fresh seeds/);
    const list = deml(dir, ['sweeps']);
    expect(list.stdout).toMatch(
      /^sweep 1: sweep: maml vs protonet .*; completed; 2\/2 trials ended; maml, protonet$/m,
    );
    const shown = deml(dir, ['sweeps', '1']);
    expect(shown.stdout).toMatch(
      /^space: Meta learning rate β ∈ log\[0\.001, 0\.01\]; Inner learning rate α ∈ \{0\.1, 0\.4\}; random, 1 trial per learner$/m,
    );
  }, 240_000);

  it('refuses a bad space or rungs before anything is stored, as a usage error', () => {
    const dir = tempDir();
    for (const [args, message] of [
      [['--space', 'inner-lr=log(0,1)'], /--space: Inner learning rate α: a log range needs LOW > 0/],
      [['--space', 'inner-lr=0.1', '--asha', '1/3,1/9'], /--asha: rungs go in ascending order/],
    ] as const) {
      const r = deml(dir, ['sweep', '--learners', 'maml', '--trials', '2', ...args, ...TINY]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(deml(dir, ['sweeps']).stdout).toMatch(/no sweeps yet/);
  });
});
