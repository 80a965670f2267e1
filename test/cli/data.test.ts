/** `deml data` as a user runs it, then training on what it imported. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { demlInProcess } from '../helpers/cli';
import { markedPng } from '../helpers/images';
import { haveRoot } from '../helpers/root';
import { tempDirs } from '../helpers/temp';

const BIN = resolve(__dirname, '../../bin/deml.mjs');
const temp = tempDirs('deml-cli-data');

function deml(args: string[], dataDir: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, DEML_DATA_DIR: dataDir },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('deml data', () => {
  it('imports an image folder, lists it, and trains on it', async () => {
    const root = temp();
    for (let c = 0; c < 12; c++) {
      mkdirSync(join(root, `class${c}`));
      for (let i = 0; i < 4; i++)
        writeFileSync(join(root, `class${c}`, `${i}.png`), await markedPng(20, 20, 2 + c, 0));
    }
    writeFileSync(join(root, 'class0', 'labels.txt'), 'x');
    const dataDir = temp();
    const imp = deml(
      ['data', 'import', '--format', 'folder', '--name', 'marks', '--size', '12', '--channels', '1', root],
      dataDir,
    );
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout).toMatch(/imported 'marks': 12 classes, 48 images 12×12×1/);
    expect(imp.stdout).toMatch(/skipped 1 non-image file/);

    const info = deml(['data', 'info', 'marks', '--json'], dataDir);
    expect(JSON.parse(info.stdout)).toMatchObject({
      id: 'marks',
      sourceFormat: 'folder',
      classes: 12,
      split: { source: 'automatic', classes: { train: 8, val: 2, test: 2 } },
    });
    // The split training will use, said in words, with other fractions where asked.
    expect(deml(['data', 'info', 'marks'], dataDir).stdout).toMatch(
      /^split for training: train 8 \/ val 2 \/ test 2 classes, a seeded 60\/20\/20 split of its classes, seed 0/m,
    );
    expect(deml(['data', 'info', 'marks', '--split-fractions', '0.5,0,0.5'], dataDir).stdout).toMatch(
      /train 6 \/ val 0 \/ test 6 classes, a seeded 50\/0\/50 split/,
    );

    const train = deml(
      [
        'train',
        '--data',
        'marks',
        '--ways',
        '2',
        '--shots',
        '1',
        '--queries',
        '2',
        '--iterations',
        '2',
        '--filters',
        '4',
        '--blocks',
        '2',
        '--eval-tasks',
        '4',
        '--val-every',
        '0',
        '--backend',
        'cpu',
        '--json',
      ],
      dataDir,
    );
    expect(train.code, train.stderr).toBe(0);
    const start = train.stdout
      .split('\n')
      .map((l) => (l ? JSON.parse(l) : null))
      .find((e) => e?.type === 'start');
    expect(start.dataset).toBe('marks');
  }, 60_000);

  it('a read-only data directory is named as such, on every command', () => {
    if (!haveRoot('mounts a read-only tmpfs')) return;
    const dataDir = temp();
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', dataDir]);
    expect(mounted.status, mounted.stderr?.toString()).toBe(0);
    try {
      const readOnly = /the file system is read-only/;
      const runs = deml(['runs'], dataDir);
      expect(runs.stderr).toMatch(readOnly);
      const launch = deml(['launch', '--data', 'synthetic', '--iterations', '2'], dataDir);
      expect(launch.stderr).toMatch(readOnly);
      expect(launch.stderr).not.toMatch(/EROFS|no such file/);
    } finally {
      spawnSync('umount', [dataDir]);
    }
  });

  it('refuses bad usage with exit code 2 and a message', async () => {
    const dataDir = temp();
    const r = deml(['data', 'import', '--format', 'tarball', '--name', 'x', '/tmp'], dataDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format must be one of omniglot, folder, miniimagenet/);
    // The rest in this process (the same main(), without a second of start-up each).
    vi.stubEnv('DEML_DATA_DIR', dataDir);
    try {
      const missing = await demlInProcess([
        'data',
        'import',
        '--format',
        'folder',
        '--name',
        'x',
        '/nonexistent/path',
      ]);
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/cannot read \/nonexistent\/path: no such file or folder/);
      const unknown = await demlInProcess(['train', '--data', 'nope', '--backend', 'cpu']);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toMatch(/Dataset: unknown dataset 'nope'.*deml data import/);
      // Names are checked on every command: nothing outside the data directory is read.
      const outside = await demlInProcess(['data', 'info', '../../outside']);
      expect(outside.code).not.toBe(0);
      expect(outside.err).toMatch(/dataset name '\.\.\/\.\.\/outside' must be 1–64 characters/);
      // A built-in dataset's name cannot be taken by an import.
      const shadow = await demlInProcess([
        'data',
        'import',
        '--format',
        'folder',
        '--name',
        'glyphs',
        dataDir,
      ]);
      expect(shadow.code).not.toBe(0);
      expect(shadow.err).toMatch(/'glyphs' is the name of a built-in dataset/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
