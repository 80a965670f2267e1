/**
 * The packed dataset cache: one folder per dataset (layout/dataDirectory.ts), holding
 *   pixels.u8      every image, uint8, NHWC, classes contiguous
 *   index.json     class names, class start offsets, predefined splits
 *   manifest.json  source, format, counts, image size, SHA-256 of pixels.u8, import report
 * A dataset is written into a temporary folder and renamed into place in one step, so a failed
 * or cancelled write never leaves a half-written dataset or a manifest that lies.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATASET_NAME_PATTERN, DATASET_NAME_RULE } from '../contract/datasets';
import type { ClassIndexedDataset, SplitName } from '../engine/dataset';
import { checkDataset, classCount } from '../engine/dataset';
import { datasetDirectory, datasetsDir } from '../layout/dataDirectory';
import { describeFsError, describeWriteFailure } from './errors';

export const MANIFEST_FORMAT = 'deml-dataset';
export const MANIFEST_VERSION = 1;

export interface ImportReport {
  /** Files that were not images (by extension), skipped. */
  skippedNonImages: number;
  /** Images that could not be decoded: path and reason. */
  corrupt: Array<{ path: string; reason: string }>;
  /** Class folders with no usable image (left out of the dataset). */
  emptyClasses: string[];
  /** Images larger than the decoder's pixel limit, skipped. */
  oversized: string[];
  /** Hidden files and folders (names starting with a dot), skipped. Absent in older reports. */
  skippedHidden?: number;
  /** Symbolic links not followed: out of the source, out of their class folder, or a linked class folder. */
  skippedLinks?: string[];
  /** Images in a format the decoder cannot read, with the reason. */
  unsupported?: Array<{ path: string; reason: string }>;
  /** Zip entries listed twice under one name: the first imported, these left out. */
  duplicates?: string[];
}

export interface DatasetManifest {
  format: typeof MANIFEST_FORMAT;
  version: number;
  id: string;
  name: string;
  /** Where it came from: a path, or "generated". */
  source: string;
  /** omniglot | folder | miniimagenet | glyphs | synthetic */
  sourceFormat: string;
  classes: number;
  images: number;
  height: number;
  width: number;
  channels: number;
  /** SHA-256 of pixels.u8, hex. */
  checksum: string;
  createdAt: string;
  /** Import options as given (size, invert, rotations, …). */
  options: Record<string, unknown>;
  report: ImportReport;
}

export function emptyReport(): ImportReport {
  return {
    skippedNonImages: 0,
    corrupt: [],
    emptyClasses: [],
    oversized: [],
    skippedHidden: 0,
    skippedLinks: [],
    unsupported: [],
    duplicates: [],
  };
}

/** A dataset name that breaks the naming rule (or would reach outside the data directory). */
export class DatasetNameError extends Error {
  override name = 'DatasetNameError';
}

export function checkDatasetId(id: string): void {
  if (!DATASET_NAME_PATTERN.test(id))
    throw new DatasetNameError(`dataset name '${id}' must be ${DATASET_NAME_RULE}`);
}

export function checksum(pixels: Uint8Array): string {
  return createHash('sha256').update(pixels).digest('hex');
}

interface IndexFile {
  classNames: string[];
  classStart: number[];
  splits?: Partial<Record<SplitName, number[]>>;
  /** Only where some class is an augmented copy of another (ClassIndexedDataset.classBases). */
  classBases?: string[];
}

/**
 * Write a dataset atomically. An existing dataset of the same id is replaced only once the new
 * one is complete.
 */
export async function writePackedDataset(
  dataDir: string,
  id: string,
  dataset: ClassIndexedDataset,
  meta: { source: string; sourceFormat: string; options?: Record<string, unknown>; report?: ImportReport },
): Promise<DatasetManifest> {
  checkDatasetId(id);
  checkDataset(dataset);
  const root = datasetsDir(dataDir);
  const final = datasetDirectory(dataDir, id);
  const temp = join(root, `.tmp-${id}-${process.pid}-${randomBytes(4).toString('hex')}`);
  const manifest: DatasetManifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    id,
    name: dataset.name,
    source: meta.source,
    sourceFormat: meta.sourceFormat,
    classes: classCount(dataset),
    images: dataset.classStart[classCount(dataset)]!,
    height: dataset.height,
    width: dataset.width,
    channels: dataset.channels,
    checksum: checksum(dataset.pixels),
    createdAt: new Date().toISOString(),
    options: meta.options ?? {},
    report: meta.report ?? emptyReport(),
  };
  const index: IndexFile = {
    classNames: [...dataset.classNames],
    classStart: Array.from(dataset.classStart),
    ...(dataset.splits
      ? { splits: Object.fromEntries(Object.entries(dataset.splits).map(([k, v]) => [k, [...v]])) }
      : {}),
    ...(dataset.classBases ? { classBases: [...dataset.classBases] } : {}),
  };
  try {
    await mkdir(temp, { recursive: true });
    await writeFile(join(temp, 'pixels.u8'), dataset.pixels);
    await writeFile(join(temp, 'index.json'), JSON.stringify(index));
    await writeFile(join(temp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const old = `${final}.old-${randomBytes(4).toString('hex')}`;
    let replaced = false;
    try {
      await rename(final, old);
      replaced = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await rename(temp, final);
    if (replaced) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw new Error(
      `could not write dataset '${id}' to ${root}: ${describeWriteFailure(root, e)}; nothing was kept`,
    );
  }
  return manifest;
}

export async function readManifest(dataDir: string, id: string): Promise<DatasetManifest> {
  // Every reader checks the name: "../../outside" must never become a path.
  checkDatasetId(id);
  const path = join(datasetDirectory(dataDir, id), 'manifest.json');
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(await readFile(path, 'utf8')) as DatasetManifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`no dataset '${id}' in ${datasetsDir(dataDir)}`);
    throw new Error(`dataset '${id}' has an unreadable manifest (${path}): ${describeFsError(e)}`);
  }
  if (manifest.format !== MANIFEST_FORMAT || manifest.version !== MANIFEST_VERSION) {
    throw new Error(`${path} is not a version ${MANIFEST_VERSION} DEML dataset manifest`);
  }
  return manifest;
}

/** Load a packed dataset, verifying its size and checksum against the manifest. */
export async function loadPackedDataset(
  dataDir: string,
  id: string,
  options: { verify?: boolean } = {},
): Promise<{ dataset: ClassIndexedDataset; manifest: DatasetManifest }> {
  const manifest = await readManifest(dataDir, id);
  const dir = datasetDirectory(dataDir, id);
  let pixels: Buffer;
  let index: IndexFile;
  try {
    [pixels, index] = await Promise.all([
      readFile(join(dir, 'pixels.u8')),
      readFile(join(dir, 'index.json'), 'utf8').then((t) => JSON.parse(t) as IndexFile),
    ]);
  } catch (e) {
    throw new Error(`dataset '${id}' cannot be read: ${describeFsError(e)}`);
  }
  const expected = manifest.images * manifest.height * manifest.width * manifest.channels;
  if (pixels.byteLength !== expected) {
    throw new Error(
      `dataset '${id}' is damaged: pixels.u8 has ${pixels.byteLength} bytes, the manifest says ${expected}; re-import it`,
    );
  }
  const bytes = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  if (options.verify !== false && checksum(bytes) !== manifest.checksum) {
    throw new Error(`dataset '${id}' is damaged: its checksum does not match the manifest; re-import it`);
  }
  const dataset: ClassIndexedDataset = {
    name: manifest.name,
    height: manifest.height,
    width: manifest.width,
    channels: manifest.channels,
    classNames: index.classNames,
    classStart: Uint32Array.from(index.classStart),
    pixels: bytes,
    ...(index.splits ? { splits: index.splits } : {}),
    ...(index.classBases ? { classBases: index.classBases } : {}),
  };
  checkDataset(dataset);
  return { dataset, manifest };
}

/** Manifests of every complete dataset in the data directory (unfinished temp folders are skipped). */
export async function listDatasets(dataDir: string): Promise<DatasetManifest[]> {
  let names: string[];
  try {
    names = await readdir(datasetsDir(dataDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot list datasets in ${datasetsDir(dataDir)}: ${describeFsError(e)}`);
  }
  const out: DatasetManifest[] = [];
  for (const name of names.filter((n) => DATASET_NAME_PATTERN.test(n) && !n.includes('.old-')).sort()) {
    try {
      out.push(await readManifest(dataDir, name));
    } catch {
      // A folder without a valid manifest is not a dataset (e.g. a user's own files).
    }
  }
  return out;
}
