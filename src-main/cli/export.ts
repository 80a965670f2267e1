/** `deml export`: the results table of an experiment (or of chosen runs), for a paper. */
import { writeFileSync } from 'node:fs';
import { EXPORT_FORMATS, type ExportFormat, exportTable } from '../contract/exportTable';
import { presetTag, presets } from '../contract/presets';
import { type PublishedResult, comparedRun, resultsTable } from '../contract/results';
import { describeFsError } from '../data/errors';
import { type FlagValues, defineCommand } from './command';
import { DATA_DIR_FLAG, UsageError, dataDirOf } from './usage';
import { openClient } from './workbench';

const EXPORT_FLAGS = {
  experiment: { type: 'string', value: 'ID,…', help: 'the runs of these experiments' },
  runs: { type: 'string', value: 'ID,…', help: 'these runs (with or besides --experiment)' },
  format: {
    type: 'string',
    value: 'FORMAT',
    help: 'LaTeX (booktabs), Markdown or CSV (default: md)',
    choices: EXPORT_FORMATS,
  },
  out: { type: 'string', value: 'FILE', help: 'write the table to FILE (default: stdout)' },
  instances: {
    type: 'string',
    value: 'K,…',
    help: "a MANN's accuracy at these presentations, as columns (e.g. 1,2,3,4,5,10)",
  },
  'data-dir': DATA_DIR_FLAG,
} as const;

export const EXPORT = defineCommand({
  name: 'export',
  summary: 'the results table of experiments or runs as LaTeX (booktabs), Markdown or CSV',
  options: EXPORT_FLAGS,
  run: (values) => exportCommand(values),
});

/** Positive integers separated by commas (ids, or presentations). */
const ids = (flag: string, raw: string | undefined) => {
  if (raw === undefined) return [];
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n <= 0))
    throw new UsageError(`--${flag} expects positive integers separated by commas`);
  return list;
};

async function exportCommand(values: FlagValues<typeof EXPORT_FLAGS>): Promise<number> {
  const format = (values.format ?? 'md') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format))
    throw new UsageError(`--format is one of ${EXPORT_FORMATS.join(', ')}`);
  const experiments = ids('experiment', values.experiment);
  let runIds = ids('runs', values.runs);
  if (experiments.length === 0 && runIds.length === 0) {
    throw new UsageError('give --experiment ID,… or --runs ID,… (deml export --help shows the options)');
  }
  const service = openClient(dataDirOf(values));
  try {
    const published: PublishedResult[] = [];
    for (const e of experiments) {
      const experiment = service.experiment(e); // a clear error for an unknown experiment
      runIds = [...runIds, ...service.store.runs.list({ experimentId: e }).map((r) => r.id)];
      // An experiment made from a protocol preset shows the preset's published figures.
      for (const p of presets({ data: experiment.config.data })) {
        if (experiment.tags.includes(presetTag(p.id))) published.push(...p.published);
      }
    }
    const compared = service.compareRuns(runIds, []).map(comparedRun);
    const done = compared.filter((c) => c.test).length;
    if (done === 0) throw new UsageError('none of these runs has a meta-test result yet');
    const instances = ids('instances', values.instances);
    const text = exportTable(resultsTable(compared, published, { instances }), format);
    if (values.out) {
      try {
        writeFileSync(values.out, text);
      } catch (e) {
        throw new Error(`cannot write ${values.out}: ${describeFsError(e)}`);
      }
      process.stderr.write(
        `wrote ${values.out} (${done} of ${compared.length} runs have a meta-test result)\n`,
      );
    } else process.stdout.write(text);
    return 0;
  } finally {
    await service.close();
  }
}
