/**
 * Episode files: fixed episodes, so that published benchmark episodes (or a colleague's) can be
 * replayed exactly. JSON:
 *
 *   {
 *     "format": "deml-episodes", "version": 1,          (optional)
 *     "ways": 5,                                         labels are 0 … ways − 1
 *     "episodes": [
 *       { "support": [ENTRY, …], "query": [ENTRY, …] },
 *       …
 *     ]
 *   }
 *
 * ENTRY names one image and its label in the episode, in one of three ways:
 *   { "label": 0, "item": 1234 }                       the dataset's image 1234 (packing order)
 *   { "label": 0, "class": "Greek/character03", "image": 4 }   image 4 of a class, by name
 *   { "label": 0, "path": "images/n0153282900000005.jpg" }     an image file, relative to the
 *        episode file; decoded as the dataset's images were imported (size, channels, invert)
 *
 * Every class of an episode needs at least one support and one query image. A file that names a
 * missing image, leaves a class empty or uses a label outside 0 … ways − 1 is refused, naming the
 * episode and the entry (episodes[2].support[7]). Shots and queries may differ between classes;
 * the file's shots (queries) are its per-class count when every class of every episode has the
 * same, and 0 ("varies") otherwise.
 */
import { createHash } from 'node:crypto';
import { constants, existsSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../contract/config';
import { IMPORT_FORMATS } from '../contract/datasets';
import { type ClassIndexedDataset, classCount, imageSize, imagesInClass } from '../engine/dataset';
import type { Episode, EpisodeShape } from '../engine/episodes';
import type { EpisodeSource } from '../engine/evaluate';
import type { DatasetManifest } from './cache';
import { type DecodeOptions, decodeImage } from './import/decode';

export const EPISODE_FILE_FORMAT = 'deml-episodes';
export const EPISODE_FILE_VERSION = 1;

type ImageRef = { item: number } | { path: string };

interface Entry {
  label: number;
  image: ImageRef;
}

export interface EpisodeFile {
  path: string;
  /** The file's name, for lists and tables. */
  name: string;
  /** SHA-256 of its bytes: two evaluations with the same hash saw the same episodes. */
  hash: string;
  shape: EpisodeShape;
  episodes: Array<{ support: Entry[]; query: Entry[] }>;
}

/** A problem with the file, as a config error on the field that named it. */
function refuse(path: string, message: string): ConfigError {
  return new ConfigError([{ field: 'episodeFile', message: `episode file ${path}: ${message}` }]);
}

/** How an imported dataset's images were decoded, so an image file becomes one of them; null if generated. */
export function decodeOptionsOf(manifest: DatasetManifest | null): DecodeOptions | null {
  if (!manifest || !(IMPORT_FORMATS as readonly string[]).includes(manifest.sourceFormat)) return null;
  return {
    height: manifest.height,
    width: manifest.width,
    channels: manifest.channels as 1 | 3,
    invert: manifest.options.invert === true,
  };
}

/** The largest episode file read: 509,017 episodes of Lake's shape fill 200 MB. */
export const MAX_EPISODE_FILE_BYTES = 64 * 2 ** 20;
/** As many episodes as `--tasks` may ask for. */
export const MAX_EPISODES = 100_000;

/**
 * The file's bytes, only if it is a regular file of at most MAX_EPISODE_FILE_BYTES. Opened without
 * blocking and checked on the open descriptor: a FIFO would block the open (and a worker thread)
 * forever, /dev/zero would read until memory ran out, and a file swapped after a check by path
 * would escape it.
 */
async function readBoundedFile(path: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw refuse(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw refuse(path, 'is not a regular file (a FIFO, device or folder is refused)');
    if (info.size > MAX_EPISODE_FILE_BYTES) {
      throw refuse(
        path,
        `is ${(info.size / 2 ** 20).toFixed(0)} MiB; an episode file may take at most ${MAX_EPISODE_FILE_BYTES / 2 ** 20} MiB`,
      );
    }
    // At most the size stat gave, plus one byte to notice a file that grew meanwhile.
    const buffer = Buffer.alloc(info.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) throw refuse(path, 'changed while it was read; try again');
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** JSON.parse's message without the snippet of the file V8 quotes: a file's contents are never echoed. */
function jsonError(e: Error): string {
  const at = /position (\d+)/.exec(e.message);
  return at ? `a syntax error at byte ${at[1]}` : 'a syntax error';
}

/**
 * Read and check an episode file against the dataset it names images of. Image paths must stay
 * inside the file's folder unless `allowPathsOutside` (a file from elsewhere could otherwise make
 * an evaluation read any image, or any file, on the machine).
 */
export async function readEpisodeFile(
  path: string,
  dataset: ClassIndexedDataset,
  decode: DecodeOptions | null,
  o: { allowPathsOutside?: boolean } = {},
): Promise<EpisodeFile> {
  const bytes = await readBoundedFile(path);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw refuse(path, `is not JSON (${jsonError(e as Error)})`);
  }
  const file = json as { format?: unknown; version?: unknown; ways?: unknown; episodes?: unknown };
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw refuse(path, 'is not a JSON object');
  if (file.format !== undefined && file.format !== EPISODE_FILE_FORMAT) {
    throw refuse(path, `format '${String(file.format)}' is not '${EPISODE_FILE_FORMAT}'`);
  }
  if (file.version !== undefined && file.version !== EPISODE_FILE_VERSION) {
    throw refuse(path, `version ${String(file.version)} is not ${EPISODE_FILE_VERSION}`);
  }
  const ways = file.ways;
  if (typeof ways !== 'number' || !Number.isInteger(ways) || ways < 2) {
    throw refuse(path, '"ways" must be an integer ≥ 2 (labels are 0 … ways − 1)');
  }
  if (!Array.isArray(file.episodes) || file.episodes.length === 0) {
    throw refuse(path, '"episodes" must be a non-empty list');
  }
  if (file.episodes.length > MAX_EPISODES) {
    throw refuse(path, `has ${file.episodes.length} episodes; at most ${MAX_EPISODES} are evaluated`);
  }
  const folder = dirname(resolve(path));
  const images = classStartTotal(dataset);
  const classByName = new Map(dataset.classNames.map((n, i) => [n, i]));

  const entry = (raw: unknown, at: string): Entry => {
    const e = raw as { label?: unknown; item?: unknown; class?: unknown; image?: unknown; path?: unknown };
    if (typeof raw !== 'object' || raw === null) throw refuse(path, `${at}: not an object`);
    const label = e.label;
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= ways) {
      throw refuse(
        path,
        `${at}: label ${JSON.stringify(label)} is outside 0 … ${ways - 1} (the file's ways: ${ways})`,
      );
    }
    const named = ['item', 'class', 'path'].filter((k) => k in e);
    if (named.length !== 1) {
      throw refuse(path, `${at}: name the image by exactly one of "item", "class" with "image", or "path"`);
    }
    if ('item' in e) {
      const item = e.item;
      if (typeof item !== 'number' || !Number.isInteger(item) || item < 0 || item >= images) {
        throw refuse(
          path,
          `${at}: item ${JSON.stringify(item)} is not an image of dataset '${dataset.name}' (items 0 … ${images - 1})`,
        );
      }
      return { label, image: { item } };
    }
    if ('class' in e) {
      const c = typeof e.class === 'string' ? classByName.get(e.class) : undefined;
      if (c === undefined) {
        throw refuse(
          path,
          `${at}: class ${JSON.stringify(e.class)} is not a class of dataset '${dataset.name}'`,
        );
      }
      const n = imagesInClass(dataset, c);
      const image = e.image;
      if (typeof image !== 'number' || !Number.isInteger(image) || image < 0 || image >= n) {
        throw refuse(
          path,
          `${at}: class '${dataset.classNames[c]}' has no image ${JSON.stringify(image)} (it has images 0 … ${n - 1})`,
        );
      }
      return { label, image: { item: dataset.classStart[c]! + image } };
    }
    if (typeof e.path !== 'string' || e.path === '') throw refuse(path, `${at}: "path" must be a file name`);
    if (!decode) {
      throw refuse(
        path,
        `${at}: dataset '${dataset.name}' was generated, not imported from files: name its images by "item" or "class"`,
      );
    }
    const file = resolve(folder, e.path);
    const inside = relative(folder, file);
    if (!o.allowPathsOutside && (inside.split(sep)[0] === '..' || isAbsolute(inside))) {
      throw refuse(
        path,
        `${at}: image ${e.path} is outside the episode file's folder (${folder}); keep the images beside the file`,
      );
    }
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw refuse(path, `${at}: image ${e.path} does not exist (looked for ${file})`);
    }
    return { label, image: { path: file } };
  };

  const episodes = file.episodes.map((raw, i) => {
    const ep = raw as { support?: unknown; query?: unknown };
    const at = `episodes[${i}]`;
    if (typeof raw !== 'object' || raw === null || !Array.isArray(ep.support) || !Array.isArray(ep.query)) {
      throw refuse(path, `${at}: needs "support" and "query" lists`);
    }
    const support = ep.support.map((x, j) => entry(x, `${at}.support[${j}]`));
    const query = ep.query.map((x, j) => entry(x, `${at}.query[${j}]`));
    for (let c = 0; c < ways; c++) {
      if (!support.some((s) => s.label === c)) throw refuse(path, `${at}: class ${c} has no support image`);
      if (!query.some((q) => q.label === c)) throw refuse(path, `${at}: class ${c} has no query image`);
    }
    return { support, query };
  });
  return {
    path,
    name: basename(path),
    hash: createHash('sha256').update(bytes).digest('hex'),
    shape: {
      ways,
      shots: uniformCount(episodes, 'support', ways),
      queries: uniformCount(episodes, 'query', ways),
    },
    episodes,
  };
}

/** The file's episodes, made a batch at a time (image files decoded then), in the file's order. */
export function episodeFileSource(
  file: EpisodeFile,
  dataset: ClassIndexedDataset,
  decode: DecodeOptions | null,
): EpisodeSource & { shape: EpisodeShape } {
  const size = imageSize(dataset);
  const pixelsOf = async (ref: ImageRef): Promise<ArrayLike<number>> => {
    if ('item' in ref) return dataset.pixels.subarray(ref.item * size, (ref.item + 1) * size);
    try {
      return await decodeImage(await readFile(ref.path), decode!);
    } catch (e) {
      throw refuse(file.path, `image ${ref.path} cannot be decoded: ${(e as Error).message}`);
    }
  };
  const tensorOf = async (entries: Entry[]) => {
    const images = new Float32Array(entries.length * size);
    const labels = new Int32Array(entries.length);
    for (const [k, e] of entries.entries()) {
      const px = await pixelsOf(e.image);
      for (let p = 0; p < size; p++) images[k * size + p] = px[p]! / 255;
      labels[k] = e.label;
    }
    return { images, labels };
  };
  return {
    count: file.episodes.length,
    shape: file.shape,
    take: async (start, n) => {
      const out: Episode[] = [];
      for (const ep of file.episodes.slice(start, start + n)) {
        const support = await tensorOf(ep.support);
        const query = await tensorOf(ep.query);
        out.push({
          ...file.shape,
          // Given episodes name images, not classes: there is no dataset class per label.
          classes: [],
          supportImages: support.images,
          supportLabels: support.labels,
          queryImages: query.images,
          queryLabels: query.labels,
        });
      }
      return out;
    },
  };
}

function classStartTotal(dataset: ClassIndexedDataset): number {
  return dataset.classStart[classCount(dataset)]!;
}

/** Images per class of `part` when every class of every episode has the same number, else 0. */
function uniformCount(
  episodes: Array<{ support: Entry[]; query: Entry[] }>,
  part: 'support' | 'query',
  ways: number,
): number {
  const counts = new Set<number>();
  for (const ep of episodes) {
    for (let c = 0; c < ways; c++) counts.add(ep[part].filter((e) => e.label === c).length);
  }
  return counts.size === 1 ? [...counts][0]! : 0;
}
