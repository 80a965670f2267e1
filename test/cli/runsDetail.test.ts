/** `deml runs ID` says all of a run's results: a MANN's accuracy at every presentation, not only its 2nd. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src-main/cli/main';
import { parseExperimentConfig } from '../../src-main/contract/config';
import { openStore } from '../../src-main/store/store';
import { tempDirs } from '../helpers/temp';

const temp = tempDirs('deml-runs-detail');
afterEach(() => vi.restoreAllMocks());

describe('deml runs ID', () => {
  it('lists a MANN evaluation by presentation', async () => {
    const dataDir = temp();
    const config = parseExperimentConfig({ learner: 'mann', data: 'synthetic', mann: { instances: 3 } });
    const store = openStore(dataDir);
    const experiment = store.experiments.create({ name: 'mann', tags: [], config });
    const run = store.runs.create({ experimentId: experiment.id, config, appVersion: 'test' });
    store.evaluations.insert({
      runId: run.id,
      origin: 'training',
      split: 'test',
      step: 10,
      dataset: 'synthetic',
      ways: 5,
      shots: 0,
      queries: 0,
      instances: 3,
      byInstance: [
        { mean: 0.25, ci95: 0.1 },
        { mean: 0.5, ci95: 0.1 },
        { mean: 0.75, ci95: 0.05 },
      ],
      innerSteps: 0,
      episodeSeed: 0,
      episodeFile: null,
      episodeFileName: null,
      tasks: 4,
      mean: 0.5,
      ci95: 0.1,
      std: 0.1,
      accuracies: [0.5, 0.5, 0.5, 0.5],
      durationMs: 10,
    });
    store.close();
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation(
      (c: string | Uint8Array) => ((out += String(c)), true),
    );
    expect(await main(['runs', String(run.id), '--data-dir', dataDir])).toBe(0);
    vi.restoreAllMocks();
    expect(out).toMatch(
      /^ {2}by presentation: 1st 25\.00% ± 10\.00%, 2nd 50\.00% ± 10\.00%, 3rd 75\.00% ± 5\.00%$/m,
    );
  });

  it('a run left running by a killed workbench reads interrupted, with the reason, not running', async () => {
    const dataDir = temp();
    const config = parseExperimentConfig({ learner: 'maml', data: 'synthetic' });
    const store = openStore(dataDir);
    const experiment = store.experiments.create({ name: 'killed', tags: [], config });
    const run = store.runs.create({ experimentId: experiment.id, config, appVersion: 'test' });
    // A trainer that was started and is gone: a pid no process has (the kernel's pid_max is 2^22).
    store.runs.markStarted(run.id, 4_194_304 + 1);
    store.close();
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation(
      (c: string | Uint8Array) => ((out += String(c)), true),
    );
    expect(await main(['runs', '--data-dir', dataDir])).toBe(0);
    vi.restoreAllMocks();
    expect(out).toMatch(
      /interrupted .*the workbench that ran it stopped \(its process is gone\), and its trainer with it/,
    );
  });
});
