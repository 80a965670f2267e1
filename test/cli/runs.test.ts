/** `deml launch | runs | cancel | resume` as a user runs them: real processes, one data directory. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveRoot } from '../helpers/root';
import { tempDirs } from '../helpers/temp';

const BIN = resolve(__dirname, '../../bin/deml.mjs');
const tempDir = tempDirs('deml-cli-runs');
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
const TINY_EVAL = ['--queries', '3', '--eval-tasks', '20', '--val-every', '0', '--backend', 'wasm'];

function deml(dataDir: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Resolves once a foreground `deml launch` prints run 1's first progress line (training is under
 * way), with a getter of everything it has written to stderr so far.
 */
function trainingUnderWay(child: ChildProcess, iterations: number): Promise<() => string> {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const progress = new RegExp(`run 1: \\d+/${iterations}`);
  return new Promise((ok, fail) => {
    const timer = setInterval(() => {
      if (progress.test(stderr)) {
        clearInterval(timer);
        ok(() => stderr);
      }
    }, 50);
    child.on('exit', (c) => fail(new Error(`deml launch exited (${c}) before training: ${stderr}`)));
  });
}

describe('deml launch / runs / cancel / resume', () => {
  it('launches learners × seeds in the foreground and lists them with their meta-test accuracy', () => {
    const dataDir = tempDir();
    const r = deml(dataDir, [
      'launch',
      ...TINY,
      ...TINY_EVAL,
      '--iterations',
      '10',
      '--learners',
      'maml,metasgd',
      '--seeds',
      '0,1',
      '--name',
      'MAML vs Meta-SGD',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/experiment 1 \(MAML vs Meta-SGD\): runs 1, 2, 3, 4 queued/);
    const list = deml(dataDir, ['runs', '--json']);
    const runs = JSON.parse(list.stdout) as Array<{
      learner: string;
      seed: number;
      status: string;
      testMean: number;
    }>;
    expect(runs.map((x) => `${x.learner}:${x.seed}:${x.status}`).sort()).toEqual([
      'maml:0:completed',
      'maml:1:completed',
      'metasgd:0:completed',
      'metasgd:1:completed',
    ]);
    for (const run of runs) expect(run.testMean).toBeGreaterThan(0);
    const table = deml(dataDir, ['runs', '--status', 'completed']);
    expect(table.stdout).toMatch(/run\s+experiment\s+learner\s+seed\s+status/);
    expect(table.stdout).toMatch(/metasgd\s+1\s+completed\s+10\/10\s+\d+\.\d\d% ± \d+\.\d\d%/);
    const detail = deml(dataDir, ['runs', '3']).stdout;
    expect(detail).toMatch(/meta-test of iteration 10: .* \(meta-test, 20 tasks\)/);
    // What and where the trainer ran with, recorded by the trainer itself.
    expect(detail).toMatch(/^software: (commit [0-9a-f]{12}(\+changes)?|no git commit) · Node /m);
    expect(detail).toContain(
      ` · Node ${process.version} · tfjs 4.22.0 · wasm: @tensorflow/tfjs-backend-wasm 4.22.0`,
    );
    expect(detail).toMatch(/^machine: \S+ · \w+ .* · \d+ × .* · \d+\.\d GiB · no GPU$/m);
    expect(deml(dataDir, ['resume', '3']).code).toBe(1); // completed runs are not resumable
    expect(deml(dataDir, ['runs', '--status', 'nonsense']).code).toBe(2);
    expect(deml(dataDir, ['launch', ...TINY, '--ways', '0']).code).toBe(2);

    // The results table, headlessly.
    const md = deml(dataDir, ['export', '--experiment', '1', '--format', 'md']);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toMatch(/^\| Method \| synthetic:classes=40,size=12 5-way 1-shot, 3 queries \|$/m);
    expect(md.stdout).toMatch(/^\| MAML \| (\*\*)?\d+\.\d\d ± \d+\.\d\d(\*\*|†)? \|$/m);
    expect(md.stdout).toMatch(/^\| Meta-SGD \| /m);
    const out = resolve(dataDir, 'table.tex');
    const tex = deml(dataDir, ['export', '--runs', '1,3', '--format', 'latex', '--out', out]);
    expect(tex.code, tex.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(
      /\\toprule\n {4}Method & synthetic:classes=40,size=12 5-way 1-shot, 3 queries \\\\/,
    );
    expect(deml(dataDir, ['export', '--experiment', '99']).code).toBe(1);
    expect(deml(dataDir, ['export', '--experiment', '1', '--format', 'docx']).code).toBe(2);
  }, 180_000);

  it('a second launch while a foreground launch owns the directory: the owner trains its runs before exiting', async () => {
    const dataDir = tempDir();
    const owner = spawn(
      process.execPath,
      // Long enough (400 iterations) that B, a second node process, starts while A still trains.
      [BIN, 'launch', ...TINY, ...TINY_EVAL, '--iterations', '400', '--name', 'A', '--data-dir', dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    owner.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => owner.on('exit', r));
    await new Promise<void>((ok, fail) => {
      const timer = setInterval(() => {
        if (/run 1: \d+\/400/.test(stderr)) {
          clearInterval(timer);
          ok();
        }
      }, 50);
      owner.on('exit', (c) => fail(new Error(`deml launch exited (${c}) before training: ${stderr}`)));
    });
    const second = deml(dataDir, [
      'launch',
      ...TINY,
      ...TINY_EVAL,
      '--iterations',
      '20',
      '--name',
      'B',
      '--seeds',
      '0,1',
    ]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/the deml CLI \(pid \d+\) running on this data directory will train them/);
    expect(await exited, stderr).toBe(0);
    expect(stderr).toMatch(/finishing the runs and evaluations queued meanwhile/);
    const runs = JSON.parse(deml(dataDir, ['runs', '--json']).stdout) as Array<{
      id: number;
      status: string;
      iteration: number;
    }>;
    expect(runs.map((r) => [r.id, r.status, r.iteration]).sort()).toEqual([
      [1, 'completed', 400],
      [2, 'completed', 20],
      [3, 'completed', 20],
    ]);
  }, 240_000);

  it('a disk that fills during a run (a real tmpfs): the run fails with the reason, nothing crashes', () => {
    if (!haveRoot('mounts an 8 MiB tmpfs as the data directory')) return;
    const dataDir = tempDir();
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dataDir]);
    expect(mounted.status, mounted.stderr?.toString()).toBe(0);
    try {
      expect(deml(dataDir, ['runs']).code).toBe(0); // the database, created while there is room
      // Leave about 200 KiB: enough to start, not to finish.
      const { bavail, bsize } = statfsSync(dataDir);
      writeFileSync(join(dataDir, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - 200 * 1024)));
      const launch = deml(dataDir, ['launch', ...TINY, ...TINY_EVAL, '--iterations', '3000']);
      expect(launch.code, launch.stderr).toBe(1);
      expect(launch.stderr, launch.stderr).toMatch(/the disk is full/);
      expect(launch.stderr).not.toMatch(/SqliteError|Uncaught|\n\s+at /);
      const [run] = JSON.parse(deml(dataDir, ['runs', '--json']).stdout) as Array<{
        status: string;
        iteration: number;
        error: string;
      }>;
      // Failed with the reason when the store could still take it; else left "running" (swept to
      // interrupted at the next start with room), and the launch said why.
      if (run!.status === 'failed') expect(run!.error).toMatch(/the disk is full/);
      else expect(run!.status).toBe('running');
      expect(run!.iteration).toBeGreaterThan(0); // what was written before is kept
    } finally {
      spawnSync('umount', [dataDir]);
    }
  }, 180_000);

  it('Ctrl-C cancels with a checkpoint; `deml resume` finishes the run from there', async () => {
    const dataDir = tempDir();
    const child = spawn(
      process.execPath,
      [
        BIN,
        'launch',
        ...TINY,
        ...TINY_EVAL,
        '--iterations',
        '600',
        '--checkpoint-every',
        '200',
        '--data-dir',
        dataDir,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output = await trainingUnderWay(child, 600);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    const stderr = output();
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/run 1 \(maml, seed 0\): cancelled/);
    const cancelled = JSON.parse(deml(dataDir, ['runs', '1', '--json']).stdout) as {
      status: string;
      iteration: number;
      checkpoints: Array<{ step: number }>;
    };
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.checkpoints.at(-1)!.step).toBe(cancelled.iteration);
    // Shorten nothing: resume continues the same run (600 iterations of a tiny net take seconds).
    const resumed = deml(dataDir, ['resume', '1']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      `continues from its newest checkpoint (iteration ${cancelled.iteration})`,
    );
    expect(JSON.parse(deml(dataDir, ['runs', '1', '--json']).stdout)).toMatchObject({
      status: 'completed',
      iteration: 600,
      attempt: 1,
    });
  }, 240_000);

  it('a run cancelled with `deml cancel` ends the foreground launch normally (exit 0), not like Ctrl-C', async () => {
    const dataDir = tempDir();
    const child = spawn(
      process.execPath,
      [BIN, 'launch', ...TINY, ...TINY_EVAL, '--iterations', '100000', '--data-dir', dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = await trainingUnderWay(child, 100000);
    const cancel = deml(dataDir, ['cancel', '1']);
    expect(cancel.code, cancel.stderr).toBe(0);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    const stderr = output();
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/run 1 \(maml, seed 0\): cancelled/);
  }, 240_000);
});
