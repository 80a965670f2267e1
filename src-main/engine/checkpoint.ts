/**
 * Checkpoints: every meta-parameter (θ and Meta-SGD's rates), Adam's moments and step, the
 * episode generator's state and the iteration, so a resumed run continues exactly where the
 * saved one stopped. Two files per checkpoint, written atomically (temp file + rename); the JSON
 * header is renamed last and marks the pair complete, so a crash mid-write never leaves a
 * checkpoint that loads wrong. The header carries the data's SHA-256, and a checkpoint is only
 * written, and only loaded, with finite parameters: a damaged or diverged one is refused by name.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ExperimentConfig } from '../contract/config';
import type { AdamState } from './adam';
import type { ClassIndexedDataset } from './dataset';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointHeader,
  type TensorEntry,
  listCheckpoints,
  headerChecksum,
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

/** A checkpoint that cannot be used as it is: missing, damaged, or holding non-finite values. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** The first tensor of `group` holding NaN or ±Infinity, with how many such values, or null. */
function nonFinite(values: Float32Array, entries: readonly TensorEntry[]): string | null {
  for (const e of entries) {
    let bad = 0;
    const end = e.offset + sizeOf(e.shape);
    for (let i = e.offset; i < end; i++) if (!Number.isFinite(values[i]!)) bad++;
    if (bad > 0) return `${e.group === 'meta' ? '' : `${e.group} of `}${e.name} (${bad} non-finite value(s))`;
  }
  return null;
}

/**
 * What a dataset holds, as one hash: its images, their classes and the class names. A dataset
 * imported again under the same name, with other images, gets another fingerprint.
 */
export function datasetFingerprint(d: ClassIndexedDataset): string {
  return createHash('sha256')
    .update(`${d.height}x${d.width}x${d.channels}\n${d.classNames.join('\n')}\n`)
    .update(new Uint8Array(d.classStart.buffer, d.classStart.byteOffset, d.classStart.byteLength))
    .update(d.pixels)
    .digest('hex');
}

function fileStem(iteration: number): string {
  return `ckpt-${String(iteration).padStart(8, '0')}`;
}

export async function saveCheckpoint(
  dir: string,
  state: TrainingState,
  meta: { learner: string; config: ExperimentConfig; image?: ImageShape; datasetFingerprint?: string },
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
  // A diverged state is never saved over the last good one.
  const bad = nonFinite(all, entries);
  if (bad) {
    throw new CheckpointError(
      `not saving a checkpoint at iteration ${state.iteration}: the parameters are not finite: ${bad}`,
    );
  }
  const bytes = new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
  const fields: Omit<CheckpointHeader, 'headerSha256'> = {
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
    sha256: createHash('sha256').update(bytes).digest('hex'),
    ...(meta.datasetFingerprint ? { datasetFingerprint: meta.datasetFingerprint } : {}),
  };
  const header: CheckpointHeader = { ...fields, headerSha256: headerChecksum(fields) };
  const stem = join(dir, fileStem(state.iteration));
  await writeFile(`${stem}.bin.tmp`, bytes);
  await rename(`${stem}.bin.tmp`, `${stem}.bin`);
  await writeFile(`${stem}.json.tmp`, JSON.stringify(header, null, 1));
  await rename(`${stem}.json.tmp`, `${stem}.json`);
  return `${stem}.json`;
}

/** A checkpoint's values, checked: complete, matching its checksum, finite. Throws CheckpointError. */
async function readCheckpointData(path: string): Promise<{ header: CheckpointHeader; values: Float32Array }> {
  let header: CheckpointHeader;
  try {
    header = await readCheckpointHeader(path);
  } catch (e) {
    throw new CheckpointError((e as Error).message);
  }
  const binPath = path.replace(/\.json$/, '.bin');
  let bytes: Buffer;
  try {
    bytes = await readFile(binPath);
  } catch (e) {
    throw new CheckpointError(
      `checkpoint ${basename(path)} has lost its data file (${(e as Error).message})`,
    );
  }
  const expected = header.tensors.reduce((n, e) => n + sizeOf(e.shape), 0);
  if (bytes.byteLength !== expected * 4) {
    throw new CheckpointError(
      `checkpoint ${basename(path)} is damaged: its data is truncated (${bytes.byteLength} of ${expected * 4} bytes)`,
    );
  }
  if (createHash('sha256').update(bytes).digest('hex') !== header.sha256) {
    throw new CheckpointError(
      `checkpoint ${basename(path)} is damaged: its data does not match the checksum it was saved with`,
    );
  }
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
  const values = new Float32Array(expected);
  new Uint8Array(values.buffer).set(bytes);
  const bad = nonFinite(values, header.tensors);
  if (bad) throw new CheckpointError(`checkpoint ${basename(path)} holds non-finite parameters: ${bad}`);
  return { header, values };
}

export async function loadCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const { header, values } = await readCheckpointData(path);
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

const iterationOf = (path: string) => Number(/ckpt-(\d+)\.json$/.exec(path)![1]);

export interface ResumePoint {
  /** Resume from the checkpoint at this iteration; 0 starts from scratch. Default: the newest. */
  from?: number;
  /**
   * The newest iteration the run's records say was checkpointed: a newest file older than it
   * was deleted, and resuming from what is left would silently lose training.
   */
  expected?: number | null;
  /** Refuse a folder with no checkpoint (an explicit --resume) rather than start from scratch. */
  required?: boolean;
}

/**
 * The checkpoint a resume starts from, checked; null to start from scratch. Refuses, naming the
 * file, a damaged newest checkpoint or one missing against the run's records, and says which
 * earlier checkpoint is good to resume from instead.
 */
export async function checkpointToResume(dir: string, o: ResumePoint = {}): Promise<LoadedCheckpoint | null> {
  if (o.from === 0) return null;
  const all = await listCheckpoints(dir);
  const offer = async (before: number): Promise<string> => {
    for (const path of [...all].reverse()) {
      if (iterationOf(path) >= before) continue;
      try {
        await readCheckpointData(path);
        return `the previous good checkpoint is at iteration ${iterationOf(path)}: resume from it instead (deml resume ID --from ${iterationOf(path)}, or choose it on the run page)`;
      } catch {
        // damaged too: look further back
      }
    }
    return 'no earlier checkpoint is good: resume from 0 to start again from scratch';
  };
  if (o.from != null) {
    const path = all.find((p) => iterationOf(p) === o.from);
    if (!path) {
      const there = all.map(iterationOf);
      throw new CheckpointError(
        `no checkpoint at iteration ${o.from} in ${dir}${there.length ? `; there are: ${there.join(', ')}` : ''}`,
      );
    }
    return loadCheckpoint(path);
  }
  const newest = all.at(-1);
  if (o.expected != null && o.expected > 0 && (!newest || iterationOf(newest) < o.expected)) {
    throw new CheckpointError(
      `the checkpoint at iteration ${o.expected} is missing from ${dir} (deleted?); ${await offer(o.expected)}`,
    );
  }
  if (!newest) {
    if (o.required) throw new CheckpointError(`no checkpoint in ${dir} to resume from`);
    return null;
  }
  try {
    return await loadCheckpoint(newest);
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    throw new CheckpointError(`${e.message}; ${await offer(iterationOf(newest))}`);
  }
}

/** Remove the checkpoints after `iteration` (a resume from an older one supersedes them). */
export async function dropCheckpointsAfter(dir: string, iteration: number): Promise<void> {
  for (const path of await listCheckpoints(dir)) {
    if (iterationOf(path) <= iteration) continue;
    await rm(path, { force: true });
    await rm(path.replace(/\.json$/, '.bin'), { force: true });
  }
}

/** Keep the newest `keep` checkpoints, delete the rest. */
export async function pruneCheckpoints(dir: string, keep: number): Promise<void> {
  const all = await listCheckpoints(dir);
  for (const path of all.slice(0, Math.max(0, all.length - keep))) {
    await rm(path, { force: true });
    await rm(path.replace(/\.json$/, '.bin'), { force: true });
  }
}
