/** `deml eval` as a user runs it: a stored run or a checkpoint folder, stored or printed, refusals with exit code 2. */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp';

const BIN = resolve(__dirname, '../../bin/deml.mjs');
const tempDir = tempDirs('deml-cli-eval');
const TINY = [
  '--data',
  'synthetic:classes=40,size=12',
  '--blocks',
  '2',
  '--filters',
  '8',
  '--meta-batch',
  '2',
];
const EVAL = [
  '--queries',
  '3',
  '--eval-tasks',
  '20',
  '--val-every',
  '0',
  '--backend',
  'wasm',
  '--iterations',
  '10',
];

function deml(dataDir: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lastJson = (text: string) => JSON.parse(text.trim().split('\n').at(-1)!) as Record<string, unknown>;

describe('deml eval', () => {
  it('evaluates a stored run at another setting, stores it, and the results table gets a column', () => {
    const dataDir = tempDir();
    expect(deml(dataDir, ['launch', ...TINY, ...EVAL, '--learner', 'protonet']).code).toBe(0);
    const own = lastJson(deml(dataDir, ['runs', '--json']).stdout) as unknown as Array<{ testMean: number }>;
    const same = deml(dataDir, ['eval', '--run', '1', '--json']);
    expect(same.code, same.stderr).toBe(0);
    expect(lastJson(same.stdout)).toMatchObject({
      type: 'evaluation',
      runId: 1,
      step: 10,
      ways: 5,
      tasks: 20,
      mean: own[0]!.testMean,
    });
    const other = deml(dataDir, ['eval', '--run', '1', '--ways', '8', '--shots', '2', '--tasks', '15']);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toMatch(
      /^accuracy: \d+\.\d\d ± \d+\.\d\d% \(synthetic:classes=40,size=12 8-way 2-shot \(meta-test, 15 tasks\), 0 inner steps; \d+s\)/,
    );
    expect(other.stderr).toMatch(/stored as evaluation \d+ of run 1/);
    expect(deml(dataDir, ['runs', '1']).stdout).toMatch(
      /evaluation of iteration 10: .* 8-way 2-shot \(meta-test, 15 tasks\)/,
    );
    const table = deml(dataDir, ['export', '--runs', '1']);
    expect(table.stdout).toMatch(
      /\| Method \| synthetic:classes=40,size=12 5-way 1-shot, 3 queries \| synthetic:classes=40,size=12 8-way 2-shot, 3 queries \|/,
    );
  }, 120_000);

  it('Reptile and ANIL runs evaluate and export like any learner; another N needs test inner steps', () => {
    const dataDir = tempDir();
    const launched = deml(dataDir, ['launch', ...TINY, ...EVAL, '--learners', 'reptile,anil']);
    expect(launched.code, launched.stderr).toBe(0);
    for (const run of ['1', '2']) {
      const other = deml(dataDir, [
        'eval',
        '--run',
        run,
        '--ways',
        '3',
        '--inner-steps',
        '2',
        '--tasks',
        '10',
      ]);
      expect(other.code, other.stderr).toBe(0);
      expect(other.stdout).toMatch(/3-way 1-shot \(meta-test, 10 tasks\), 2 inner steps/);
      // A new (zero) output layer at another N is learnt only by the test inner steps.
      const none = deml(dataDir, ['eval', '--run', run, '--ways', '3', '--inner-steps', '0']);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/starts from a new \(zero\) output layer/);
    }
    const table = deml(dataDir, ['export', '--runs', '1,2', '--format', 'md']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^\| Reptile · /m);
    expect(table.stdout).toMatch(/^\| ANIL · /m);
  }, 120_000);

  it('evaluates a checkpoint folder of deml train, printing only; refuses what it cannot evaluate', () => {
    const dataDir = tempDir();
    const ckpt = join(tempDir(), 'ckpt');
    const train = deml(dataDir, ['train', ...TINY, ...EVAL, '--checkpoint-dir', ckpt]);
    expect(train.code, train.stderr).toBe(0);
    const r = deml(dataDir, ['eval', '--checkpoint', ckpt, '--ways', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ runId: null, evaluationId: null, ways: 3, newHead: true });

    const shape = deml(dataDir, ['eval', '--checkpoint', ckpt, '--data', 'synthetic:classes=40,size=16']);
    expect(shape.code).toBe(2);
    expect(shape.stderr).toMatch(
      /Dataset: the checkpoint was trained on 12×12×1 images .* has 16×16×1 images/,
    );
    const badFile = join(tempDir(), 'episodes.json');
    writeFileSync(
      badFile,
      JSON.stringify({
        ways: 2,
        episodes: [{ support: [{ label: 0, item: 0 }], query: [{ label: 0, item: 1 }] }],
      }),
    );
    const file = deml(dataDir, ['eval', '--checkpoint', ckpt, '--episodes', badFile]);
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(
      /Episode file: episode file .*episodes\.json: episodes\[0\]: class 1 has no support image/,
    );
    expect(deml(dataDir, ['eval']).code).toBe(2);
    expect(deml(dataDir, ['eval', '--run', '1', '--checkpoint', ckpt]).code).toBe(2);
    expect(deml(dataDir, ['eval', '--checkpoint', ckpt, '--split', 'dev']).stderr).toMatch(/split/);
  }, 120_000);

  it('Ctrl-C during an evaluation stops it: exit 130, one line, no stack trace', async () => {
    const dataDir = tempDir();
    const ckpt = join(tempDir(), 'ckpt');
    expect(deml(dataDir, ['train', ...TINY, ...EVAL, '--checkpoint-dir', ckpt]).code).toBe(0);
    const child = spawn(
      process.execPath,
      [BIN, 'eval', '--checkpoint', ckpt, '--tasks', '100000', '--data-dir', dataDir],
      {
        env: { ...process.env, DEML_DATA_DIR: dataDir },
      },
    );
    let stderr = '';
    let interrupted = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Interrupted once the evaluation has started (its backend line is printed).
      if (/backend: /.test(stderr) && !interrupted) {
        interrupted = true;
        setTimeout(() => child.kill('SIGINT'), 500);
      }
    });
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/^deml eval: cancelled$/m);
    expect(stderr).not.toMatch(/TypeError|\bat \S+ \(/);
  }, 120_000);
});
