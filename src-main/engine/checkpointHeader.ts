/**
 * A checkpoint's header: what it holds and what trained it, readable without loading its tensors
 * (or TensorFlow.js), so the service can list checkpoints and check an evaluation's request.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentConfig } from '../contract/config';
import type { ImageShape } from './nn/shapes';

export const CHECKPOINT_FORMAT = 'deml-checkpoint';
/**
 * 2: the header is covered by a checksum of its own (headerSha256), which covers the data's. In
 * version 1 only the data was: a changed tensor offset or inner learning rate in the .json was
 * accepted and changed the accuracy, and deleting `sha256` turned the check off.
 */
export const CHECKPOINT_VERSION = 2;

export interface TensorEntry {
  group: 'meta' | 'adam.m' | 'adam.v';
  name: string;
  shape: number[];
  /** Offset in float32 elements into the .bin file. */
  offset: number;
}

export interface CheckpointHeader {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Iterations completed when saved. */
  iteration: number;
  learner: string;
  config: ExperimentConfig;
  /** The size and channels of the images it was trained on (absent in older checkpoints). */
  image?: ImageShape;
  adamStep: number;
  /** Episode generator state (sfc32 words). */
  rngState: number[];
  /** External batch generator state (concept space). */
  externalRngState?: number[];
  tensors: TensorEntry[];
  savedAt: string;
  /** SHA-256 of the .bin file (hex), verified on load. */
  sha256: string;
  /** The meta-training dataset's contents (datasetFingerprint): a resume on changed data is refused. */
  datasetFingerprint?: string;
  /** SHA-256 of every other field (headerChecksum), so no field can change unnoticed. */
  headerSha256: string;
}

/** JSON with every object's keys sorted: the same text for the same header, whatever the order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  // As JSON.stringify writes it: undefined and non-finite numbers read back as null.
  return JSON.stringify(value) ?? 'null';
}

/** The checksum of a header's fields, headerSha256 aside (it covers the data's sha256 too). */
export function headerChecksum(header: Omit<CheckpointHeader, 'headerSha256'>): string {
  const { headerSha256: _omitted, ...fields } = header as CheckpointHeader;
  return createHash('sha256').update(canonical(fields)).digest('hex');
}

/** Checkpoint header files in `dir`, newest iteration last. */
export async function listCheckpoints(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((n) => /^ckpt-\d+\.json$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/** The header of a checkpoint, checked to be one of ours and unchanged since it was saved. */
export async function readCheckpointHeader(path: string): Promise<CheckpointHeader> {
  let header: CheckpointHeader;
  try {
    header = JSON.parse(await readFile(path, 'utf8')) as CheckpointHeader;
  } catch (e) {
    throw new Error(`checkpoint ${path} is unreadable: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || header.format !== CHECKPOINT_FORMAT) {
    throw new Error(`${path} is not a DEML checkpoint`);
  }
  if (header.version === 1) {
    throw new Error(
      `checkpoint ${path} was written by an older format (version 1, whose checksum does not cover its ` +
        `settings); it cannot be trusted: train the run again to get version ${CHECKPOINT_VERSION} checkpoints`,
    );
  }
  if (header.version !== CHECKPOINT_VERSION) {
    throw new Error(
      `${path} is not a version ${CHECKPOINT_VERSION} DEML checkpoint (version ${String(header.version)})`,
    );
  }
  if (typeof header.sha256 !== 'string' || typeof header.headerSha256 !== 'string') {
    throw new Error(`checkpoint ${path} is damaged: it has no checksum`);
  }
  if (headerChecksum(header) !== header.headerSha256) {
    throw new Error(
      `checkpoint ${path} is damaged: its settings do not match the checksum they were saved with`,
    );
  }
  return header;
}
