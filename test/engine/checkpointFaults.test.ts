/**
 * Checkpoints under faults: a damaged, NaN-filled or deleted checkpoint is refused by name with
 * the previous good one offered; a diverging run stops with its iteration and never overwrites
 * the last good checkpoint; a resume on other data is refused.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src-main/data/synthetic';
import {
  CheckpointError,
  DivergenceError,
  checkpointToResume,
  disposeCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  metaTrain,
  parseExperimentConfig,
  saveCheckpoint,
  selectBackend,
  tf,
} from '../../src-main/engine';
import { initAdam } from '../../src-main/engine/adam';
import {
  type CheckpointHeader,
  headerChecksum,
  readCheckpointHeader,
} from '../../src-main/engine/checkpointHeader';
import { TINY_ENGINE } from '../helpers/configs';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-ckpt-faults');
const dataset = generateSyntheticDataset({ classes: 20, imagesPerClass: 8, size: 12, seed: 2 });
const config = parseExperimentConfig({
  ...TINY_ENGINE,
  learner: 'maml',
  checkpointEvery: 2,
  checkpointsKept: 0,
});

/** A run of 6 iterations with checkpoints at 2, 4 and 6 (all kept). */
async function trained(): Promise<string> {
  const dir = tempDir();
  await metaTrain({ config, dataset, checkpointDir: dir, skipTest: true });
  return dir;
}
/** The header fields the tampering test edits. */
type Editable = {
  tensors: Array<{ offset: number }>;
  config: { innerLr: number };
  version: number;
  sha256?: string;
  headerSha256?: string;
};
const bin = (dir: string, iteration: number) => join(dir, `ckpt-${String(iteration).padStart(8, '0')}.bin`);
const json = (dir: string, iteration: number) => bin(dir, iteration).replace(/\.bin$/, '.json');

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('damaged checkpoints', () => {
  it('a changed byte is caught by the checksum, named, and the previous good checkpoint offered', async () => {
    const dir = await trained();
    expect((await listCheckpoints(dir)).map((p) => p.slice(-20))).toHaveLength(3);
    const bytes = readFileSync(bin(dir, 6));
    bytes[17] = bytes[17]! ^ 0x40;
    writeFileSync(bin(dir, 6), bytes);
    await expect(loadCheckpoint(json(dir, 6))).rejects.toThrow(
      /checkpoint ckpt-00000006\.json is damaged: its data does not match the checksum/,
    );
    await expect(checkpointToResume(dir)).rejects.toThrow(
      /ckpt-00000006\.json is damaged.*the previous good checkpoint is at iteration 4: resume from it instead \(deml resume ID --from 4/,
    );
    // Resuming from the good one works, and drops the damaged later one.
    const before = tf.memory().numTensors;
    const resumed = await metaTrain({
      config,
      dataset,
      checkpointDir: dir,
      resume: true,
      resumePoint: { from: 4 },
      skipTest: true,
    });
    expect(resumed.iterations).toBe(6);
    expect(tf.memory().numTensors).toBe(before);
    const again = await loadCheckpoint(json(dir, 6)); // rewritten, whole
    expect(again.iteration).toBe(6);
    disposeCheckpoint(again);
  });

  it('weights overwritten with NaN (checksum redone) are refused as non-finite', async () => {
    const dir = await trained();
    const values = new Float32Array(new Uint8Array(readFileSync(bin(dir, 6))).buffer);
    values.fill(Number.NaN, 0, 10);
    const bytes = new Uint8Array(values.buffer);
    writeFileSync(bin(dir, 6), bytes);
    const header = JSON.parse(readFileSync(json(dir, 6), 'utf8')) as CheckpointHeader;
    header.sha256 = createHash('sha256').update(bytes).digest('hex');
    header.headerSha256 = headerChecksum(header);
    writeFileSync(json(dir, 6), JSON.stringify(header));
    await expect(loadCheckpoint(json(dir, 6))).rejects.toThrow(
      /ckpt-00000006\.json holds non-finite parameters: .* \(10 non-finite value\(s\)\)/,
    );
    await expect(metaTrain({ config, dataset, checkpointDir: dir, resume: true })).rejects.toThrow(
      /previous good checkpoint is at iteration 4/,
    );
  });

  it('a changed setting or tensor offset in the header, a deleted checksum, an older format: each refused by name', async () => {
    const dir = await trained();
    const original = readFileSync(json(dir, 6), 'utf8');
    const edits: Array<[string, (h: Editable) => void, RegExp]> = [
      ['offset 144 → 145', (h) => (h.tensors[1]!.offset += 1), /its settings do not match the checksum/],
      ['innerLr 0.4 → 0.9', (h) => (h.config.innerLr = 0.9), /its settings do not match the checksum/],
      ['sha256 deleted', (h) => delete h.sha256, /is damaged: it has no checksum/],
      ['headerSha256 deleted', (h) => delete h.headerSha256, /is damaged: it has no checksum/],
      [
        'version 1',
        (h) => (h.version = 1),
        /was written by an older format \(version 1, whose checksum does not cover its settings\)/,
      ],
    ];
    for (const [what, edit, refusal] of edits) {
      const header = JSON.parse(original) as Editable;
      edit(header);
      writeFileSync(json(dir, 6), JSON.stringify(header));
      await expect(loadCheckpoint(json(dir, 6)), what).rejects.toThrow(refusal);
      await expect(readCheckpointHeader(json(dir, 6)), what).rejects.toThrow(refusal);
    }
    // The same header rewritten with its keys in another order is still the same header.
    const reordered = Object.fromEntries(Object.entries(JSON.parse(original) as object).reverse());
    writeFileSync(json(dir, 6), JSON.stringify(reordered));
    const loaded = await loadCheckpoint(json(dir, 6));
    expect(loaded.iteration).toBe(6);
    disposeCheckpoint(loaded);
  });

  it('a deleted newest checkpoint is not silently replaced by an older one; missing data is named', async () => {
    const dir = await trained();
    rmSync(json(dir, 6));
    rmSync(bin(dir, 6));
    await expect(checkpointToResume(dir, { expected: 6 })).rejects.toThrow(
      /the checkpoint at iteration 6 is missing from .* \(deleted\?\); the previous good checkpoint is at iteration 4/,
    );
    rmSync(bin(dir, 4));
    await expect(checkpointToResume(dir)).rejects.toThrow(
      /ckpt-00000004\.json has lost its data file.*previous good checkpoint is at iteration 2/,
    );
    await expect(checkpointToResume(dir, { from: 3 })).rejects.toThrow(
      /no checkpoint at iteration 3 .*there are: 2, 4/,
    );
    expect(await checkpointToResume(dir, { from: 0 })).toBeNull();
    const empty = tempDir();
    expect(await checkpointToResume(empty)).toBeNull();
    await expect(checkpointToResume(empty, { required: true })).rejects.toThrow(
      /no checkpoint in .* to resume from/,
    );
    await expect(checkpointToResume(empty, { expected: 4 })).rejects.toThrow(
      /missing .*no earlier checkpoint is good: resume from 0/,
    );
  });

  it('never saves non-finite parameters', async () => {
    const meta = { w: tf.tensor1d([1, Number.NaN, Number.POSITIVE_INFINITY]) };
    const state = { iteration: 3, meta, adam: initAdam(meta), rngState: [1, 2, 3, 4] };
    const dir = tempDir();
    await expect(saveCheckpoint(dir, state, { learner: 'maml', config })).rejects.toThrow(CheckpointError);
    await expect(saveCheckpoint(dir, state, { learner: 'maml', config })).rejects.toThrow(
      /not saving a checkpoint at iteration 3: the parameters are not finite: w \(2 non-finite value\(s\)\)/,
    );
    expect(await listCheckpoints(dir)).toEqual([]);
    tf.dispose([meta.w, ...Object.values(state.adam.m), ...Object.values(state.adam.v)]);
  });
});

describe('divergence', () => {
  it('a NaN loss fails the run at its iteration, and the last good checkpoint stays as it was', async () => {
    const dir = await trained();
    const good = readFileSync(bin(dir, 6));
    const huge = parseExperimentConfig({
      ...TINY_ENGINE,
      learner: 'maml',
      checkpointEvery: 2,
      checkpointsKept: 0,
      iterations: 10,
      innerLr: 1e30,
    });
    const failure = await metaTrain({
      config: huge,
      dataset,
      checkpointDir: dir,
      resume: true,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DivergenceError);
    expect((failure as DivergenceError).iteration).toBe(7);
    expect((failure as Error).message).toMatch(
      /training diverged at iteration 7: the meta-loss is NaN; the last good checkpoint \(ckpt-00000006\.json\) is kept/,
    );
    expect(readFileSync(bin(dir, 6)).equals(good)).toBe(true);
    expect((await listCheckpoints(dir)).at(-1)).toMatch(/ckpt-00000006\.json$/);
    // From scratch it diverges at once, with nothing saved.
    await expect(metaTrain({ config: huge, dataset })).rejects.toThrow(
      /diverged at iteration 1: .*no checkpoint had been saved/,
    );
  });

  it('a resume on a dataset whose contents changed under the same name is refused', async () => {
    const dir = await trained();
    const reimported = generateSyntheticDataset({ classes: 20, imagesPerClass: 8, size: 12, seed: 3 });
    const longer = parseExperimentConfig({
      ...TINY_ENGINE,
      learner: 'maml',
      checkpointEvery: 2,
      iterations: 8,
    });
    await expect(
      metaTrain({ config: longer, dataset: reimported, checkpointDir: dir, resume: true }),
    ).rejects.toThrow(
      /cannot resume: dataset 'glyphs' is not the one this run trained on \(its images or classes changed/,
    );
    // The same contents resume.
    const same = generateSyntheticDataset({ classes: 20, imagesPerClass: 8, size: 12, seed: 2 });
    const resumed = await metaTrain({
      config: longer,
      dataset: same,
      checkpointDir: dir,
      resume: true,
      skipTest: true,
    });
    expect(resumed.iterations).toBe(8);
  });

  it('a resume on another dataset than the checkpoint’s is refused', async () => {
    const dir = await trained();
    const other = parseExperimentConfig({ ...TINY_ENGINE, learner: 'maml', data: 'other', iterations: 8 });
    await expect(metaTrain({ config: other, dataset, checkpointDir: dir, resume: true })).rejects.toThrow(
      /cannot resume: the checkpoint was trained on 'glyphs', not 'other'/,
    );
  });
});
