/**
 * Where images come from: folders on disk or zip archives read in place (no extraction). Each
 * source yields classes of image items; an item reads its bytes on demand.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import yauzl from 'yauzl';
import { describeFsError } from '../errors';
import { DEFAULT_MAX_INPUT_PIXELS, isImageFile, unsupportedImage } from './decode';

export interface ImageItem {
  /** For reports: a file path, or "archive.zip!entry/path.png". */
  path: string;
  read(): Promise<Buffer>;
}

export interface ScannedClass {
  name: string;
  items: ImageItem[];
}

export interface Scan {
  classes: ScannedClass[];
  skippedNonImages: number;
  /** Class folders that held no image file at all. */
  emptyClasses: string[];
  /** Hidden files and folders, symlinks not followed (out of the source or of their class folder), unsupported formats. */
  skippedHidden?: number;
  duplicates?: string[];
  skippedLinks?: string[];
  unsupported?: Array<{ path: string; reason: string }>;
}

/** Input a user can correct (a missing path, a bad layout): refused as invalid, not internal. */
export class ImportInputError extends Error {
  override name = 'ImportInputError';
}

export async function assertReadable(path: string): Promise<'file' | 'dir'> {
  let s;
  try {
    s = await stat(path);
  } catch (e) {
    throw new ImportInputError(`cannot read ${path}: ${describeFsError(e)}`);
  }
  if (s.isDirectory()) return 'dir';
  // A FIFO named x.zip would block the import's first read forever (and signals with it).
  if (!s.isFile())
    throw new ImportInputError(`${path} is not a regular file or folder (a pipe, socket or device)`);
  return 'file';
}

/** What a walk left out, for the import report. */
export interface WalkSkips {
  hidden: number;
  links: string[];
}

/**
 * Every file under `dir`, as paths relative to it, in sorted order. Hidden entries are skipped and
 * counted; pipes, sockets and devices are never opened. Symbolic links are followed while they
 * stay inside `within` (the source), and listed when they lead outside it. A link to a folder must
 * also stay inside `dir` (the class folder walked): `ln -s .. c0/up` would otherwise bring every
 * sibling class's images into c0 (cross-class contamination), and is listed instead.
 */
export async function walkFiles(
  dir: string,
  skips: WalkSkips = { hidden: 0, links: [] },
  within = dir,
): Promise<string[]> {
  const out: string[] = [];
  const root = await realpath(within).catch(() => within);
  const top = await realpath(dir).catch(() => dir);
  const seen = new Set<string>();
  const visit = async (d: string): Promise<void> => {
    const real = await realpath(d).catch(() => d);
    if (seen.has(real)) return; // a link loop
    seen.add(real);
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      throw new ImportInputError(`cannot read ${d}: ${describeFsError(e)}`);
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(d, entry.name);
      if (entry.name.startsWith('.')) {
        skips.hidden++;
        continue;
      }
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch(() => null);
        if (!target || !isInside(target, root)) {
          skips.links.push(full);
          continue;
        }
        const s = await stat(target);
        isDir = s.isDirectory();
        isFile = s.isFile();
        if (isDir && !isInside(target, top)) {
          skips.links.push(full);
          continue;
        }
      }
      if (isDir) await visit(full);
      else if (isFile) out.push(relative(dir, full));
    }
  };
  await visit(dir);
  return out;
}

/** Whether `path` is `folder` or lies under it (both real paths). */
function isInside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder + sep);
}

/**
 * Sub-folders exactly `depth` levels below `dir` (depth 1: its children). A link to a folder is no
 * class folder (it could name another class's images a second time): it is listed in `links`.
 */
async function foldersAtDepth(dir: string, depth: number, links: string[]): Promise<string[]> {
  let level = [''];
  for (let i = 0; i < depth; i++) {
    const next: string[] = [];
    for (const rel of level) {
      let entries;
      try {
        entries = await readdir(join(dir, rel), { withFileTypes: true });
      } catch (e) {
        throw new ImportInputError(`cannot read ${join(dir, rel)}: ${describeFsError(e)}`);
      }
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        if (e.name.startsWith('.')) continue;
        if (e.isDirectory()) next.push(rel ? join(rel, e.name) : e.name);
        else if (e.isSymbolicLink()) {
          const full = join(dir, rel, e.name);
          if ((await stat(full).catch(() => null))?.isDirectory()) links.push(full);
        }
      }
    }
    level = next;
  }
  return level;
}

/**
 * An image folder: one sub-folder per class at `depth` (1: root/<class>/…), images anywhere below
 * a class folder. The class name is the folder path relative to the root.
 */
export async function scanFolder(root: string, depth = 1): Promise<Scan> {
  if ((await assertReadable(root)) !== 'dir') throw new ImportInputError(`${root} is not a folder`);
  const skips: WalkSkips = { hidden: 0, links: [] };
  const scan: Scan = { classes: [], skippedNonImages: 0, emptyClasses: [], unsupported: [] };
  const classDirs = await foldersAtDepth(root, depth, skips.links);
  if (classDirs.length === 0) throw new ImportInputError(`${root} has no class folders at depth ${depth}`);
  for (const rel of classDirs) {
    const files = await walkFiles(join(root, rel), skips, root);
    const images = files.filter(isImageFile);
    for (const f of files) {
      const reason = unsupportedImage(f);
      if (reason) scan.unsupported!.push({ path: join(root, rel, f), reason });
    }
    scan.skippedNonImages += files.length - images.length - files.filter((f) => unsupportedImage(f)).length;
    const name = rel.split(sep).join('/');
    if (images.length === 0) scan.emptyClasses.push(name);
    else {
      scan.classes.push({
        name,
        items: images.map((f) => {
          const path = join(root, rel, f);
          return { path, read: () => readFile(path) };
        }),
      });
    }
  }
  scan.skippedHidden = skips.hidden;
  scan.skippedLinks = skips.links;
  return scan;
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, zip) =>
      err || !zip ? reject(err ?? new Error('no zip')) : resolve(zip),
    ),
  );
}

/** A zip entry name that would land outside the folder it is extracted into. */
export function escapesRoot(name: string): boolean {
  const normalized = name.replace(/\\/g, '/');
  return normalized.startsWith('/') || /^[a-zA-Z]:/.test(normalized) || normalized.split('/').includes('..');
}

export interface ZipListing {
  zip: yauzl.ZipFile;
  entries: yauzl.Entry[];
  /** Entry names the archive holds more than once (the first is imported, the others reported). */
  duplicates: string[];
  close(): void;
}

/**
 * The most bytes one image file may inflate to: 4 bytes per pixel at the decoder's 100-megapixel
 * limit. A larger entry (a zip bomb) is refused from its declared size, before it is read, and
 * yauzl's size validation stops one that inflates past what it declared.
 */
export const MAX_IMAGE_FILE_BYTES = 4 * DEFAULT_MAX_INPUT_PIXELS;

/**
 * List a zip's file entries. An archive with an entry escaping its root (../, absolute paths) is
 * refused whole: it is malformed or malicious, and nothing from it is imported.
 */
export async function listZip(path: string): Promise<ZipListing> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(path);
  } catch (e) {
    const msg = (e as Error).message;
    throw new ImportInputError(
      /invalid relative path|absolute path/.test(msg)
        ? `refusing ${path}: it has an entry whose path escapes the archive (${msg})`
        : `cannot read ${path} as a zip archive: ${describeFsError(e)}`,
    );
  }
  const entries: yauzl.Entry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve());
    zip.on('error', (e: Error) => {
      zip.close();
      reject(
        new ImportInputError(
          /invalid relative path|absolute path/.test(e.message)
            ? `refusing ${path}: it has an entry whose path escapes the archive (${e.message})`
            : `${path} is a damaged zip archive: ${e.message}`,
        ),
      );
    });
    zip.readEntry();
  });
  const bad = entries.find((e) => escapesRoot(e.fileName));
  if (bad) {
    zip.close();
    throw new ImportInputError(`refusing ${path}: entry '${bad.fileName}' escapes the archive's root`);
  }
  const files = entries.filter((e) => !e.fileName.endsWith('/'));
  const seen = new Set<string>();
  const unique: yauzl.Entry[] = [];
  const duplicates: string[] = [];
  for (const e of files) {
    if (seen.has(e.fileName)) duplicates.push(`${basename(path)}!${e.fileName}`);
    else {
      seen.add(e.fileName);
      unique.push(e);
    }
  }
  // A password-protected archive: every entry would fail to read, and the import would end with
  // "no image could be decoded". Said for what it is instead.
  if (unique.length > 0 && unique.every((e) => e.isEncrypted())) {
    zip.close();
    throw new ImportInputError(
      `${path} is encrypted (password-protected): unzip it with its password first, then import the folder`,
    );
  }
  return { zip, entries: unique, duplicates, close: () => zip.close() };
}

export function zipItem(zipPath: string, zip: yauzl.ZipFile, entry: yauzl.Entry): ImageItem {
  return {
    path: `${basename(zipPath)}!${entry.fileName}`,
    read: () =>
      new Promise<Buffer>((resolve, reject) => {
        if (entry.isEncrypted()) {
          return reject(new Error('the entry is encrypted (password-protected); not read'));
        }
        if (entry.uncompressedSize > MAX_IMAGE_FILE_BYTES) {
          return reject(
            new Error(
              `the entry declares ${(entry.uncompressedSize / 2 ** 20).toFixed(0)} MiB uncompressed, above the ` +
                `${Math.round(MAX_IMAGE_FILE_BYTES / 2 ** 20)} MiB an image may take; not read`,
            ),
          );
        }
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(err ?? new Error('unreadable entry'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => resolve(Buffer.concat(chunks)));
        });
      }),
  };
}
