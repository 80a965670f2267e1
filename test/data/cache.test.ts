/** The packed cache: round trip, damage detection, atomic writes, a full disk. */
import { existsSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listDatasets, loadPackedDataset, writePackedDataset } from '../../src-main/data/cache';
import { datasetsDir } from '../../src-main/layout/dataDirectory';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import { tempDirs } from '../helpers/temp';

// Lets a test make the disk "full" for one file name.
const failing = { suffix: null as string | null };
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fsp>();
  return {
    ...real,
    writeFile: async (...args: Parameters<typeof real.writeFile>) => {
      if (failing.suffix && String(args[0]).endsWith(failing.suffix)) {
        throw Object.assign(new Error(`ENOSPC: no space left on device, write`), {
          code: 'ENOSPC',
          path: String(args[0]),
        });
      }
      return real.writeFile(...args);
    },
  };
});

const temp = tempDirs('deml-cache');
afterEach(() => (failing.suffix = null));

const dataset = {
  ...generateSyntheticDataset({ classes: 6, imagesPerClass: 3, size: 8 }),
  splits: { train: [0, 1, 2, 3], val: [], test: [4, 5] },
};
const meta = { source: 'generated', sourceFormat: 'synthetic' };

describe('packed dataset cache', () => {
  it('round-trips pixels, index, splits and a manifest with a checksum', async () => {
    const dir = temp();
    const manifest = await writePackedDataset(dir, 'tiny', dataset, meta);
    expect(manifest).toMatchObject({ id: 'tiny', classes: 6, images: 18, height: 8, width: 8, channels: 1 });
    expect(manifest.checksum).toMatch(/^[0-9a-f]{64}$/);
    const loaded = await loadPackedDataset(dir, 'tiny');
    expect(loaded.dataset.pixels).toEqual(dataset.pixels);
    expect([...loaded.dataset.classStart]).toEqual([...dataset.classStart]);
    expect(loaded.dataset.classNames).toEqual(dataset.classNames);
    expect(loaded.dataset.splits).toEqual(dataset.splits);
    expect((await listDatasets(dir)).map((m) => m.id)).toEqual(['tiny']);
  });

  it('detects a damaged or truncated pixel file instead of training on garbage', async () => {
    const dir = temp();
    await writePackedDataset(dir, 'tiny', dataset, meta);
    const pixels = join(datasetsDir(dir), 'tiny', 'pixels.u8');
    const bytes = await fsp.readFile(pixels);
    bytes[5] = bytes[5]! ^ 0xff;
    writeFileSync(pixels, bytes);
    await expect(loadPackedDataset(dir, 'tiny')).rejects.toThrow(/damaged: its checksum does not match/);
    truncateSync(pixels, 100);
    await expect(loadPackedDataset(dir, 'tiny')).rejects.toThrow(
      /damaged: pixels\.u8 has 100 bytes, the manifest says 1152/,
    );
  });

  it('names a missing dataset', async () => {
    await expect(loadPackedDataset(temp(), 'nope')).rejects.toThrow(/no dataset 'nope'/);
  });

  it('a full disk fails with a clear message, keeps nothing half-written and keeps the old copy', async () => {
    const dir = temp();
    await writePackedDataset(dir, 'tiny', dataset, meta);
    const other = generateSyntheticDataset({ classes: 6, imagesPerClass: 3, size: 8, seed: 9 });
    failing.suffix = 'pixels.u8';
    await expect(writePackedDataset(dir, 'tiny', other, meta)).rejects.toThrow(
      /could not write dataset 'tiny' .*the disk is full.*nothing was kept/,
    );
    expect(readdirSync(datasetsDir(dir))).toEqual(['tiny']); // no temp folder left
    expect((await loadPackedDataset(dir, 'tiny')).dataset.pixels).toEqual(dataset.pixels);
    // A failure on the last file (the manifest) is just as atomic.
    failing.suffix = 'manifest.json';
    await expect(writePackedDataset(dir, 'fresh', other, meta)).rejects.toThrow(/disk is full/);
    expect(existsSync(join(datasetsDir(dir), 'fresh'))).toBe(false);
  });

  it('refuses names that are not safe folder names', async () => {
    await expect(writePackedDataset(temp(), '../up', dataset, meta)).rejects.toThrow(
      /must be 1–64 characters/,
    );
  });
});
