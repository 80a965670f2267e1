/**
 * Dataset import: scan a source (Omniglot zips or folders, an image folder, miniImageNet with its
 * CSV splits), decode every image to a fixed size, and write the packed cache atomically.
 * Non-images are skipped and counted, undecodable images are reported by path and skipped, empty
 * class folders are reported; a failed or cancelled import leaves nothing behind.
 */
import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { basename, join } from 'node:path';
import type { ImportFormat } from '../../contract/datasets';
import type { ClassIndexedDataset, SplitName } from '../../engine/dataset';
import {
  type DatasetManifest,
  type ImportReport,
  checkDatasetId,
  emptyReport,
  writePackedDataset,
} from '../cache';
import { formatBytes } from '../../engine/memoryEstimate';
import { GLYPHS_EXTERNAL_ID, GLYPHS_ID } from '../embedded';
import { describeFsError } from '../errors';
import { DecodeError, type DecodeOptions, decodeImage, isImageFile } from './decode';
import {
  type ImageItem,
  ImportInputError,
  type Scan,
  type ScannedClass,
  assertReadable,
  listZip,
  scanFolder,
  walkFiles,
  zipItem,
} from './sources';

export interface ImportOptions {
  format: ImportFormat;
  /** Dataset name in the data directory. */
  name: string;
  /** Omniglot: zips and/or folders; folder / miniimagenet: one root folder. */
  paths: string[];
  dataDir: string;
  /** Square side in pixels (default: 28 for Omniglot, 84 otherwise). */
  size?: number;
  channels?: 1 | 3;
  invert?: boolean;
  /** Omniglot: add each character rotated by 90°, 180°, 270° as new classes. */
  rotations?: boolean;
  /** Omniglot: "standard" (1100 train / 100 val / rest test, MAML's), or "none" (config fractions). */
  /**
   * Omniglot: 'standard' (MAML's: the first 1,100 characters train, 100 validation, the rest test),
   * 'background' (Lake et al.'s protocol: the background set's alphabets train, with its last tenth
   * of alphabets for validation, and the evaluation set's test), 'none', or 'auto' (standard where
   * the sources have enough characters, else none).
   */
  split?: 'standard' | 'background' | 'none' | 'auto';
  /** Image folder: depth of the class folders below the root. */
  depth?: number;
  maxInputPixels?: number;
  /** Images decoded at once (sharp uses libvips' thread pool underneath). */
  concurrency?: number;
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
}

export interface ImportProgress {
  phase: 'scan' | 'decode' | 'write';
  done: number;
  total: number;
}

export interface ImportResult {
  manifest: DatasetManifest;
  report: ImportReport;
  imagesPerSecond: number;
  durationMs: number;
}

interface Gathered {
  scan: Scan;
  splits?: Partial<Record<SplitName, string[]>>;
  cleanup: () => void;
}

/** Omniglot: class = set/alphabet/character, from …/<set>/<alphabet>/<character>/<drawing>.png. */
async function gatherOmniglot(paths: string[]): Promise<Gathered> {
  const byClass = new Map<string, ImageItem[]>();
  const closers: Array<() => void> = [];
  const duplicates: string[] = [];
  let skipped = 0;
  const add = (relPath: string, item: ImageItem) => {
    const parts = relPath.replace(/\\/g, '/').split('/').filter(Boolean);
    if (!isImageFile(relPath) || parts.length < 3) {
      skipped++;
      return;
    }
    // <set>/<alphabet>/<character>: the small background sets share alphabet names.
    const name = parts.slice(Math.max(0, parts.length - 4), -1).join('/');
    if (!byClass.has(name)) byClass.set(name, []);
    byClass.get(name)!.push(item);
  };
  try {
    for (const path of paths) {
      if ((await assertReadable(path)) === 'dir') {
        for (const rel of await walkFiles(path)) {
          const full = join(path, rel);
          add(rel, { path: full, read: () => readFile(full) });
        }
      } else {
        const listing = await listZip(path);
        closers.push(listing.close);
        duplicates.push(...listing.duplicates);
        const sorted = [...listing.entries].sort((a, b) => a.fileName.localeCompare(b.fileName));
        for (const entry of sorted) add(entry.fileName, zipItem(path, listing.zip, entry));
      }
    }
  } catch (e) {
    closers.forEach((c) => c());
    throw e;
  }
  const classes: ScannedClass[] = [...byClass.entries()].map(([name, items]) => ({
    name,
    items: items.sort((a, b) => a.path.localeCompare(b.path)),
  }));
  return {
    scan: { classes, skippedNonImages: skipped, emptyClasses: [], duplicates },
    cleanup: () => closers.forEach((c) => c()),
  };
}

/** miniImageNet: <root>/images/*.jpg plus <root>/{train,val,test}.csv (filename,label). */
async function gatherMiniImageNet(root: string): Promise<Gathered> {
  if ((await assertReadable(root)) !== 'dir') throw new ImportInputError(`${root} is not a folder`);
  const imagesDir = join(root, 'images');
  await assertReadable(imagesDir);
  const byClass = new Map<string, ImageItem[]>();
  const splits: Partial<Record<SplitName, string[]>> = {};
  for (const split of ['train', 'val', 'test'] as const) {
    const csv = join(root, `${split}.csv`);
    let text: string;
    try {
      text = await readFile(csv, 'utf8');
    } catch (e) {
      throw new ImportInputError(
        `cannot read ${csv}: ${describeFsError(e)} (miniImageNet needs train.csv, val.csv and test.csv)`,
      );
    }
    const names = new Set<string>();
    const lines = text.split(/\r?\n/);
    // The published CSVs start with "filename,label"; a file without that header keeps its first
    // row (the first image) instead of losing it as a header.
    const header = /^\s*filename\s*,\s*label\s*$/i.test(lines[0] ?? '');
    const claimedBy = (label: string) =>
      (Object.entries(splits) as Array<[SplitName, string[]]>).find(([, ls]) => ls.includes(label))?.[0];
    lines
      .map((line, i) => ({ line, at: i + 1 }))
      .slice(header ? 1 : 0)
      .filter(({ line }) => line.trim())
      .forEach(({ line, at }) => {
        const [file, label] = line.split(',').map((s) => s.trim());
        if (!file || !label) throw new ImportInputError(`${csv}:${at}: expected "filename,label"`);
        // A class in two splits would be merged into one and leak between meta-train and meta-test.
        const other = claimedBy(label);
        if (other)
          throw new ImportInputError(
            `${csv}:${at}: class '${label}' is also listed in ${other}.csv; a class belongs to one split`,
          );
        names.add(label);
        const path = join(imagesDir, basename(file));
        if (!byClass.has(label)) byClass.set(label, []);
        byClass.get(label)!.push({ path, read: () => readFile(path) });
      });
    splits[split] = [...names];
  }
  const classes = [...byClass.entries()].map(([name, items]) => ({ name, items }));
  return { scan: { classes, skippedNonImages: 0, emptyClasses: [] }, splits, cleanup: () => undefined };
}

function rotate(src: Uint8Array, size: number, channels: number, quarterTurns: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let sx = x;
      let sy = y;
      // Counter-clockwise quarter turns (numpy's rot90): out(y, x) = in(x, size − 1 − y).
      for (let k = 0; k < quarterTurns; k++) [sy, sx] = [sx, size - 1 - sy];
      for (let c = 0; c < channels; c++)
        out[(y * size + x) * channels + c] = src[(sy * size + sx) * channels + c]!;
    }
  }
  return out;
}

function abortError(): Error {
  const e = new Error('import cancelled; nothing was written');
  e.name = 'AbortError';
  return e;
}

/** Names the workbench gives its built-in datasets: an import under one would shadow it. */
const RESERVED_NAMES = new Set([GLYPHS_ID, GLYPHS_EXTERNAL_ID, 'synthetic']);

export async function importDataset(o: ImportOptions): Promise<ImportResult> {
  checkImportName(o.name);
  const started = performance.now();
  const shape = importShape(o);
  checkImportPaths(o);
  o.onProgress?.({ phase: 'scan', done: 0, total: 0 });
  const gathered = await gather(o);
  try {
    const { scan } = gathered;
    const report = reportOfScan(scan);
    // Omniglot keeps its sources' order (background set first, then evaluation, alphabets in
    // name order within each) because the standard split is defined on that order.
    const classes = shape.omniglot
      ? scan.classes
      : [...scan.classes].sort((a, b) => a.name.localeCompare(b.name));
    const items = classes.flatMap((c, ci) => c.items.map((item) => ({ item, ci })));
    if (items.length === 0) throw new ImportInputError(`no images found in ${o.paths.join(', ')}`);
    checkMemory(shape, items.length);
    const decoded = await decodeImages(o, shape.decode, items, report);
    const kept = keptClasses(shape, classes, items, decoded, report);
    const dataset = packDataset(o, shape, kept, gathered.splits);
    if (o.signal?.aborted) throw abortError();
    const manifest = await writeImport(o, shape, dataset, report);
    const durationMs = performance.now() - started;
    return { manifest, report, durationMs, imagesPerSecond: (items.length * 1000) / durationMs };
  } finally {
    gathered.cleanup();
  }
}

/** A valid dataset name that no built-in dataset bears. */
function checkImportName(name: string): void {
  checkDatasetId(name);
  if (RESERVED_NAMES.has(name) || name.startsWith('synthetic')) {
    throw new ImportInputError(
      `'${name}' is the name of a built-in dataset (glyphs, glyphs-external, synthetic); import under another name`,
    );
  }
}

/** Omniglot takes zips and folders, as many as given; the other formats one root folder. */
function checkImportPaths(o: ImportOptions): void {
  if (o.paths.length === 0) throw new ImportInputError('no input path given');
  if (o.format !== 'omniglot' && o.paths.length !== 1)
    throw new ImportInputError(`${o.format} import takes one root folder`);
}

/** What every image of an import becomes, and whether Omniglot's rotated copies are added. */
interface ImportShape {
  omniglot: boolean;
  /** The square side in pixels. */
  size: number;
  decode: DecodeOptions;
  /** Bytes of one decoded image. */
  imageBytes: number;
  /** Each character also rotated by 90°, 180° and 270° (Omniglot with `rotations`). */
  rotated: boolean;
}

function importShape(o: ImportOptions): ImportShape {
  const omniglot = o.format === 'omniglot';
  const size = o.size ?? (omniglot ? 28 : 84);
  const decode: DecodeOptions = {
    height: size,
    width: size,
    channels: o.channels ?? (omniglot ? 1 : 3),
    invert: o.invert ?? omniglot,
    maxInputPixels: o.maxInputPixels,
  };
  return {
    omniglot,
    size,
    decode,
    imageBytes: size * size * decode.channels,
    rotated: omniglot && !!o.rotations,
  };
}

/** The classes and images of the sources, by format. */
async function gather(o: ImportOptions): Promise<Gathered> {
  if (o.format === 'omniglot') return gatherOmniglot(o.paths);
  if (o.format === 'miniimagenet') return gatherMiniImageNet(o.paths[0]!);
  return { scan: await scanFolder(o.paths[0]!, o.depth ?? 1), cleanup: () => undefined };
}

/** The import report as the scan leaves it: what was skipped, and the classes found empty. */
function reportOfScan(scan: Scan): ImportReport {
  const report = emptyReport();
  report.skippedNonImages = scan.skippedNonImages;
  report.skippedHidden = scan.skippedHidden ?? 0;
  report.skippedLinks = scan.skippedLinks ?? [];
  report.unsupported = scan.unsupported ?? [];
  report.duplicates = scan.duplicates ?? [];
  report.emptyClasses = [...scan.emptyClasses];
  return report;
}

/** The packed images are held in memory while the dataset is written: refuse what cannot fit. */
function checkMemory(shape: ImportShape, images: number): void {
  const { size, decode, imageBytes } = shape;
  const packed = images * imageBytes * (shape.rotated ? 4 : 1);
  if (packed > totalmem() * 0.5) {
    throw new ImportInputError(
      `${images} images at ${size}×${size}×${decode.channels} need ${formatBytes(packed)} in memory, ` +
        `more than half of this machine's ${formatBytes(totalmem())}; choose a smaller --size`,
    );
  }
}

/** An image of the import, with the index of its class. */
interface ClassItem {
  item: ImageItem;
  ci: number;
}

/**
 * Every image decoded, several at once; null where it is corrupt or oversized (both reported,
 * each list in path order).
 */
async function decodeImages(
  o: ImportOptions,
  decode: DecodeOptions,
  items: ClassItem[],
  report: ImportReport,
): Promise<Array<Uint8Array | null>> {
  const decoded: Array<Uint8Array | null> = new Array(items.length).fill(null);
  const retry = await decodeConcurrently(o, decode, items, report, decoded);
  await decodeAgainAlone(o, decode, items, report, decoded, retry);
  if (o.signal?.aborted) throw abortError();
  report.corrupt.sort((a, b) => a.path.localeCompare(b.path));
  report.oversized.sort();
  return decoded;
}

/**
 * `concurrency` decoders over the images, filling `decoded`; returns the images whose decode
 * failed while others decoded beside them, to be decoded again one at a time.
 */
async function decodeConcurrently(
  o: ImportOptions,
  decode: DecodeOptions,
  items: ClassItem[],
  report: ImportReport,
  decoded: Array<Uint8Array | null>,
): Promise<number[]> {
  let next = 0;
  let done = 0;
  const retry: number[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      if (o.signal?.aborted) throw abortError();
      const i = next++;
      const { item } = items[i]!;
      try {
        decoded[i] = await decodeImage(await item.read(), decode);
      } catch (e) {
        if (e instanceof DecodeError && e.kind === 'oversized') report.oversized.push(item.path);
        else retry.push(i);
      }
      done++;
      if (done % 64 === 0 || done === items.length)
        o.onProgress?.({ phase: 'decode', done, total: items.length });
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 8 }, worker));
  return retry;
}

/**
 * libvips keeps one error buffer per process: under concurrent decodes a failure can carry
 * another file's message ("VipsJpeg: premature end" for a truncated PNG). Decoding each failed
 * file again alone gives its own reason (and keeps a file that only failed by contention).
 */
async function decodeAgainAlone(
  o: ImportOptions,
  decode: DecodeOptions,
  items: ClassItem[],
  report: ImportReport,
  decoded: Array<Uint8Array | null>,
  retry: number[],
): Promise<void> {
  for (const i of retry.sort((a, b) => a - b)) {
    if (o.signal?.aborted) throw abortError();
    const { item } = items[i]!;
    try {
      decoded[i] = await decodeImage(await item.read(), decode);
    } catch (e) {
      // A listed file that cannot be read (a miniImageNet CSV row without its image, say) is
      // reported with the corrupt ones: the import goes on without it.
      if (e instanceof DecodeError && e.kind === 'oversized') report.oversized.push(item.path);
      else report.corrupt.push({ path: item.path, reason: (e as Error).message });
    }
  }
}

/** A class of the dataset as written: its name, the character it copies, its images. */
interface KeptClass {
  name: string;
  /** The class a rotated copy was made from (its own name otherwise). */
  base: string;
  images: Uint8Array[];
}

/**
 * The classes that kept an image, in the order given, images in path order, each followed by its
 * rotated copies when asked for; classes left with no image are reported.
 */
function keptClasses(
  shape: ImportShape,
  classes: ScannedClass[],
  items: ClassItem[],
  decoded: Array<Uint8Array | null>,
  report: ImportReport,
): KeptClass[] {
  const turns = shape.rotated ? [0, 1, 2, 3] : [0];
  const kept: KeptClass[] = [];
  const byClass: Uint8Array[][] = classes.map(() => []);
  items.forEach((it, i) => decoded[i] && byClass[it.ci]!.push(decoded[i]!));
  classes.forEach((c, ci) => {
    const images = byClass[ci]!;
    if (images.length === 0) {
      report.emptyClasses.push(c.name);
      return;
    }
    for (const t of turns) {
      kept.push({
        name: t === 0 ? c.name : `${c.name}@rot${90 * t}`,
        base: c.name,
        images: t === 0 ? images : images.map((img) => rotate(img, shape.size, shape.decode.channels, t)),
      });
    }
  });
  report.emptyClasses.sort();
  if (kept.length === 0) throw new ImportInputError('no image could be decoded; nothing was imported');
  return kept;
}

/** The kept classes as one class-indexed dataset: their images back to back, with its split. */
function packDataset(
  o: ImportOptions,
  shape: ImportShape,
  kept: KeptClass[],
  namedSplits: Gathered['splits'],
): ClassIndexedDataset {
  const { imageBytes } = shape;
  const total = kept.reduce((n, c) => n + c.images.length, 0);
  const pixels = new Uint8Array(total * imageBytes);
  const classStart = new Uint32Array(kept.length + 1);
  let at = 0;
  kept.forEach((c, i) => {
    classStart[i] = at;
    for (const img of c.images) pixels.set(img, at++ * imageBytes);
  });
  classStart[kept.length] = at;

  const dataset: ClassIndexedDataset = {
    name: o.name,
    height: shape.size,
    width: shape.size,
    channels: shape.decode.channels,
    classNames: kept.map((c) => c.name),
    classStart,
    pixels,
    // Rotated copies name their character, so that any split keeps them together.
    ...(kept.some((c) => c.base !== c.name) ? { classBases: kept.map((c) => c.base) } : {}),
  };
  const splits = makeSplits(o, kept, namedSplits);
  if (splits) dataset.splits = splits;
  return dataset;
}

/** The packed dataset written (atomically) with its manifest, the options and the report. */
async function writeImport(
  o: ImportOptions,
  shape: ImportShape,
  dataset: ClassIndexedDataset,
  report: ImportReport,
): Promise<DatasetManifest> {
  o.onProgress?.({ phase: 'write', done: 0, total: 1 });
  const manifest = await writePackedDataset(o.dataDir, o.name, dataset, {
    source: o.paths.join(', '),
    sourceFormat: o.format,
    options: {
      size: shape.size,
      channels: shape.decode.channels,
      invert: shape.decode.invert,
      rotations: !!o.rotations,
      split: o.split ?? 'auto',
      depth: o.depth ?? 1,
    },
    report,
  });
  o.onProgress?.({ phase: 'write', done: 1, total: 1 });
  return manifest;
}

/**
 * Lake et al.'s protocol by its sets: background alphabets for meta-training (the last tenth of
 * them, whole, for validation), evaluation alphabets for the meta-test. Alphabets are kept whole so
 * that validation measures new alphabets as the test does; rotated copies follow their character.
 */
function backgroundSplit(kept: Array<{ name: string; base: string }>): Record<SplitName, number[]> {
  const set = (c: { base: string }) => c.base.split('/')[0] ?? '';
  const alphabet = (c: { base: string }) => c.base.split('/').slice(0, 2).join('/');
  const background = [...new Set(kept.filter((c) => set(c).startsWith('images_background')).map(alphabet))];
  const evaluation = kept.filter((c) => set(c).startsWith('images_evaluation'));
  if (background.length < 2 || evaluation.length === 0) {
    throw new ImportInputError(
      `--split background needs Omniglot's background set (two alphabets or more) and its evaluation set; these sources have ${background.length} background alphabet(s) and ${evaluation.length} evaluation character(s)`,
    );
  }
  const nVal = Math.max(1, Math.ceil(background.length / 10));
  const validation = new Set(background.slice(-nVal));
  const out: Record<SplitName, number[]> = { train: [], val: [], test: [] };
  kept.forEach((c, i) => {
    if (set(c).startsWith('images_evaluation')) out.test.push(i);
    else if (validation.has(alphabet(c))) out.val.push(i);
    else if (set(c).startsWith('images_background')) out.train.push(i);
  });
  return out;
}

const OMNIGLOT_TRAIN = 1100;
const OMNIGLOT_VAL = 100;

function makeSplits(
  o: ImportOptions,
  kept: Array<{ name: string; base: string }>,
  named?: Partial<Record<SplitName, string[]>>,
): Partial<Record<SplitName, number[]>> | undefined {
  if (named) {
    const where = new Map<string, SplitName>();
    for (const [split, names] of Object.entries(named) as Array<[SplitName, string[]]>)
      names.forEach((n) => where.set(n, split));
    const out: Record<SplitName, number[]> = { train: [], val: [], test: [] };
    kept.forEach((c, i) => out[where.get(c.base) ?? 'train'].push(i));
    return out;
  }
  if (o.format !== 'omniglot') return undefined;
  if (o.split === 'background') return backgroundSplit(kept);
  // The standard split: the first 1200 characters in source order (MAML: 1100 train + 100 val),
  // the rest meta-test; rotated copies stay in their character's split.
  const bases = [...new Set(kept.map((c) => c.base))];
  const mode = o.split ?? 'auto';
  if (mode === 'none' || (mode === 'auto' && bases.length < OMNIGLOT_TRAIN + OMNIGLOT_VAL + 1))
    return undefined;
  if (bases.length < OMNIGLOT_TRAIN + OMNIGLOT_VAL + 1) {
    throw new ImportInputError(
      `the standard Omniglot split needs more than ${OMNIGLOT_TRAIN + OMNIGLOT_VAL} characters; these sources have ${bases.length} (use --split none)`,
    );
  }
  const splitOf = new Map<string, SplitName>(
    bases.map((b, i) => [
      b,
      i < OMNIGLOT_TRAIN ? 'train' : i < OMNIGLOT_TRAIN + OMNIGLOT_VAL ? 'val' : 'test',
    ]),
  );
  const out: Record<SplitName, number[]> = { train: [], val: [], test: [] };
  kept.forEach((c, i) => out[splitOf.get(c.base)!].push(i));
  return out;
}
