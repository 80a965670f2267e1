/** The embedded default dataset: shape, splits, determinism, caching. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checksum, readManifest } from '../../src-main/data/cache';
import { GLYPHS_EXTERNAL_ID, GLYPHS_ID, ensureGlyphs, loadGlyphs } from '../../src-main/data/embedded';
import { generateGlyphs } from '../../src-main/data/glyphs';
import { classCount, imagesInClass } from '../../src-main/engine';

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

const small = {
  alphabets: { train: 3, val: 1, test: 2 },
  charactersPerAlphabet: 4,
  drawingsPerCharacter: 5,
  external: { alphabets: 2, charactersPerAlphabet: 3, drawingsPerCharacter: 7 },
};

describe('glyphs', () => {
  it('same seed, same bytes; another seed, other bytes', () => {
    const a = generateGlyphs({ ...small, seed: 1 });
    const b = generateGlyphs({ ...small, seed: 1 });
    const c = generateGlyphs({ ...small, seed: 2 });
    expect(checksum(a.episodes.pixels)).toBe(checksum(b.episodes.pixels));
    expect(checksum(a.external.pixels)).toBe(checksum(b.external.pixels));
    expect(checksum(a.episodes.pixels)).not.toBe(checksum(c.episodes.pixels));
  });

  it('splits by alphabet, and the external classes are disjoint from meta-test', () => {
    const { episodes, external } = generateGlyphs(small);
    const s = episodes.splits!;
    expect([s.train!.length, s.val!.length, s.test!.length]).toEqual([12, 4, 8]);
    const alphabet = (i: number) => episodes.classNames[i]!.split('/')[0];
    const testAlphabets = new Set(s.test!.map(alphabet));
    for (const i of [...s.train!, ...s.val!]) expect(testAlphabets.has(alphabet(i))).toBe(false);
    expect(classCount(external)).toBe(6);
    expect(imagesInClass(external, 0)).toBe(7);
    const testNames = new Set(s.test!.map((i) => episodes.classNames[i]));
    for (const n of external.classNames) expect(testNames.has(n)).toBe(false);
  });

  it('the default is ≥ 1000 classes × 20 plus an external ≥ 200 classes × 100, generated once and cached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deml-glyphs-'));
    temps.push(dir);
    expect(await ensureGlyphs(dir)).toBe(true);
    expect(await ensureGlyphs(dir)).toBe(false); // cached: not generated again
    const m = await readManifest(dir, GLYPHS_ID);
    expect(m.classes).toBeGreaterThanOrEqual(1000);
    expect(m.images / m.classes).toBe(20);
    const e = await readManifest(dir, GLYPHS_EXTERNAL_ID);
    expect(e.classes).toBeGreaterThanOrEqual(200);
    expect(e.images / e.classes).toBeGreaterThanOrEqual(100);
    const d = await loadGlyphs(dir);
    expect(d.splits!.test!.length).toBeGreaterThan(100);
    expect(checksum(d.pixels)).toBe(m.checksum);
  });
});
