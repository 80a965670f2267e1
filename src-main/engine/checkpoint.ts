/**
 * Checkpoints: every meta-parameter (θ and Meta-SGD's rates), Adam's moments and step, the
 * episode generator's state and the iteration, so a resumed run continues exactly where the
 * saved one stopped. Two files per checkpoint, written atomically (temp file + rename); the JSON
 * header is renamed last and marks the pair complete, so a crash mid-write never leaves a
 * checkpoint that loads wrong.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentConfig } from '../contract/config';
import type { AdamState } from './adam';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointHeader,
  type TensorEntry,
  listCheckpoints,
  readCheckpointHeader,
} from './checkpointHeader';
import { type Params, disposeParams, sizeOf } from './nn/params';
import type { ImageShape } from './nn/shapes';
import { tf } from './tf';

export interface TrainingState {
  iteration: number;
  meta: Params;
  adam: AdamState;
  rngState: number[];
  externalRngState?: number[];
}

export interface LoadedCheckpoint extends TrainingState {
  header: CheckpointHeader;
  path: string;
}

/** Free a loaded checkpoint's tensors: its parameters and Adam's moments. */
export function disposeCheckpoint(c: TrainingState): void {
  disposeParams(c.meta);
  disposeParams(c.adam.m);
  disposeParams(c.adam.v);
}

function fileStem(iteration: number): string {
  return `ckpt-${String(iteration).padStart(8, '0')}`;
}

export async function saveCheckpoint(
  dir: string,
  state: TrainingState,
  meta: { learner: string; config: ExperimentConfig; image?: ImageShape },
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const groups: Array<[TensorEntry['group'], Params]> = [
    ['meta', state.meta],
    ['adam.m', state.adam.m],
    ['adam.v', state.adam.v],
  ];
  const entries: TensorEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [group, params] of groups) {
    for (const [name, t] of Object.entries(params)) {
      const values = (await t.data()) as Float32Array;
      entries.push({ group, name, shape: [...t.shape], offset });
      chunks.push(values);
      offset += values.length;
    }
  }
  const all = new Float32Array(offset);
  chunks.reduce((at, c) => (all.set(c, at), at + c.length), 0);
  const header: CheckpointHeader = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    iteration: state.iteration,
    learner: meta.learner,
    config: meta.config,
    ...(meta.image
      ? { image: { height: meta.image.height, width: meta.image.width, channels: meta.image.channels } }
      : {}),
    adamStep: state.adam.step,
    rngState: [...state.rngState],
    ...(state.externalRngState ? { externalRngState: [...state.externalRngState] } : {}),
    tensors: entries,
    savedAt: new Date().toISOString(),
  };
  const stem = join(dir, fileStem(state.iteration));
  await writeFile(`${stem}.bin.tmp`, new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
  await rename(`${stem}.bin.tmp`, `${stem}.bin`);
  await writeFile(`${stem}.json.tmp`, JSON.stringify(header, null, 1));
  await rename(`${stem}.json.tmp`, `${stem}.json`);
  return `${stem}.json`;
}

export async function loadCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const header = await readCheckpointHeader(path);
  const binPath = path.replace(/\.json$/, '.bin');
  const bytes = await readFile(binPath);
  const expected = header.tensors.reduce((n, e) => n + sizeOf(e.shape), 0);
  if (bytes.byteLength !== expected * 4) {
    throw new Error(`checkpoint data ${binPath} is truncated (${bytes.byteLength} of ${expected * 4} bytes)`);
  }
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
  const values = new Float32Array(expected);
  new Uint8Array(values.buffer).set(bytes);
  const groups: Record<TensorEntry['group'], Params> = { meta: {}, 'adam.m': {}, 'adam.v': {} };
  for (const e of header.tensors) {
    groups[e.group][e.name] = tf.tensor(values.subarray(e.offset, e.offset + sizeOf(e.shape)), e.shape);
  }
  return {
    header,
    path,
    iteration: header.iteration,
    meta: groups.meta,
    adam: { step: header.adamStep, m: groups['adam.m'], v: groups['adam.v'] },
    rngState: header.rngState,
    ...(header.externalRngState ? { externalRngState: header.externalRngState } : {}),
  };
}

/** The newest complete checkpoint in `dir`, or null when there is none. */
export async function loadLatestCheckpoint(dir: string): Promise<LoadedCheckpoint | null> {
  const all = await listCheckpoints(dir);
  const latest = all.at(-1);
  return latest ? loadCheckpoint(latest) : null;
}

/** Keep the newest `keep` checkpoints, delete the rest. */
export async function pruneCheckpoints(dir: string, keep: number): Promise<void> {
  const all = await listCheckpoints(dir);
  for (const path of all.slice(0, Math.max(0, all.length - keep))) {
    await rm(path, { force: true });
    await rm(path.replace(/\.json$/, '.bin'), { force: true });
  }
}
