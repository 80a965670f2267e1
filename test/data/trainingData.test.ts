/**
 * One resolver for a config's training data: `deml train`, the presets, the service and the
 * trainer process refuse the same bad data with the same error, naming the same field.
 */
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  type ExperimentConfigInput,
  parseExperimentConfig,
} from '../../src-main/contract/config';
import { runPresetRuns } from '../../src-main/cli/presetRuns';
import { trainCommand } from '../../src-main/cli/trainCommand';
import { datasetLoader, resolveTrainingData } from '../../src-main/data/trainingData';
import { storeJob } from '../../src-main/jobs/runRecorder';
import { runTrainerJob } from '../../src-main/jobs/trainerJob';
import { WorkbenchService } from '../../src-main/service/service';
import { openStore } from '../../src-main/store/store';
import { TINY } from '../helpers/configs';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-training-data');

/** The error each entry point gives for `input`, as the user would read it. */
async function errors(input: ExperimentConfigInput): Promise<Record<string, unknown>> {
  const config = parseExperimentConfig(input);
  const dataDir = tempDir();
  const caught = (p: Promise<unknown>) =>
    p.then(
      () => 'no error',
      (e: unknown) => (e instanceof ConfigError ? e.issues : `not a config error: ${(e as Error).message}`),
    );
  const out: Record<string, unknown> = {};
  out.resolver = await caught(resolveTrainingData(config, datasetLoader(dataDir)));
  out.train = await caught(
    trainCommand({
      config,
      json: true,
      resume: false,
      dataDir,
      signal: new AbortController().signal,
      stdout: process.stdout,
      stderr: process.stderr,
    }),
  );
  out.preset = await caught(
    runPresetRuns([{ label: 'cell', config: input }], { dataDir, title: 't', onResult: () => {} }),
  );

  const service = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'client' });
  try {
    out.service = await caught(service.createExperiment({ name: 'x', config: input }));
    // A run stored by an older app (never validated by this one) reaches the trainer as it is.
    const experiment = service.store.experiments.create({ name: 'old', description: '', tags: [], config });
    const run = service.store.runs.create({ experimentId: experiment.id, config, appVersion: 'old' });
    service.store.runs.markStarted(run.id, process.pid);
  } finally {
    await service.close();
  }
  const store = openStore(dataDir);
  try {
    const controller = new AbortController();
    const status = await runTrainerJob({
      ...storeJob(store, 1),
      dataDir,
      signal: controller.signal,
      stopReason: () => 'cancelled',
      requestStop: () => controller.abort(),
      send: () => undefined,
    });
    out.trainer = `${status}: ${store.runs.get(1)!.error}`;
  } finally {
    store.close();
  }
  return out;
}

describe('the training data of a config', () => {
  const cases: Array<[string, ExperimentConfigInput, string, RegExp]> = [
    [
      'an external dataset that does not exist',
      { ...TINY, space: 'concept', concept: { external: 'nope' } },
      'concept.external',
      /unknown dataset 'nope'/,
    ],
    [
      'an external dataset of another image size',
      { ...TINY, space: 'concept', concept: { external: 'synthetic:classes=10,size=16' } },
      'concept.external',
      /external images are 16×16×1 but the episodes' are 12×12×1/,
    ],
    ['a meta dataset that does not exist', { ...TINY, data: 'nope' }, 'data', /unknown dataset 'nope'/],
  ];
  for (const [what, input, field, message] of cases) {
    it(`${what}: the same error from the CLI, the presets, the service and the trainer`, async () => {
      const out = await errors(input);
      const issues = out.resolver as Array<{ field: string; message: string }>;
      expect(issues.map((i) => i.field)).toEqual([field]);
      expect(issues[0]!.message).toMatch(message);
      expect(out.train).toEqual(issues);
      expect(out.preset).toEqual(issues);
      expect(out.service).toEqual(issues);
      expect(out.trainer).toBe(`failed: ${new ConfigError(issues).message}`);
    }, 60_000);
  }
});
