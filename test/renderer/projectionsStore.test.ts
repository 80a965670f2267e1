// @vitest-environment happy-dom
/**
 * useProjectionsStore against the real service, over a bridge made as the preload makes it (calls
 * answer with their outcome; calls and events cross a structured clone): a projection asked for
 * shows queued, then completed through the service's events alone; a completed one is fetched with
 * its images once; the newest per checkpoint and method is the one shown.
 */
import { createPinia, setActivePinia } from 'pinia';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHANNELS, type DemlEvents, type EventName } from '../../src-main/contract/api';
import { callOutcome } from '../../src-main/service/errors';
import { WorkbenchService } from '../../src-main/service/service';
import { TINY } from '../helpers/configs';
import { tempDirs } from '../helpers/temp';
import { until } from '../helpers/waiting';
import type * as ProjectionsStore from '../../src-renderer/src/stores/projections';

const dataDir = tempDirs('deml-projections-store')();
let service: WorkbenchService;
let store: typeof ProjectionsStore;
let calls: string[] = [];

beforeAll(async () => {
  service = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'owner', pollMs: 100 });
  const bridge = Object.fromEntries(
    CHANNELS.map((channel) => [
      channel,
      async (...args: unknown[]) => {
        calls.push(channel);
        return structuredClone(await callOutcome(service, channel, structuredClone(args)));
      },
    ]),
  );
  const on = <E extends EventName>(event: E, listener: (payload: DemlEvents[E]) => void) =>
    service.on(event, (payload) => listener(structuredClone(payload)));
  (window as unknown as { deml: unknown }).deml = { ...bridge, on };
  store = await import('../../src-renderer/src/stores/projections');
  setActivePinia(createPinia());
});

afterAll(async () => {
  await service?.close();
});

it('follows a projection from the request to its stored map by events, and fetches it once', async () => {
  const { runs } = await service.createExperiment({ name: 'p', config: { ...TINY, iterations: 20 } });
  const runId = runs[0]!.id;
  await until('the run', () => service.store.runs.get(runId)!.status === 'completed', 90_000);
  const projections = store.useProjectionsStore();
  await projections.load(runId);
  expect(projections.latest(runId, 20, 'pca')).toEqual({ done: null, other: null });

  await projections.request(runId, 20, 'pca');
  expect(projections.latest(runId, 20, 'pca').other?.status).toMatch(/queued|running/);
  calls = [];
  const done = await until('completed by events', () => projections.latest(runId, 20, 'pca').done, 60_000);
  expect(calls).toEqual([]); // the list followed the events: nothing was asked for again
  expect(projections.latest(runId, 20, 'pca').other).toBeNull();
  expect(projections.latest(runId, 20, 'umap').done).toBeNull();
  expect(projections.latest(runId, 10, 'pca').done).toBeNull();

  const view = await projections.view(done.id);
  expect(view.images).toHaveLength(done.result!.points.length);
  expect(await projections.view(done.id)).toBe(view);
  expect(calls).toEqual(['projections:get']);
}, 120_000);
