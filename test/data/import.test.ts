/** Dataset import from real formats, with every kind of bad input made here by code. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPackedDataset } from '../../src-main/data/cache';
import { datasetsDir } from '../../src-main/layout/dataDirectory';
import { importDataset } from '../../src-main/data/import/importer';
import { parseExperimentConfig, validateAgainstDataset } from '../../src-main/engine';
import { floatTiff, markedPng, orientedJpeg, solidJpeg } from '../helpers/images';
import { makeZip } from '../helpers/zip';

const temps: string[] = [];
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'deml-import-'));
  temps.push(d);
  return d;
}
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function write(path: string, data: Uint8Array | string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, data);
}

/** root/<class>/… with every kind of trouble an image folder can hold. */
async function messyFolder(): Promise<string> {
  const root = join(temp(), 'images');
  const png = await markedPng(40, 30, 10);
  for (const cls of ['cat', 'dog', 'eel']) {
    for (let i = 0; i < 4; i++) write(join(root, cls, `img${i}.png`), png);
  }
  write(join(root, 'dog', 'nested', 'deep.jpg'), await solidJpeg(50, 50, [200, 10, 10]));
  write(join(root, 'cat', 'README.txt'), 'not an image');
  write(join(root, 'cat', 'notes.csv'), 'a,b');
  write(join(root, 'eel', 'corrupt.png'), Buffer.from('this is not a png at all'));
  write(join(root, 'eel', 'truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
  mkdirSync(join(root, 'empty'), { recursive: true });
  return root;
}

describe('image folder import', () => {
  it('imports classes, skips and reports what it cannot use, and loads back', async () => {
    const root = await messyFolder();
    const dataDir = temp();
    const progress: number[] = [];
    const r = await importDataset({
      format: 'folder',
      name: 'messy',
      paths: [root],
      dataDir,
      size: 16,
      onProgress: (p) => p.phase === 'decode' && progress.push(p.done),
    });
    expect(r.manifest).toMatchObject({
      id: 'messy',
      classes: 3,
      images: 13,
      height: 16,
      width: 16,
      channels: 3,
      sourceFormat: 'folder',
    });
    expect(r.report.skippedNonImages).toBe(2);
    expect(r.report.corrupt.map((c) => c.path.split('/').slice(-2).join('/'))).toEqual([
      'eel/corrupt.png',
      'eel/truncated.png',
    ]);
    expect(r.report.emptyClasses).toEqual(['empty']);
    expect(progress.at(-1)).toBe(15);
    expect(r.imagesPerSecond).toBeGreaterThan(0);

    const { dataset, manifest } = await loadPackedDataset(dataDir, 'messy');
    expect(dataset.classNames).toEqual(['cat', 'dog', 'eel']);
    expect([...dataset.classStart]).toEqual([0, 4, 9, 13]);
    expect(manifest.report.corrupt).toHaveLength(2);
    // dog's nested JPEG is red: RGB kept, resized to 16×16.
    const red = dataset.pixels.subarray(8 * 16 * 16 * 3, 8 * 16 * 16 * 3 + 3);
    expect(red[0]).toBeGreaterThan(150);
    expect(red[1]).toBeLessThan(60);
  });

  it('finds class folders at a given depth (CUB-style images/<group>/<class>/…)', async () => {
    const root = temp();
    const png = await markedPng(8, 8);
    for (const cls of ['birds/crow', 'birds/owl', 'fish/cod']) write(join(root, cls, 'a.png'), png);
    const dataDir = temp();
    const r = await importDataset({
      format: 'folder',
      name: 'deep',
      paths: [root],
      dataDir,
      size: 8,
      channels: 1,
      depth: 2,
    });
    expect(r.manifest.classes).toBe(3);
    expect((await loadPackedDataset(dataDir, 'deep')).dataset.classNames).toEqual([
      'birds/crow',
      'birds/owl',
      'fish/cod',
    ]);
  });

  it('downscales a very large image, and refuses one above the pixel limit without decoding it', async () => {
    const root = temp();
    write(join(root, 'big', 'huge.png'), await markedPng(3000, 3000, 1500));
    write(join(root, 'big', 'small.png'), await markedPng(30, 30, 15));
    const dataDir = temp();
    const ok = await importDataset({
      format: 'folder',
      name: 'big',
      paths: [root],
      dataDir,
      size: 10,
      channels: 1,
    });
    expect(ok.manifest.images).toBe(2);
    const { dataset } = await loadPackedDataset(dataDir, 'big');
    expect(dataset.pixels[0]).toBeLessThan(30); // the dark quarter survives the 300× shrink
    expect(dataset.pixels[99]).toBeGreaterThan(220);
    const limited = await importDataset({
      format: 'folder',
      name: 'big2',
      paths: [root],
      dataDir,
      size: 10,
      channels: 1,
      maxInputPixels: 1_000_000,
    });
    expect(limited.report.oversized).toHaveLength(1);
    expect(limited.report.oversized[0]).toMatch(/huge\.png$/);
    expect(limited.manifest.images).toBe(1);
  });

  it('gives a clear message for an unreadable path, and for a folder with no images', async () => {
    await expect(
      importDataset({ format: 'folder', name: 'x', paths: ['/nonexistent/deml'], dataDir: temp() }),
    ).rejects.toThrow(/cannot read \/nonexistent\/deml: no such file or folder/);
    const root = temp();
    write(join(root, 'a', 'notes.txt'), 'x');
    await expect(
      importDataset({ format: 'folder', name: 'x', paths: [root], dataDir: temp() }),
    ).rejects.toThrow(/no images found/);
  });

  it('counts hidden files, follows links inside the source, names links outside and BMPs; refuses a FIFO', async () => {
    const root = temp();
    const outside = temp();
    for (let i = 0; i < 2; i++) {
      write(join(root, 'a', `${i}.png`), await markedPng(8, 8, i));
      write(join(root, 'b', `${i}.png`), await markedPng(8, 8, 10 + i));
    }
    write(join(root, 'a', '.DS_Store'), 'x');
    write(join(root, 'a', '.hidden.png'), await markedPng(8, 8, 5));
    write(join(root, 'shared', 'x.png'), await markedPng(8, 8, 7));
    write(join(outside, 'secret.png'), await markedPng(8, 8, 9));
    symlinkSync(join(root, 'shared', 'x.png'), join(root, 'b', 'linked.png')); // inside: followed
    symlinkSync(join(outside, 'secret.png'), join(root, 'a', 'escape.png')); // outside: named, skipped
    write(join(root, 'b', 'old.bmp'), 'BM');
    const r = await importDataset({
      format: 'folder',
      name: 'links',
      paths: [root],
      dataDir: temp(),
      size: 8,
    });
    expect(r.manifest.images).toBe(2 + 3 + 1); // a: 2; b: 2 + the link; shared: 1
    expect(r.report.skippedHidden).toBe(2);
    expect(r.report.skippedLinks).toEqual([join(root, 'a', 'escape.png')]);
    expect(r.report.unsupported).toEqual([
      {
        path: join(root, 'b', 'old.bmp'),
        reason: expect.stringMatching(/BMP is not supported .* convert to PNG/),
      },
    ]);
    expect(r.report.corrupt).toEqual([]);
    const fifo = join(temp(), 'x.zip');
    spawnSync('mkfifo', [fifo]);
    await expect(
      importDataset({ format: 'omniglot', name: 'fifo', paths: [fifo], dataDir: temp() }),
    ).rejects.toThrow(/x\.zip is not a regular file or folder \(a pipe, socket or device\)/);
  });

  it('cuts a link from a class folder to an ancestor or another class, and names it and a linked class folder', async () => {
    const root = temp();
    for (const c of ['c0', 'c1', 'c2']) {
      for (let i = 0; i < 3; i++)
        write(join(root, c, `${i}.png`), await markedPng(8, 8, 3 * Number(c[1]) + i));
    }
    symlinkSync('..', join(root, 'c0', 'up')); // the ancestor: every sibling class inside c0
    symlinkSync(join(root, 'c2'), join(root, 'c1', 'other')); // another class's folder
    symlinkSync(join(root, 'c2'), join(root, 'c3')); // a linked class folder: c2 a second time
    const dataDir = temp();
    const r = await importDataset({ format: 'folder', name: 'uplink', paths: [root], dataDir, size: 8 });
    expect(r.manifest.classes).toBe(3);
    expect(r.manifest.images).toBe(9); // each class its own 3 images, no copies
    expect([...r.report.skippedLinks!].sort()).toEqual(
      [join(root, 'c0', 'up'), join(root, 'c1', 'other'), join(root, 'c3')].sort(),
    );
  });

  it('applies a JPEG’s EXIF orientation, and scales a float TIFF in 0..1 instead of importing it black', async () => {
    const root = temp();
    write(join(root, 'photo', 'turned.jpg'), await orientedJpeg(40, 20, 6)); // shown turned 90° clockwise
    write(join(root, 'photo', 'plain.jpg'), await orientedJpeg(40, 20, 1));
    const ramp = Array.from({ length: 16 * 16 }, (_, i) => (i % 16) / 15);
    write(join(root, 'float', 'ramp.tif'), floatTiff(16, 16, ramp));
    write(
      join(root, 'float', 'wild.tif'),
      floatTiff(
        16,
        16,
        ramp.map((v) => v * 1000 - 3),
      ),
    );
    const dataDir = temp();
    const r = await importDataset({
      format: 'folder',
      name: 'orient',
      paths: [root],
      dataDir,
      size: 8,
      channels: 3,
    });
    expect(r.report.corrupt).toEqual([
      {
        path: join(root, 'float', 'wild.tif'),
        reason: expect.stringMatching(/values in -3.00..997, neither 0..1 nor 0..255/),
      },
    ]);
    const { dataset } = await loadPackedDataset(dataDir, 'orient');
    const pixel = (image: number, y: number, x: number) => [
      ...dataset.pixels.subarray((image * 64 + y * 8 + x) * 3, (image * 64 + y * 8 + x) * 3 + 3),
    ];
    const isRed = (p: number[]) => p[0]! > 150 && p[2]! < 100;
    const isBlue = (p: number[]) => p[2]! > 150 && p[0]! < 100;
    // Classes in name order (float, photo); photo's images in path order (plain, turned).
    const [ramped, plain, turned] = [0, 1, 2];
    expect(isRed(pixel(plain, 0, 0)) && isBlue(pixel(plain, 0, 7))).toBe(true); // left red, right blue
    expect(isRed(pixel(turned, 0, 7)) && isBlue(pixel(turned, 7, 7))).toBe(true); // turned: top red, bottom blue
    // The ramp runs from black to white across, not all black.
    expect(pixel(ramped, 3, 0)[0]).toBeLessThan(40);
    expect(pixel(ramped, 3, 7)[0]).toBeGreaterThan(210);
  });

  it('under concurrent decodes each corrupt file is reported with its own reason', async () => {
    const root = temp();
    const png = await markedPng(64, 64, 3);
    const jpeg = await solidJpeg(64, 64, [200, 30, 30]);
    for (let i = 0; i < 24; i++) {
      write(join(root, 'a', `${i}-good.png`), png);
      write(join(root, 'a', `${i}-bad.png`), png.subarray(0, Math.floor(png.length / 2)));
      write(join(root, 'b', `${i}-good.jpg`), jpeg);
      write(join(root, 'b', `${i}-bad.jpg`), jpeg.subarray(0, Math.floor(jpeg.length / 3)));
    }
    for (let round = 0; round < 3; round++) {
      const r = await importDataset({
        format: 'folder',
        name: `c${round}`,
        paths: [root],
        dataDir: temp(),
        size: 16,
      });
      for (const c of r.report.corrupt) {
        if (c.path.endsWith('.png')) expect(c.reason, c.path).not.toMatch(/jpe?g/i);
        else expect(c.reason, c.path).not.toMatch(/png/i);
      }
      // Kept: every good image, whatever failed beside it.
      expect(r.manifest.images + r.report.corrupt.length).toBe(96);
      expect(r.manifest.images).toBeGreaterThanOrEqual(48);
    }
  });

  it('refuses, before decoding, an image size whose dataset cannot fit in memory; and built-in names', async () => {
    const root = temp();
    for (let i = 0; i < 3; i++) write(join(root, 'a', `${i}.png`), await markedPng(8, 8, i));
    await expect(
      importDataset({ format: 'folder', name: 'huge', paths: [root], dataDir: temp(), size: 100_000 }),
    ).rejects.toThrow(
      /3 images at 100000×100000×3 need \d+\.\d GiB in memory, more than half of this machine's/,
    );
    await expect(
      importDataset({ format: 'folder', name: 'synthetic', paths: [root], dataDir: temp() }),
    ).rejects.toThrow(/'synthetic' is the name of a built-in dataset/);
  });

  it('a cancelled import leaves no dataset, no manifest and no temp folder', async () => {
    const root = await messyFolder();
    const dataDir = temp();
    const controller = new AbortController();
    await expect(
      importDataset({
        format: 'folder',
        name: 'cancelled',
        paths: [root],
        dataDir,
        size: 8,
        concurrency: 1,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    ).rejects.toThrow(/cancelled/);
    expect(existsSync(datasetsDir(dataDir)) ? readdirSync(datasetsDir(dataDir)) : []).toEqual([]);
  });

  it('classes too small for K + Q are reported when an experiment is validated', async () => {
    const root = temp();
    const png = await markedPng(8, 8);
    for (let c = 0; c < 10; c++)
      for (let i = 0; i < (c === 3 ? 2 : 6); i++) write(join(root, `c${c}`, `${i}.png`), png);
    const dataDir = temp();
    await importDataset({ format: 'folder', name: 'small', paths: [root], dataDir, size: 8, channels: 1 });
    const { dataset } = await loadPackedDataset(dataDir, 'small');
    const config = parseExperimentConfig({
      ways: 2,
      shots: 1,
      queries: 4,
      split: { train: 0.5, val: 0, test: 0.5 },
      model: { blocks: 2 },
    });
    expect(() => validateAgainstDataset(config, dataset)).toThrow(
      /shots \+ queries = 5 images per class, but 1 .*as few as 2: 'c3'/,
    );
  });
});

async function omniglotZip(
  set: string,
  alphabets: number,
  characters: number,
  drawings: number,
): Promise<Buffer> {
  const entries: Array<{ name: string; data: Uint8Array }> = [];
  for (let a = 0; a < alphabets; a++) {
    for (let c = 0; c < characters; c++) {
      for (let d = 0; d < drawings; d++) {
        // Black strokes on white, as in Omniglot: a dark square whose size tells the character.
        entries.push({
          name: `${set}/Alphabet_${a}/character${String(c + 1).padStart(2, '0')}/${d}.png`,
          data: await markedPng(35, 35, 5 + c * 3),
        });
      }
    }
  }
  entries.push({ name: `${set}/README.md`, data: Buffer.from('not an image') });
  return makeZip(entries);
}

describe('Omniglot import', () => {
  it('reads the official zips in place: classes set/alphabet/character, inverted, 28×28', async () => {
    const dir = temp();
    write(join(dir, 'images_background.zip'), await omniglotZip('images_background', 2, 3, 2));
    write(join(dir, 'images_evaluation.zip'), await omniglotZip('images_evaluation', 1, 3, 2));
    const dataDir = temp();
    const r = await importDataset({
      format: 'omniglot',
      name: 'omni',
      paths: [join(dir, 'images_background.zip'), join(dir, 'images_evaluation.zip')],
      dataDir,
    });
    expect(r.manifest).toMatchObject({ classes: 9, images: 18, height: 28, width: 28, channels: 1 });
    expect(r.report.skippedNonImages).toBe(2);
    const { dataset } = await loadPackedDataset(dataDir, 'omni');
    // Background set first (source order), then evaluation.
    expect(dataset.classNames[0]).toBe('images_background/Alphabet_0/character01');
    expect(dataset.classNames[8]).toBe('images_evaluation/Alphabet_0/character03');
    // Inverted: the white page is 0, the dark mark near 255.
    expect(dataset.pixels[27 * 28 + 27]).toBeLessThan(10);
    expect(dataset.pixels[0]).toBeGreaterThan(200);
    expect(dataset.splits).toBeUndefined(); // too few characters for the standard split: config fractions apply
  });

  it('reports duplicate entry names, and refuses a zip-bomb entry from its declared size without reading it', async () => {
    const dir = temp();
    const png = async (k: number) => await markedPng(35, 35, k);
    const entries = [
      { name: 'set/A/character01/0.png', data: await png(5) },
      { name: 'set/A/character01/1.png', data: await png(6) },
      { name: 'set/A/character01/1.png', data: await png(7) }, // the same name again
      { name: 'set/A/character02/0.png', data: await png(8) },
      { name: 'set/A/character02/1.png', data: await png(9) },
      // Declares 2 GiB: a bomb's header (the data itself is small, so the test stays cheap).
      { name: 'set/A/character02/bomb.png', data: Buffer.alloc(1000), deflate: true, declaredSize: 2 ** 31 },
    ];
    write(join(dir, 'dup.zip'), makeZip(entries));
    const r = await importDataset({
      format: 'omniglot',
      name: 'dup',
      paths: [join(dir, 'dup.zip')],
      dataDir: temp(),
    });
    expect(r.manifest.images).toBe(4);
    expect(r.report.duplicates).toEqual(['dup.zip!set/A/character01/1.png']);
    expect(r.report.corrupt).toEqual([
      {
        path: 'dup.zip!set/A/character02/bomb.png',
        reason: expect.stringMatching(
          /declares 2048 MiB uncompressed, above the 381 MiB an image may take; not read/,
        ),
      },
    ]);
  });

  it('rotation augmentation adds each character at 90°, 180°, 270° as new classes', async () => {
    const dir = temp();
    write(join(dir, 'bg.zip'), await omniglotZip('images_background', 1, 2, 1));
    const dataDir = temp();
    const r = await importDataset({
      format: 'omniglot',
      name: 'rot',
      paths: [join(dir, 'bg.zip')],
      dataDir,
      rotations: true,
    });
    expect(r.manifest.classes).toBe(8);
    const { dataset } = await loadPackedDataset(dataDir, 'rot');
    expect(dataset.classNames.slice(0, 4)).toEqual([
      'images_background/Alphabet_0/character01',
      'images_background/Alphabet_0/character01@rot90',
      'images_background/Alphabet_0/character01@rot180',
      'images_background/Alphabet_0/character01@rot270',
    ]);
    // Each rotation names its character, so that an automatic split keeps the four together.
    expect(dataset.classBases?.slice(0, 5)).toEqual([
      ...Array(4).fill('images_background/Alphabet_0/character01'),
      'images_background/Alphabet_0/character02',
    ]);
    // The mark sits top-left; after 90° (counter-clockwise) it sits bottom-left.
    const img = (k: number) => dataset.pixels.subarray(k * 784, (k + 1) * 784);
    expect(img(0)[0]).toBeGreaterThan(200);
    expect(img(1)[27 * 28]).toBeGreaterThan(200);
    expect(img(2)[27 * 28 + 27]).toBeGreaterThan(200);
    expect(img(3)[27]).toBeGreaterThan(200);
  });

  it('--split background: Lake’s protocol, background alphabets train (the last tenth validate), evaluation tests', async () => {
    const dir = temp();
    write(join(dir, 'bg.zip'), await omniglotZip('images_background', 11, 2, 1));
    write(join(dir, 'ev.zip'), await omniglotZip('images_evaluation', 2, 2, 1));
    const dataDir = temp();
    await importDataset({
      format: 'omniglot',
      name: 'lake',
      paths: [join(dir, 'bg.zip'), join(dir, 'ev.zip')],
      dataDir,
      rotations: true,
      split: 'background',
    });
    const { dataset } = await loadPackedDataset(dataDir, 'lake');
    const names = (split: 'train' | 'val' | 'test') =>
      dataset.splits![split]!.map((c) => dataset.classNames[c]!);
    // 11 background alphabets: the last 2 in name order validate (a tenth, rounded up), whole, with
    // their rotations ('Alphabet_10' sorts after 'Alphabet_1').
    expect(new Set(names('val').map((n) => n.split('/')[1]))).toEqual(new Set(['Alphabet_8', 'Alphabet_9']));
    expect(names('val')).toHaveLength(2 * 2 * 4);
    expect(names('train')).toHaveLength(9 * 2 * 4);
    expect(names('train').every((n) => n.startsWith('images_background/'))).toBe(true);
    expect(names('test')).toHaveLength(2 * 2 * 4);
    expect(names('test').every((n) => n.startsWith('images_evaluation/'))).toBe(true);
    await expect(
      importDataset({
        format: 'omniglot',
        name: 'bg',
        paths: [join(dir, 'bg.zip')],
        dataDir,
        split: 'background',
      }),
    ).rejects.toThrow(/--split background needs Omniglot's background set .* and its evaluation set/);
  });

  it('the standard split needs the full alphabet set, and says so', async () => {
    const dir = temp();
    write(join(dir, 'bg.zip'), await omniglotZip('images_background', 1, 2, 1));
    await expect(
      importDataset({
        format: 'omniglot',
        name: 'std',
        paths: [join(dir, 'bg.zip')],
        dataDir: temp(),
        split: 'standard',
      }),
    ).rejects.toThrow(/standard Omniglot split needs more than 1200 characters; these sources have 2/);
  });

  it('says a password-protected zip is encrypted, and names an encrypted entry among readable ones', async () => {
    const dir = temp();
    const png = await markedPng(8, 8, 1);
    write(join(dir, 'locked.zip'), makeZip([{ name: 'set/A/c1/0.png', data: png, encrypted: true }]));
    await expect(
      importDataset({
        format: 'omniglot',
        name: 'locked',
        paths: [join(dir, 'locked.zip')],
        dataDir: temp(),
      }),
    ).rejects.toThrow(/locked\.zip is encrypted \(password-protected\): unzip it with its password first/);
    write(
      join(dir, 'mixed.zip'),
      makeZip([
        { name: 'set/A/c1/0.png', data: png },
        { name: 'set/A/c1/1.png', data: png, encrypted: true },
      ]),
    );
    const r = await importDataset({
      format: 'omniglot',
      name: 'mixed',
      paths: [join(dir, 'mixed.zip')],
      dataDir: temp(),
    });
    expect(r.report.corrupt).toEqual([
      { path: 'mixed.zip!set/A/c1/1.png', reason: 'the entry is encrypted (password-protected); not read' },
    ]);
  });

  it('refuses a zip with an entry escaping its root, and a damaged zip, writing nothing', async () => {
    const dir = temp();
    const png = await markedPng(8, 8);
    write(
      join(dir, 'evil.zip'),
      makeZip([
        { name: 'images_background/A/character01/0.png', data: png },
        { name: 'images_background/A/character01/../../../../escape.png', data: png },
      ]),
    );
    write(join(dir, 'damaged.zip'), (await omniglotZip('images_background', 1, 1, 1)).subarray(0, 100));
    const dataDir = temp();
    await expect(
      importDataset({ format: 'omniglot', name: 'evil', paths: [join(dir, 'evil.zip')], dataDir }),
    ).rejects.toThrow(/refusing .*evil\.zip.*escapes/);
    await expect(
      importDataset({ format: 'omniglot', name: 'dmg', paths: [join(dir, 'damaged.zip')], dataDir }),
    ).rejects.toThrow(/damaged\.zip/);
    expect(existsSync(datasetsDir(dataDir)) ? readdirSync(datasetsDir(dataDir)) : []).toEqual([]);
  });

  it('reads extracted folders too', async () => {
    const root = temp();
    const png = await markedPng(35, 35, 5);
    for (const c of ['character01', 'character02'])
      for (const d of ['a', 'b']) write(join(root, 'images_background', 'Greek', c, `${d}.png`), png);
    const r = await importDataset({
      format: 'omniglot',
      name: 'folders',
      paths: [join(root, 'images_background')],
      dataDir: temp(),
    });
    expect(r.manifest.classes).toBe(2);
  });
});

describe('miniImageNet import', () => {
  it('takes the splits from train/val/test.csv', async () => {
    const root = temp();
    const rows: Record<string, string[]> = { train: [], val: [], test: [] };
    const labels = { train: ['n01', 'n02'], val: ['n03'], test: ['n04', 'n05'] } as const;
    for (const [split, ls] of Object.entries(labels)) {
      for (const label of ls) {
        for (let i = 0; i < 3; i++) {
          const file = `${label}0000${i}.jpg`;
          write(join(root, 'images', file), await solidJpeg(100, 90, [i * 50, 100, 200]));
          rows[split]!.push(`${file},${label}`);
        }
      }
    }
    for (const split of ['train', 'val', 'test'])
      write(join(root, `${split}.csv`), `filename,label\n${rows[split]!.join('\n')}\n`);
    const dataDir = temp();
    const r = await importDataset({ format: 'miniimagenet', name: 'mini', paths: [root], dataDir, size: 12 });
    expect(r.manifest).toMatchObject({ classes: 5, images: 15, height: 12, channels: 3 });
    const { dataset } = await loadPackedDataset(dataDir, 'mini');
    const names = (ids: readonly number[]) => ids.map((i) => dataset.classNames[i]);
    expect(names(dataset.splits!.train!)).toEqual(['n01', 'n02']);
    expect(names(dataset.splits!.val!)).toEqual(['n03']);
    expect(names(dataset.splits!.test!)).toEqual(['n04', 'n05']);

    // Without its header line, a CSV keeps its first row.
    write(join(root, 'test.csv'), `${rows.test!.join('\n')}\n`);
    const headerless = await importDataset({
      format: 'miniimagenet',
      name: 'mini2',
      paths: [root],
      dataDir,
      size: 12,
    });
    expect(headerless.manifest.images).toBe(15);
    // A class listed in two splits is refused, naming the line and the other split.
    write(join(root, 'test.csv'), `filename,label\n${rows.test!.join('\n')}\nn0100000.jpg,n01\n`);
    await expect(
      importDataset({ format: 'miniimagenet', name: 'mini3', paths: [root], dataDir, size: 12 }),
    ).rejects.toThrow(/test\.csv:8: class 'n01' is also listed in train\.csv; a class belongs to one split/);
  });

  it('says which CSV is missing', async () => {
    const root = temp();
    mkdirSync(join(root, 'images'));
    await expect(
      importDataset({ format: 'miniimagenet', name: 'm', paths: [root], dataDir: temp() }),
    ).rejects.toThrow(/train\.csv.*needs train\.csv, val\.csv and test\.csv/);
  });
});
