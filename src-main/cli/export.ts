/** `deml export`: the results table of an experiment (or of chosen runs), for a paper. */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EXPORT_FORMATS, type ExportFormat, exportTable } from '../contract/exportTable';
import { presetTag, presets } from '../contract/presets';
import { type PublishedResult, resultsTable } from '../contract/results';
import { describeFsError } from '../data/errors';
import { DATA_DIR_OPTION, UsageError, dataDirOf } from './usage';
import { openClient } from './workbench';

export const EXPORT_USAGE = `deml export (--experiment ID[,ID…] | --runs ID,ID…) [--format latex|md|csv] [--out FILE]
            [--instances 1,2,3,4,5,10 (a MANN's accuracy at these presentations, as columns)]`;

/** Positive integers separated by commas (ids, or presentations). */
const ids = (flag: string, raw: string | undefined) => {
  if (raw === undefined) return [];
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n <= 0))
    throw new UsageError(`--${flag} expects positive integers separated by commas`);
  return list;
};

export async function exportCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      experiment: { type: 'string' },
      runs: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      instances: { type: 'string' },
      ...DATA_DIR_OPTION,
    },
  });
  const format = (values.format ?? 'md') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format))
    throw new UsageError(`--format is one of ${EXPORT_FORMATS.join(', ')}`);
  const experiments = ids('experiment', values.experiment);
  let runIds = ids('runs', values.runs);
  if (experiments.length === 0 && runIds.length === 0) throw new UsageError(EXPORT_USAGE);
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
    const compared = service
      .compareRuns(runIds, [])
      .map((c) => ({ id: c.run.id, config: c.config, test: c.test, evaluations: c.evaluations }));
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
