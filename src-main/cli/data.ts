/** `deml data`: import datasets into the data directory, list and describe them. */
import { IMPORT_FORMATS, type ImportFormat } from '../contract/datasets';
import { listDatasets, loadPackedDataset, readManifest } from '../data/cache';
import { decodeOptionsOf, readEpisodeFile } from '../data/episodeFile';
import { manifestOfReference, resolveDataset } from '../data/resolve';
import { classSplitSummary, describeClassSplit } from '../engine/episodes';
import { configFromFlags } from './args';
import { ensureGlyphs } from '../data/embedded';
import { importDataset } from '../data/import/importer';
import { defineCommand, defineGroup } from './command';
import { trainFlag } from './trainFlags';
import { DATA_DIR_FLAG, UsageError, dataDirOf, intFlag } from './usage';

const out = (s: string) => process.stdout.write(`${s}\n`);

const DATA_LIST = defineCommand({
  name: 'list',
  summary: 'the datasets in the data directory (the built-in glyphs among them)',
  options: {
    json: { type: 'boolean', help: 'print them as JSON' },
    'data-dir': DATA_DIR_FLAG,
  },
  run: async (values) => {
    const dataDir = dataDirOf(values);
    await ensureGlyphs(dataDir);
    const all = await listDatasets(dataDir);
    if (values.json) out(JSON.stringify(all));
    else
      for (const m of all) {
        out(
          `${m.id.padEnd(24)} ${String(m.classes).padStart(6)} classes ${String(m.images).padStart(8)} images  ${m.height}×${m.width}×${m.channels}  ${m.sourceFormat}`,
        );
      }
    return 0;
  },
});

const DATA_CHECK_EPISODES = defineCommand({
  name: 'check-episodes',
  summary:
    'check an episode file against a dataset (every image found, every label in range, each class ' +
    'with support and query images) without a trained model',
  options: {
    data: { type: 'string', value: 'NAME', help: 'the dataset the episodes are drawn from' },
    'data-dir': DATA_DIR_FLAG,
  },
  args: [{ name: 'FILE.json', help: 'the episode file', required: true }],
  run: async (values, [file]) => {
    const data = values.data;
    if (!file || !data)
      throw new UsageError('--data NAME is required: the dataset the episodes are drawn from');
    const dataDir = dataDirOf(values);
    const dataset = await resolveDataset(data, dataDir);
    const decode = decodeOptionsOf(await manifestOfReference(dataDir, data));
    const checked = await readEpisodeFile(file, dataset, decode);
    const { ways, shots, queries } = checked.shape;
    const per = (n: number, what: string) => (n > 0 ? `${n} ${what} per class` : `${what} varying by class`);
    out(
      `${checked.name}: ${checked.episodes.length} episodes of ${ways}-way tasks, ${per(shots, 'support')}, ` +
        `${per(queries, 'query')}, on dataset '${data}': valid (sha256 ${checked.hash.slice(0, 12)}…)`,
    );
    return 0;
  },
});

const DATA_INFO = defineCommand({
  name: 'info',
  summary: 'what a dataset holds, and the class split training will use on it',
  details:
    'The fractions and the seed apply where the dataset stores no split of its own, as they do in training.',
  options: {
    'split-fractions': trainFlag('split-fractions', {
      type: 'string',
      value: 'TRAIN,VAL,TEST',
      help: 'the classes for training, validation and test, e.g. 0.6,0.2,0.2',
    }),
    'eval-seed': trainFlag('eval-seed', {
      type: 'string',
      value: 'N',
      help: 'the seed of the class split',
    }),
    json: { type: 'boolean', help: 'print it as JSON' },
    'data-dir': DATA_DIR_FLAG,
  },
  args: [{ name: 'NAME', help: 'the dataset', required: true }],
  run: async (values, [name]) => {
    if (!name) throw new UsageError('deml data info NAME');
    const dataDir = dataDirOf(values);
    const manifest = await readManifest(dataDir, name);
    // The split as training will take it: the same config fields, checked the same way.
    const config = configFromFlags(
      {},
      { data: name, 'split-fractions': values['split-fractions'], 'eval-seed': values['eval-seed'] },
    );
    const { dataset } = await loadPackedDataset(dataDir, name, { verify: false });
    const split = classSplitSummary(dataset, config.split, config.evalSeed);
    if (values.json) out(JSON.stringify({ ...manifest, split }, null, 2));
    else {
      const imported = (IMPORT_FORMATS as readonly string[]).includes(manifest.sourceFormat);
      out(
        `${manifest.id}: ${imported ? `imported from ${manifest.source} (${manifest.sourceFormat})` : `generated (${manifest.name})`}`,
      );
      out(
        `${manifest.classes} classes, ${manifest.images} images of ${manifest.height}×${manifest.width}×${manifest.channels}`,
      );
      out(`split for training: ${describeClassSplit(split)}`);
    }
    return 0;
  },
});

const DATA_IMPORT = defineCommand({
  name: 'import',
  summary:
    'import a dataset (Omniglot, miniImageNet, a folder of class folders; zips too) into the data directory',
  details:
    "Omniglot --split standard: MAML's (1,100 / 100 / the rest characters); background: Lake et al.'s " +
    "(the background set's alphabets train, its last tenth of alphabets validate, the evaluation set tests).",
  options: {
    format: { type: 'string', value: 'FORMAT', help: "the source's layout", choices: IMPORT_FORMATS },
    name: { type: 'string', value: 'NAME', help: "the dataset's name in the data directory" },
    size: {
      type: 'string',
      value: 'N',
      help: 'images resized to N×N pixels (default: 28 for Omniglot, 84 otherwise)',
    },
    channels: {
      type: 'string',
      value: 'N',
      help: '1 (grey) or 3 (colour); default: 1 for Omniglot, 3 otherwise',
      choices: ['1', '3'],
    },
    invert: { type: 'boolean', help: "invert the images' brightness (the default for Omniglot)" },
    'no-invert': { type: 'boolean', help: 'keep the brightness as it is' },
    rotations: {
      type: 'boolean',
      help: 'Omniglot: add each character rotated by 90°, 180° and 270° as new classes',
    },
    split: {
      type: 'string',
      value: 'SPLIT',
      help: 'Omniglot: the class split stored with the dataset (below)',
      choices: ['standard', 'background', 'none'],
    },
    depth: { type: 'string', value: 'N', help: 'a folder: how deep below it the class folders are' },
    json: { type: 'boolean', help: 'print progress and the result as JSON lines' },
    'data-dir': DATA_DIR_FLAG,
  },
  args: [{ name: 'PATH', help: 'the zips or folders to import', required: true, variadic: true }],
  run: async (values, positionals, signal) => {
    const dataDir = dataDirOf(values);
    const format = values.format as ImportFormat | undefined;
    if (!format || !(IMPORT_FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`--format must be one of ${IMPORT_FORMATS.join(', ')}`);
    }
    if (!values.name) throw new UsageError('--name NAME is required');
    if (positionals.length === 0) throw new UsageError('give the path(s) to import');
    const channels = intFlag('channels', values.channels);
    if (channels !== undefined && channels !== 1 && channels !== 3)
      throw new UsageError('--channels is 1 or 3');
    const split = values.split as 'standard' | 'background' | 'none' | undefined;
    if (split && !['standard', 'background', 'none'].includes(split))
      throw new UsageError('--split is standard, background or none');
    let last = 0;
    const result = await importDataset({
      format,
      name: values.name,
      paths: positionals,
      dataDir,
      size: intFlag('size', values.size),
      channels: channels as 1 | 3 | undefined,
      invert: values.invert ? true : values['no-invert'] ? false : undefined,
      rotations: values.rotations === true,
      split,
      depth: intFlag('depth', values.depth),
      signal,
      onProgress: (p) => {
        if (values.json) return out(JSON.stringify({ type: 'progress', ...p }));
        const now = Date.now();
        if (p.phase === 'decode' && (now - last > 1000 || p.done === p.total)) {
          last = now;
          process.stderr.write(`decoding ${p.done}/${p.total}\n`);
        }
      },
    });
    const { manifest: m, report: r } = result;
    if (values.json) out(JSON.stringify({ type: 'result', ...result }));
    else {
      out(
        `imported '${m.id}': ${m.classes} classes, ${m.images} images ${m.height}×${m.width}×${m.channels} (${result.imagesPerSecond.toFixed(0)} images/s)`,
      );
      if (r.skippedNonImages) out(`skipped ${r.skippedNonImages} non-image file(s)`);
      if (r.skippedHidden)
        out(`skipped ${r.skippedHidden} hidden file(s) or folder(s) (names starting with '.')`);
      for (const l of r.skippedLinks ?? [])
        out(`skipped a link leading outside the source, or out of its class folder: ${l}`);
      for (const u of r.unsupported ?? []) out(`skipped ${u.path}: ${u.reason}`);
      for (const d of r.duplicates ?? []) out(`skipped a second zip entry of the same name: ${d}`);
      for (const c of r.corrupt) out(`skipped corrupt image ${c.path}: ${c.reason}`);
      for (const p of r.oversized) out(`skipped oversized image ${p}`);
      for (const c of r.emptyClasses) out(`empty class folder left out: ${c}`);
    }
    return 0;
  },
});

export const DATA = defineGroup({
  name: 'data',
  summary: 'import, list and describe datasets',
  commands: [DATA_IMPORT, DATA_LIST, DATA_CHECK_EPISODES, DATA_INFO],
});
