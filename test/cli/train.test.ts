/** `deml train` end to end, as a user runs it: a real process, real output. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { demlInProcess } from '../helpers/cli';

const BIN = resolve(__dirname, '../../bin/deml.mjs');
const TINY = [
  '--data',
  'synthetic:classes=30,size=16',
  '--ways',
  '3',
  '--queries',
  '3',
  '--filters',
  '8',
  '--blocks',
  '3',
  '--eval-tasks',
  '12',
  '--val-every',
  '0',
];
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// Keep the user's ~/.deml out of the tests.
const DATA_DIR = mkdtempSync(join(tmpdir(), 'deml-cli-home-'));
dirs.push(DATA_DIR);
const ENV = { ...process.env, DEML_DATA_DIR: DATA_DIR };

function deml(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: ENV });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function events(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('deml train', () => {
  it('runs a config and prints JSON lines ending with the meta-test accuracy ± CI', () => {
    const r = deml([
      'train',
      ...TINY,
      '--learner',
      'metasgd',
      '--iterations',
      '4',
      '--backend',
      'wasm',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const ev = events(r.stdout);
    expect(ev.map((e) => e.type)).toEqual([
      'backend',
      'start',
      'iteration',
      'iteration',
      'iteration',
      'iteration',
      'result',
    ]);
    expect((ev[0]!.backend as { name: string }).name).toBe('wasm');
    const result = ev.at(-1)!.test as { mean: number; ci95: number; tasks: number; accuracies: number[] };
    expect(result.tasks).toBe(12);
    expect(result.accuracies).toHaveLength(12);
    expect(result.mean).toBeGreaterThanOrEqual(0);
    expect(result.ci95).toBeGreaterThan(0);
  });

  it('prints a human summary without --json, flags overriding the --config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deml-cli-'));
    dirs.push(dir);
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ learner: 'fomaml', iterations: 50, ways: 5 }));
    const r = deml(['train', '--config', file, ...TINY, '--iterations', '2', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^meta-test accuracy: \d+\.\d\d ± \d+\.\d\d% \(3-way 1-shot, 12 tasks, 3 inner steps; 2 iterations/,
    );
    expect(r.stderr).toMatch(/fomaml in the pixel space: conv3/);
    expect(r.stderr).toMatch(/backend: cpu/);
  });

  it('trains a MANN and a Siamese network from their flags, a MANN reporting each presentation', () => {
    const mann = deml([
      'train',
      ...TINY,
      '--learner',
      'mann',
      '--instances',
      '3',
      '--memory-slots',
      '9',
      '--slot-size',
      '4',
      '--read-heads',
      '2',
      '--controller-size',
      '8',
      '--sequences',
      '2',
      '--gamma',
      'learned',
      '--iterations',
      '2',
      '--backend',
      'wasm',
    ]);
    expect(mann.code, mann.stderr).toBe(0);
    expect(mann.stdout).toMatch(
      /^meta-test accuracy: \d+\.\d\d ± \d+\.\d\d% at a class's 2nd presentation \(3-way sequences of 3 presentations, 12 tasks of 2; 2 iterations/,
    );
    expect(mann.stdout).toMatch(/\nby presentation: 1st \d+\.\d ± \d+\.\d%, 2nd .*, 3rd .*%\n$/);
    expect(mann.stderr).toMatch(/MANN: LSTM 8, memory 9 × 4, 2 read heads/);
    const siamese = deml([
      'train',
      ...TINY,
      '--learner',
      'siamese',
      '--pairs',
      '8',
      '--aggregate',
      'max',
      '--iterations',
      '2',
      '--backend',
      'wasm',
      '--json',
    ]);
    expect(siamese.code, siamese.stderr).toBe(0);
    expect(events(siamese.stdout).at(-1)).toMatchObject({ type: 'result', test: { tasks: 12 } });
  });

  it('refuses a bad config before any work, naming the setting by its label (exit 2)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--ways', '40'], /Ways: 40-way tasks need 40 classes/],
      [['--queries', '30'], /Shots: shots \+ queries = 31 images per class/],
      [['--inner-lr=-0.1'], /Inner learning rate α: must be greater than 0/],
      [['--inner-steps', '0'], /^deml train: Inner steps: must be greater than 0$/m],
      [['--learner', 'leo'], /^deml train: Learner: must be one of maml, fomaml, /m],
      [['--backend', 'tpu'], /^deml train: Backend: must be one of /m],
      [['--ways', 'five'], /Ways: --ways expects an integer, got 'five'/],
      [['--data', 'imagenet'], /Dataset: unknown dataset 'imagenet'/],
      [['--bogus', '1'], /^deml train: unknown option '--bogus'/m],
      [
        ['--learner', 'mann', '--instances', '10', '--memory-slots', '20'],
        /Memory slots: 20 slots cannot hold an episode of 3 classes × 10 instances \(30 writes\)/,
      ],
      [['--learner', 'mann', '--instances', '1'], /Presentations per class: must be at least 2/],
      [['--learner', 'mann', '--gamma', 'fast'], /Usage decay γ: /],
      [['--learner', 'siamese', '--positive-fraction', '1'], /Same-class pairs: must be between 0 and 1/],
      [
        ['--learner', 'siamese', '--aggregate', 'median'],
        /A query's score for a class: must be one of mean, max/,
      ],
    ];
    // The first as a user meets it, a process's exit code; the rest in this process (the same
    // main(), without a second of start-up each).
    const [first, ...rest] = cases;
    const [firstArgs, firstMessage] = first!;
    const r = deml(['train', ...TINY, ...firstArgs]);
    expect(r.code, firstArgs.join(' ')).toBe(2);
    expect(r.stderr, firstArgs.join(' ')).toMatch(firstMessage);
    expect(r.stderr).not.toMatch(/^backend: /m); // refused before the backend even started
    vi.stubEnv('DEML_DATA_DIR', DATA_DIR);
    try {
      for (const [args, message] of rest) {
        const inProcess = await demlInProcess(['train', ...TINY, ...args]);
        expect(inProcess.code, args.join(' ')).toBe(2);
        expect(inProcess.err, args.join(' ')).toMatch(message);
        expect(inProcess.err).not.toMatch(/^backend: /m);
        expect(inProcess.out).toBe('');
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses a checkpoint folder that cannot be one, and a --resume with nothing to resume, before training', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deml-train-ckpt-'));
    try {
      const file = join(dir, 'a-file');
      writeFileSync(file, 'not a folder');
      const onFile = deml(['train', ...TINY, '--checkpoint-dir', file]);
      expect(onFile.code).toBe(2);
      expect(onFile.stderr).toContain(`--checkpoint-dir: ${file} is a file, not a folder`);
      expect(onFile.stderr).not.toMatch(/^backend: /m);
      const empty = join(dir, 'empty');
      const nothing = deml(['train', ...TINY, '--checkpoint-dir', empty, '--resume']);
      expect(nothing.code).not.toBe(0);
      expect(nothing.stderr).toMatch(/no checkpoint in .*empty.* to resume from/);
      expect(nothing.stdout).not.toMatch(/"type":"iteration"/); // nothing was trained from scratch
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Ctrl-C checkpoints and stops; --resume finishes the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deml-cli-'));
    dirs.push(dir);
    const args = [
      'train',
      ...TINY,
      '--iterations',
      '400',
      '--backend',
      'wasm',
      '--checkpoint-dir',
      dir,
      '--json',
    ];
    const child = spawn(process.execPath, [BIN, ...args], { env: ENV });
    let out = '';
    const code = await new Promise<number | null>((done) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('"iteration":3,') && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => done(c));
    });
    expect(code).toBe(130);
    const cancelled = events(out).at(-1)!;
    expect(cancelled.type).toBe('cancelled');
    const stoppedAt = cancelled.iteration as number;
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(stoppedAt).toBeLessThan(400);
    expect(readdirSync(dir)).toContain(`ckpt-${String(stoppedAt).padStart(8, '0')}.json`);

    const r = deml([
      ...args.slice(0, args.indexOf('--iterations')),
      '--iterations',
      String(stoppedAt + 2),
      ...args.slice(args.indexOf('--iterations') + 2),
      '--resume',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const ev = events(r.stdout);
    expect((ev.find((e) => e.type === 'start') as { startIteration: number }).startIteration).toBe(stoppedAt);
    expect(ev.filter((e) => e.type === 'iteration').map((e) => e.iteration)).toEqual([
      stoppedAt + 1,
      stoppedAt + 2,
    ]);
    expect(ev.at(-1)!.type).toBe('result');
  });
});

describe('deml preset', () => {
  it('lists presets and runs one, printing a row per run', () => {
    const list = deml(['preset', 'list']);
    expect(list.stdout).toMatch(/^concept-vs-pixels/m);
    const r = deml([
      'preset',
      'run',
      'maml-vs-metasgd',
      '--iterations',
      '1',
      '--eval-tasks',
      '3',
      '--data',
      'synthetic:classes=30,size=16',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^MAML\s+\d+\.\d\d ± \d+\.\d\d% {2}\(3 tasks/);
    expect(rows[1]).toMatch(/^Meta-SGD\s+/);
    // Then the results table, rows methods and columns dataset × N-way K-shot × queries.
    expect(r.stdout).toMatch(/\| Method \| synthetic:classes=30,size=16 5-way 1-shot, 15 queries \|/);
    expect(r.stdout).toMatch(/^\| MAML \| /m);
    const bad = deml(['preset', 'run', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown preset 'nope'/);
  });

  it('a protocol preset scales the paper’s budget down, says so, and shows the published figures', () => {
    const r = deml([
      'preset',
      'run',
      'omniglot-maml',
      '--budget',
      '0.00002',
      '--eval-tasks',
      '3',
      '--only',
      'MAML · 5-way 1-shot',
      '--data',
      'synthetic:classes=60,size=28',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /needs dataset 'synthetic:classes=60,size=28': deml data import --format omniglot/,
    );
    expect(r.stderr).toMatch(/budget 0.00002: 60,000 → 1 iterations per run/);
    expect(r.stdout).toMatch(/^MAML · 5-way 1-shot\s+\d+\.\d\d ± /m);
    // The published figures sit beside the cells, and the one not run stays empty for ours.
    expect(r.stdout).toMatch(/^\| MAML \| \*\*\d+\.\d\d ± \d+\.\d\d\*\* \|$/m);
    expect(r.stdout).toMatch(/^\| MAML \(Finn et al\. 2017\) \| _98\.70 ± 0\.40_ \|$/m);
    expect(r.stdout).toMatch(/^\| Meta-SGD \(Li et al\. 2017\) \| _99\.53 ± 0\.26_ \|$/m);
    expect(r.stdout).toMatch(/Italics: published figures, not measured here\./);
    expect(r.stdout).toMatch(/not the published protocol's budget/);
    expect(deml(['preset', 'run', 'omniglot-maml', '--budget', '2']).code).toBe(2);
  });

  it('--backend webgpu with no usable adapter fails with the reason (exit 2), never training on the CPU', () => {
    const r = spawnSync(
      process.execPath,
      [BIN, 'train', ...TINY, '--backend', 'webgpu', '--iterations', '2', '--json'],
      {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...ENV, VK_ICD_FILENAMES: '/nonexistent/icd.json' },
      },
    );
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /^deml train: backend 'webgpu' is unavailable: no GPU adapter: Dawn found none \(/m,
    );
    // Not one iteration ran.
    expect(events(r.stdout).filter((e) => e.type === 'iteration')).toHaveLength(0);
  });
});
