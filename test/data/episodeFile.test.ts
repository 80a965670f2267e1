/**
 * Episode files: images named by item, by class and index, or by file path all give the same
 * pixels the dataset holds (a path is decoded as the import decoded it); a bad file is refused
 * naming the episode and the entry.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src-main/contract/config';
import { loadPackedDataset } from '../../src-main/data/cache';
import {
  MAX_EPISODES,
  MAX_EPISODE_FILE_BYTES,
  decodeOptionsOf,
  episodeFileSource,
  readEpisodeFile,
} from '../../src-main/data/episodeFile';
import { importDataset } from '../../src-main/data/import/importer';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import { markedPng } from '../helpers/images';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-episodes');

/** A folder dataset of 4 classes × 3 images, imported; the source root and the loaded dataset. */
async function imported() {
  const root = tempDir();
  for (let c = 0; c < 4; c++) {
    mkdirSync(join(root, `class${c}`));
    for (let i = 0; i < 3; i++)
      writeFileSync(join(root, `class${c}`, `${i}.png`), await markedPng(20, 20, 2 + 3 * c + i));
  }
  const dataDir = tempDir();
  await importDataset({ format: 'folder', name: 'marks', paths: [root], dataDir, size: 12, channels: 1 });
  const { dataset, manifest } = await loadPackedDataset(dataDir, 'marks');
  return { root, dataset, decode: decodeOptionsOf(manifest) };
}

function write(content: unknown, dir = tempDir()): string {
  const path = join(dir, 'episodes.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('episode files', () => {
  it('name an image by item, by class and index, or by path: the same pixels', async () => {
    const { root, dataset, decode } = await imported();
    expect(decode).toEqual({ height: 12, width: 12, channels: 1, invert: false });
    const byItem = {
      ways: 2,
      episodes: [
        {
          support: [
            { label: 0, item: 3 },
            { label: 1, item: 7 },
          ],
          query: [
            { label: 0, item: 4 },
            { label: 1, item: 8 },
          ],
        },
      ],
    };
    const byClass = {
      ways: 2,
      episodes: [
        {
          support: [
            { label: 0, class: 'class1', image: 0 },
            { label: 1, class: 'class2', image: 1 },
          ],
          query: [
            { label: 0, class: 'class1', image: 1 },
            { label: 1, class: 'class2', image: 2 },
          ],
        },
      ],
    };
    // Paths are relative to the episode file.
    const byPath = {
      ways: 2,
      episodes: [
        {
          support: [
            { label: 0, path: 'class1/0.png' },
            { label: 1, path: 'class2/1.png' },
          ],
          query: [
            { label: 0, path: 'class1/1.png' },
            { label: 1, path: 'class2/2.png' },
          ],
        },
      ],
    };
    const episodes = await Promise.all(
      [write(byItem), write(byClass), write(byPath, root)].map(async (path) => {
        const file = await readEpisodeFile(path, dataset, decode);
        return (await episodeFileSource(file, dataset, decode).take(0, 1))[0]!;
      }),
    );
    for (const e of episodes.slice(1)) {
      expect(Array.from(e.supportImages)).toEqual(Array.from(episodes[0]!.supportImages));
      expect(Array.from(e.queryImages)).toEqual(Array.from(episodes[0]!.queryImages));
      expect(Array.from(e.queryLabels)).toEqual([0, 1]);
    }
    expect(episodes[0]!.supportImages.some((v) => v > 0)).toBe(true);
  });

  it('the same file has the same hash; shots and queries are per-class counts, 0 where they vary', async () => {
    const dataset = generateSyntheticDataset({ classes: 6, imagesPerClass: 5, size: 8 });
    const even = {
      ways: 2,
      episodes: [
        {
          support: [
            { label: 0, item: 0 },
            { label: 1, item: 5 },
          ],
          query: [
            { label: 0, item: 1 },
            { label: 1, item: 6 },
          ],
        },
      ],
    };
    const uneven = {
      ...even,
      episodes: [{ ...even.episodes[0]!, query: [...even.episodes[0]!.query, { label: 0, item: 2 }] }],
    };
    const a = await readEpisodeFile(write(even), dataset, null);
    const b = await readEpisodeFile(write(even), dataset, null);
    expect(a.hash).toBe(b.hash);
    expect(a.shape).toEqual({ ways: 2, shots: 1, queries: 1 });
    expect((await readEpisodeFile(write(uneven), dataset, null)).shape).toEqual({
      ways: 2,
      shots: 1,
      queries: 0,
    });
  });

  it('refuses a bad file, naming the episode and the entry', async () => {
    const dataset = generateSyntheticDataset({ classes: 6, imagesPerClass: 5, size: 8 });
    const ok = (over: object = {}) => ({
      ways: 2,
      episodes: [
        {
          support: [
            { label: 0, item: 0 },
            { label: 1, item: 5 },
          ],
          query: [
            { label: 0, item: 1 },
            { label: 1, item: 6 },
          ],
        },
        {
          support: [
            { label: 0, item: 10 },
            { label: 1, item: 15 },
          ],
          query: [
            { label: 0, item: 11 },
            { label: 1, item: 16 },
          ],
          ...over,
        },
      ],
    });
    const cases: Array<[string, unknown, RegExp]> = [
      ['not JSON', '{ways: 2', /is not JSON/],
      ['no ways', { episodes: [] }, /"ways" must be an integer ≥ 2/],
      [
        'a label outside 0 … N−1',
        ok({
          query: [
            { label: 0, item: 11 },
            { label: 2, item: 16 },
          ],
        }),
        /episodes\[1\]\.query\[1\]: label 2 is outside 0 … 1/,
      ],
      [
        'an empty class',
        ok({ support: [{ label: 0, item: 10 }] }),
        /episodes\[1\]: class 1 has no support image/,
      ],
      [
        'a class without queries',
        ok({ query: [{ label: 1, item: 16 }] }),
        /episodes\[1\]: class 0 has no query image/,
      ],
      [
        'a missing item',
        ok({
          support: [
            { label: 0, item: 30 },
            { label: 1, item: 15 },
          ],
        }),
        /episodes\[1\]\.support\[0\]: item 30 is not an image of dataset .* \(items 0 … 29\)/,
      ],
      [
        'an unknown class',
        ok({
          support: [
            { label: 0, class: 'nope', image: 0 },
            { label: 1, item: 15 },
          ],
        }),
        /episodes\[1\]\.support\[0\]: class "nope" is not a class/,
      ],
      [
        'an image index past its class',
        ok({
          support: [
            { label: 0, class: dataset.classNames[0], image: 5 },
            { label: 1, item: 15 },
          ],
        }),
        /has no image 5 \(it has images 0 … 4\)/,
      ],
      [
        'two ways of naming the image',
        ok({
          support: [
            { label: 0, item: 1, path: 'x.png' },
            { label: 1, item: 15 },
          ],
        }),
        /episodes\[1\]\.support\[0\]: name the image by exactly one of/,
      ],
      [
        'a path into a generated dataset',
        ok({
          support: [
            { label: 0, path: 'x.png' },
            { label: 1, item: 15 },
          ],
        }),
        /was generated, not imported from files/,
      ],
    ];
    for (const [what, content, message] of cases) {
      const e = await readEpisodeFile(write(content), dataset, null).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e, what).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).issues[0]!.field, what).toBe('episodeFile');
      expect((e as Error).message, what).toMatch(message);
    }
  });

  it('refuses a path to an image that does not exist, saying where it looked', async () => {
    const { root, dataset, decode } = await imported();
    const path = write(
      {
        ways: 2,
        episodes: [
          {
            support: [
              { label: 0, path: 'class1/0.png' },
              { label: 1, path: 'class9/0.png' },
            ],
            query: [
              { label: 0, item: 1 },
              { label: 1, item: 4 },
            ],
          },
        ],
      },
      root,
    );
    await expect(readEpisodeFile(path, dataset, decode)).rejects.toThrow(
      /episodes\[0\]\.support\[1\]: image class9\/0\.png does not exist \(looked for .*class9\/0\.png\)/,
    );
  });

  it('refuses what is not a regular file of bounded size before reading it: a FIFO, /dev/zero, a folder', async () => {
    const dataset = generateSyntheticDataset({ classes: 4, imagesPerClass: 3, size: 8 });
    const dir = tempDir();
    const fifo = join(dir, 'f.json');
    // A FIFO with no writer: opening it blocking would hang this test (and its worker thread).
    execFileSync('mkfifo', [fifo]);
    await expect(readEpisodeFile(fifo, dataset, null)).rejects.toThrow(/is not a regular file/);
    await expect(readEpisodeFile('/dev/zero', dataset, null)).rejects.toThrow(/is not a regular file/);
    await expect(readEpisodeFile(dir, dataset, null)).rejects.toThrow(/is not a regular file/);
    const big = join(dir, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, MAX_EPISODE_FILE_BYTES + 1);
    await expect(readEpisodeFile(big, dataset, null)).rejects.toThrow(
      /is 64 MiB; an episode file may take at most 64 MiB/,
    );
    const episode = {
      support: [
        { label: 0, item: 0 },
        { label: 1, item: 3 },
      ],
      query: [
        { label: 0, item: 1 },
        { label: 1, item: 4 },
      ],
    };
    const many = write({ ways: 2, episodes: Array(MAX_EPISODES + 1).fill(episode) });
    await expect(readEpisodeFile(many, dataset, null)).rejects.toThrow(/has 100001 episodes; at most 100000/);
  });

  it('never quotes a file that is not JSON, and keeps image paths inside the file’s folder', async () => {
    const secret = write('root:x:0:0:root:/root:/bin/bash\n');
    const error = await readEpisodeFile(
      secret,
      generateSyntheticDataset({ classes: 4, imagesPerClass: 3, size: 8 }),
      null,
    ).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/is not JSON \(a syntax error/);
    expect(error?.message).not.toMatch(/root:x/);
    const { root, dataset, decode } = await imported();
    const inner = join(root, 'sub');
    mkdirSync(inner);
    const path = write(
      {
        ways: 2,
        episodes: [
          {
            support: [
              { label: 0, path: '../class0/0.png' },
              { label: 1, item: 4 },
            ],
            query: [
              { label: 0, item: 1 },
              { label: 1, item: 5 },
            ],
          },
        ],
      },
      inner,
    );
    await expect(readEpisodeFile(path, dataset, decode)).rejects.toThrow(
      /episodes\[0\]\.support\[0\]: image \.\.\/class0\/0\.png is outside the episode file's folder/,
    );
    // Allowed explicitly, the same image is read.
    await expect(readEpisodeFile(path, dataset, decode, { allowPathsOutside: true })).resolves.toMatchObject({
      shape: { ways: 2 },
    });
  });
});
