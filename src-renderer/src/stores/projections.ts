/**
 * Concept projections by run, kept current by the service's events: a projection asked for in
 * one panel shows as queued, running, then its map, in every panel of the run. A completed one is
 * fetched with its images once and kept (stored results never change).
 */
import { defineStore } from 'pinia';
import { markRaw, reactive } from 'vue';
import type {
  ProjectionMethod,
  ProjectionRecord,
  ProjectionView,
} from '../../../src-main/contract/projection';
import { api } from '../api/client';

export const useProjectionsStore = defineStore('projections', () => {
  const byRun = reactive(new Map<number, ProjectionRecord[]>());
  const views = reactive(new Map<number, ProjectionView>());

  function upsert(record: ProjectionRecord): void {
    const list = byRun.get(record.runId);
    if (!list) return;
    const i = list.findIndex((p) => p.id === record.id);
    if (i >= 0) list.splice(i, 1, record);
    else list.push(record);
  }
  api.on('projection:status', upsert);
  // The event stream (re)opened: projections that moved while it was closed.
  api.onConnected(() => {
    for (const runId of byRun.keys()) void load(runId).catch(() => undefined);
  });

  async function load(runId: number): Promise<void> {
    byRun.set(runId, await api.call('projections:list', runId));
  }

  async function request(runId: number, step: number, method: ProjectionMethod): Promise<void> {
    if (!byRun.has(runId)) byRun.set(runId, []);
    upsert(await api.call('runs:project', runId, { step, method }));
  }

  async function view(id: number): Promise<ProjectionView> {
    const kept = views.get(id);
    if (kept) return kept;
    // Raw: a stored result never changes, and hundreds of images need no deep watching.
    const loaded = markRaw(await api.call('projections:get', id));
    if (loaded.status === 'completed') views.set(id, loaded);
    return loaded;
  }

  /**
   * The newest projection of a run at a checkpoint by a method: the one to show (completed), and
   * one on its way or that failed since (queued, running, failed), if any.
   */
  function latest(runId: number, step: number, method: ProjectionMethod) {
    const matching = (byRun.get(runId) ?? []).filter(
      (p) =>
        (p.result?.step ?? p.request.step) === step &&
        (p.result?.method ?? p.request.method ?? 'pca') === method,
    );
    const done = matching.filter((p) => p.status === 'completed').at(-1) ?? null;
    const after = matching.filter(
      (p) => p.status !== 'completed' && p.status !== 'cancelled' && p.id > (done?.id ?? 0),
    );
    return { done, other: after.at(-1) ?? null };
  }

  return { byRun, load, request, view, latest };
});
