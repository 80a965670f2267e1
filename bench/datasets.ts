/**
 * Dataset figures (printed, never pass/fail): embedded glyphs generation and load time, packed
 * cache load time for 32k 28×28 images, and import images/s on the Omniglot small sets when
 * ../shared/datasets/omniglot is present.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPackedDataset, writePackedDataset } from '../src-main/data/cache';
import { ensureGlyphs, GLYPHS_ID } from '../src-main/data/embedded';
import { importDataset } from '../src-main/data/import/importer';
import { generateSyntheticDataset } from '../src-main/data/synthetic';
import { omniglotZips } from './lib/omniglotSource';

const dir = mkdtempSync(join(tmpdir(), 'deml-bench-data-'));
const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;
try {
  let t = performance.now();
  await ensureGlyphs(dir);
  console.log(`glyphs: generate + cache 1200×20 + 200×100 images: ${ms(t)}`);
  t = performance.now();
  await loadPackedDataset(dir, GLYPHS_ID);
  console.log(`glyphs: load 24000 images (checksum verified): ${ms(t)}`);

  const big = generateSyntheticDataset({ classes: 1600, imagesPerClass: 20, size: 28 });
  await writePackedDataset(dir, 'big', big, { source: 'generated', sourceFormat: 'synthetic' });
  t = performance.now();
  await loadPackedDataset(dir, 'big');
  console.log(`packed cache: load 32000 28×28 images (checksum verified): ${ms(t)}`);
  t = performance.now();
  await loadPackedDataset(dir, 'big', { verify: false });
  console.log(`packed cache: load 32000 28×28 images (no checksum): ${ms(t)}`);

  const omniglot = omniglotZips();
  if ('zips' in omniglot) {
    const r = await importDataset({
      format: 'omniglot',
      name: 'omniglot-small',
      paths: omniglot.zips,
      dataDir: dir,
    });
    console.log(
      `omniglot import (both small sets, 28×28, inverted): ${r.manifest.classes} classes, ${r.manifest.images} images, ` +
        `${r.imagesPerSecond.toFixed(0)} images/s, ${(r.durationMs / 1000).toFixed(1)} s`,
    );
  } else {
    console.log(`omniglot import: skipped: ${omniglot.missing}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
