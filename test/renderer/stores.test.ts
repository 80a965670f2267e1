// @vitest-environment happy-dom
/**
 * The renderer's Pinia stores against the real service. The bridge below is what the preload and
 * electron/ipc.ts make of the service in the app: every call answers with its outcome (the
 * service's own callOutcome), and calls and events cross a structured clone, as over IPC.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPinia, setActivePinia } from 'pinia';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { CHANNELS, type DemlEvents, type EventName } from '../../src-main/contract/api';
import { callOutcome } from '../../src-main/service/errors';
import { WorkbenchService } from '../../src-main/service/service';
import { TINY } from '../helpers/configs';
import { markedPng } from '../helpers/images';
import { tempDirs } from '../helpers/temp';
// Types only: the modules themselves are imported once window.deml exists (beforeAll).
import type * as Client from '../../src-renderer/src/api/client';
import type * as AppStore from '../../src-renderer/src/stores/app';
import type * as DatasetsStore from '../../src-renderer/src/stores/datasets';
import type * as ExperimentsStore from '../../src-renderer/src/stores/experiments';
import type * as RunsStore from '../../src-renderer/src/stores/runs';
import type * as SettingsStore from '../../src-renderer/src/stores/settings';

const tempDir = tempDirs('deml-stores');
const dataDir = tempDir();
let service: WorkbenchService;
/** Whether the bridge fails every call as IPC does when the main process is gone. */
let disconnected = false;
/** Called with each answer's channel once the answer is made, before it is sent: a slow reply. */
let beforeAnswer: ((channel: string) => Promise<void>) | null = null;

type Stores = {
  app: typeof AppStore;
  experiments: typeof ExperimentsStore;
  runs: typeof RunsStore;
  datasets: typeof DatasetsStore;
  settings: typeof SettingsStore;
  client: typeof Client;
};
let m: Stores;

async function until(what: string, probe: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!probe()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  service = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'owner', pollMs: 100 });
  const bridge = Object.fromEntries(
    CHANNELS.map((channel) => [
      channel,
      async (...args: unknown[]) => {
        if (disconnected)
          throw new Error(`Error invoking remote method '${channel}': Error: reply was never sent`);
        const outcome = structuredClone(await callOutcome(service, channel, structuredClone(args)));
        await beforeAnswer?.(channel);
        return outcome;
      },
    ]),
  );
  const on = <E extends EventName>(event: E, listener: (payload: DemlEvents[E]) => void) =>
    service.on(event, (payload) => listener(structuredClone(payload)));
  (window as unknown as { deml: unknown }).deml = { ...bridge, on };
  // The client picks its transport when first imported: after the bridge exists, as in the app.
  m = {
    app: await import('../../src-renderer/src/stores/app'),
    experiments: await import('../../src-renderer/src/stores/experiments'),
    runs: await import('../../src-renderer/src/stores/runs'),
    datasets: await import('../../src-renderer/src/stores/datasets'),
    settings: await import('../../src-renderer/src/stores/settings'),
    client: await import('../../src-renderer/src/api/client'),
  };
});

afterAll(async () => {
  await service?.close();
});

beforeEach(() => {
  setActivePinia(createPinia());
  disconnected = false;
});

describe('the desktop transport', () => {
  it('is the one the client picks when the preload exposes window.deml', () => {
    expect(m.client.api.mode).toBe('desktop');
  });

  it('raises the service’s code and per-field issues, not only its message', async () => {
    const store = m.experiments.useExperimentsStore();
    const error = await store.create({ name: 'bad', config: { ...TINY, model: { filters: 0 } } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(m.client.ApiError);
    expect(error).toMatchObject({ code: 'invalid', issues: [{ field: 'model.filters' }] });
  });
});

describe('useAppStore', () => {
  it('loads what the service says about itself', async () => {
    const app = m.app.useAppStore();
    await app.load();
    expect(app.info).toMatchObject({ name: 'DEML Workbench', version: 'test', dataDir });
    expect(app.error).toBeNull();
  });

  it('says so when the service cannot be reached', async () => {
    disconnected = true;
    const app = m.app.useAppStore();
    await app.load();
    expect(app.info).toBeNull();
    expect(app.error).toMatch(/^no connection to the workbench service: reply was never sent/);
  });
});

describe('useExperimentsStore and useRunsStore', () => {
  it('create, filter, duplicate and delete experiments; the list follows the runs’ statuses', async () => {
    const experiments = m.experiments.useExperimentsStore();
    const { id, runs } = await experiments.create({
      name: 'stores: MAML vs Meta-SGD',
      tags: ['stores'],
      config: { ...TINY, iterations: 6, valEvery: 3, checkpointEvery: 3, evalTasks: 10 },
      learners: ['maml', 'metasgd'],
    });
    expect(runs.map((r) => r.learner)).toEqual(['maml', 'metasgd']);
    expect(experiments.items.map((e) => e.id)).toContain(id);
    expect(experiments.tags).toContain('stores');

    const runsStore = m.runs.useRunsStore();
    await runsStore.loadExperiment(id);
    expect(
      runsStore.byExperiment
        .get(id)!
        .map((r) => r.learner)
        .sort(),
    ).toEqual(['maml', 'metasgd']);
    const [first, second] = runs.map((r) => r.id) as [number, number];
    await runsStore.loadRun(first);

    // The queue trains the first run: its events reach the stores as they happen.
    await until('run 1 to complete', () => runsStore.detail?.status === 'completed');
    const loss = runsStore.series.get(first)!.get('train/loss')!;
    expect(loss.steps).toEqual([1, 2, 3, 4, 5, 6]); // events appended, none twice
    expect(runsStore.detail!.evaluations.map((e) => e.split)).toEqual(['val', 'val', 'test']);
    expect(runsStore.detail!.checkpoints.map((c) => c.step)).toEqual([3, 6]);
    expect(runsStore.log).toMatch(/run \d+: completed/);
    expect(runsStore.progress.has(first)).toBe(false);

    await runsStore.cancel(second);
    await until('run 2 to be cancelled', () =>
      runsStore.byExperiment.get(id)!.some((r) => r.id === second && r.status === 'cancelled'),
    );
    await until(
      'the list to count it',
      () => experiments.items.find((e) => e.id === id)?.statuses.cancelled === 1,
    );

    experiments.filter = { search: 'no such experiment' };
    await experiments.refresh();
    expect(experiments.items).toEqual([]);
    experiments.filter = { search: 'MAML vs' };
    await experiments.refresh();
    expect(experiments.items.map((e) => e.id)).toEqual([id]);

    const copy = await experiments.duplicate(id);
    expect(experiments.items.find((e) => e.id === copy)?.name).toBe('stores: MAML vs Meta-SGD (copy)');
    await experiments.remove(copy);
    expect(experiments.items.some((e) => e.id === copy)).toBe(false);
    await expect(experiments.remove(id)).resolves.toBeUndefined(); // nothing of it is active any more
  }, 120_000);
});

describe('a status that overtakes a fetch', () => {
  it('is not lost to the older answer: the list is fetched again', async () => {
    const experiments = m.experiments.useExperimentsStore();
    const runsStore = m.runs.useRunsStore();
    const { id, runs } = await experiments.create({
      name: 'stores: overtaken',
      config: { ...TINY, iterations: 5000, valEvery: 0, checkpointEvery: 1000 },
    });
    const runId = runs[0]!.id;
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let answered = 0;
    beforeAnswer = async (channel) => {
      if (channel === 'runs:list' && answered++ === 0) await gate;
    };
    try {
      // The list is made (the run queued or training) and held back; the run is cancelled and
      // its status event arrives first, before there is a list to apply it to.
      const loading = runsStore.loadExperiment(id);
      await until('the list made and held', () => answered === 1);
      await callOutcome(service, 'runs:cancel', [runId]);
      await until('the run cancelled', () => service.run(runId).status === 'cancelled');
      release();
      await loading;
      expect(runsStore.byExperiment.get(id)!.find((r) => r.id === runId)?.status).toBe('cancelled');
      expect(answered).toBe(2); // the held answer, and the list fetched again
    } finally {
      beforeAnswer = null;
      release();
    }
  }, 120_000);
});

describe('useDatasetsStore', () => {
  it('lists the embedded datasets, shows samples, and imports a folder with progress', async () => {
    const datasets = m.datasets.useDatasetsStore();
    await datasets.refresh();
    expect(datasets.items.map((d) => d.name)).toEqual(expect.arrayContaining(['glyphs', 'glyphs-external']));
    await datasets.open('glyphs');
    expect(datasets.samples).toMatchObject({ name: 'glyphs', width: 28, height: 28, channels: 1 });
    expect(datasets.samples!.samples).toHaveLength(12);

    const root = tempDir();
    for (let c = 0; c < 3; c++) {
      mkdirSync(join(root, `class${c}`));
      for (let i = 0; i < 2; i++)
        writeFileSync(join(root, `class${c}`, `${i}.png`), await markedPng(10, 10, c + 1));
    }
    const phases = new Set<string>();
    const stop = m.client.api.on('dataset:import', (p) => phases.add(p.phase));
    await datasets.importDataset({ format: 'folder', name: 'marks', paths: [root], size: 8 });
    stop();
    expect(datasets.error).toBeNull();
    expect(datasets.imported).toMatchObject({ name: 'marks', classes: 3, images: 6 });
    expect(datasets.importing).toBeNull();
    expect([...phases]).toEqual(expect.arrayContaining(['scan', 'decode', 'write']));
    expect(datasets.items.map((d) => d.name)).toContain('marks');

    await datasets.importDataset({ format: 'folder', name: 'missing', paths: [join(root, 'nope')] });
    expect(datasets.error).toMatch(/^import failed: /);
    await datasets.open('no-such-dataset');
    expect(datasets.samples).toBeNull();
    expect(datasets.error).toMatch(/no-such-dataset/);
  }, 60_000);
});

describe('useSettingsStore', () => {
  it('keeps the theme and backend in this profile and applies the theme', async () => {
    localStorage.setItem('deml.backend', 'metal'); // not a backend: ignored
    expect(m.settings.useSettingsStore().backend).toBe('auto');
    setActivePinia(createPinia());
    localStorage.setItem('deml.backend', 'webgpu'); // every backend of the contract is kept
    expect(m.settings.useSettingsStore().backend).toBe('webgpu');
    setActivePinia(createPinia());
    const settings = m.settings.useSettingsStore();
    settings.theme = 'dark';
    settings.backend = 'wasm';
    await nextTick();
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(localStorage.getItem('deml.theme')).toBe('dark');
    expect(localStorage.getItem('deml.backend')).toBe('wasm');
    settings.theme = 'light';
    await nextTick();
    expect(document.documentElement.dataset.theme).toBe('light');

    setActivePinia(createPinia()); // a new window of the same profile
    const again = m.settings.useSettingsStore();
    expect([again.theme, again.backend]).toEqual(['light', 'wasm']);
  });
});
