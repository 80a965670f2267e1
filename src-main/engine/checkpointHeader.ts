/**
 * A checkpoint's header: what it holds and what trained it, readable without loading its tensors
 * (or TensorFlow.js), so the service can list checkpoints and check an evaluation's request.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentConfig } from '../contract/config';
import type { ImageShape } from './nn/shapes';

export const CHECKPOINT_FORMAT = 'deml-checkpoint';
export const CHECKPOINT_VERSION = 1;

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
  /** SHA-256 of the .bin file (hex), verified on load; absent in checkpoints from before it. */
  sha256?: string;
  /** The meta-training dataset's contents (datasetFingerprint): a resume on changed data is refused. */
  datasetFingerprint?: string;
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

/** The header of a checkpoint, checked to be one of ours. */
export async function readCheckpointHeader(path: string): Promise<CheckpointHeader> {
  let header: CheckpointHeader;
  try {
    header = JSON.parse(await readFile(path, 'utf8')) as CheckpointHeader;
  } catch (e) {
    throw new Error(`checkpoint ${path} is unreadable: ${(e as Error).message}`);
  }
  if (header.format !== CHECKPOINT_FORMAT || header.version !== CHECKPOINT_VERSION) {
    throw new Error(`${path} is not a version ${CHECKPOINT_VERSION} DEML checkpoint`);
  }
  return header;
}
