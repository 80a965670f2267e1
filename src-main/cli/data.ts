/** `deml data`: import datasets into the data directory, list and describe them. */
import { parseArgs } from 'node:util';
import { IMPORT_FORMATS, type ImportFormat } from '../contract/datasets';
import { listDatasets, loadPackedDataset, readManifest } from '../data/cache';
import { decodeOptionsOf, readEpisodeFile } from '../data/episodeFile';
import { manifestOfReference, resolveDataset } from '../data/resolve';
import { classSplitSummary, describeClassSplit } from '../engine/episodes';
import { configFromFlags } from './args';
import { ensureGlyphs } from '../data/embedded';
import { importDataset } from '../data/import/importer';
import { DATA_DIR_RULE } from '../layout/dataDirectory';
import { DATA_DIR_OPTION, UsageError, dataDirOf, intFlag } from './usage';

export const DATA_USAGE = `deml data import --format ${IMPORT_FORMATS.join('|')} --name NAME PATH... [--size N]
                 [--channels 1|3] [--invert] [--rotations] [--split standard|background|none] [--depth N]
  Omniglot --split standard: MAML's (1,100 / 100 / the rest characters); background: Lake et al.'s
  (the background set's alphabets train, its last tenth of alphabets validate, the evaluation set tests)
deml data list
deml data check-episodes FILE.json --data NAME
  checks an episode file against a dataset (every image found, every label in range, each class
  with support and query images) without a trained model
deml data info NAME [--split-fractions 0.6,0.2,0.2] [--eval-seed 0] [--json]
  what NAME holds, and the class split training will use on it (the fractions and seed apply where
  it stores no split of its own)
(the data directory: ${DATA_DIR_RULE})`;

export async function dataCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      name: { type: 'string' },
      size: { type: 'string' },
      channels: { type: 'string' },
      invert: { type: 'boolean' },
      'no-invert': { type: 'boolean' },
      rotations: { type: 'boolean' },
      split: { type: 'string' },
      depth: { type: 'string' },
      'split-fractions': { type: 'string' },
      data: { type: 'string' },
      'eval-seed': { type: 'string' },
      ...DATA_DIR_OPTION,
      json: { type: 'boolean' },
    },
  });
  const dataDir = dataDirOf(values);
  const out = (s: string) => process.stdout.write(`${s}\n`);
  switch (sub) {
    case 'list': {
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
    }
    case 'check-episodes': {
      const file = positionals[0];
      const data = values.data;
      if (!file || !data) throw new UsageError('deml data check-episodes FILE.json --data NAME');
      const dataset = await resolveDataset(data, dataDir);
      const decode = decodeOptionsOf(await manifestOfReference(dataDir, data));
      const checked = await readEpisodeFile(file, dataset, decode);
      const { ways, shots, queries } = checked.shape;
      const per = (n: number, what: string) =>
        n > 0 ? `${n} ${what} per class` : `${what} varying by class`;
      out(
        `${checked.name}: ${checked.episodes.length} episodes of ${ways}-way tasks, ${per(shots, 'support')}, ` +
          `${per(queries, 'query')}, on dataset '${data}': valid (sha256 ${checked.hash.slice(0, 12)}…)`,
      );
      return 0;
    }
    case 'info': {
      const name = positionals[0];
      if (!name) throw new UsageError('deml data info NAME');
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
    }
    case 'import': {
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
    }
    default:
      throw new UsageError(`unknown data command '${sub ?? ''}'\n${DATA_USAGE}`);
  }
}
