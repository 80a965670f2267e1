import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import type { MetricSeries } from '../../../src-main/contract/records';
import { METRIC_KEYS } from '../../../src-main/contract/records';
import type { SweepDetail, SweepInput, SweepSummary } from '../../../src-main/contract/sweep';
import { api } from '../api/client';

/**
 * Sweeps: the list, the open sweep's detail and its trials' validation curves. Live: a status
 * change of one of the sweep's runs reloads the sweep (a rung decided, a trial ended, the final
 * runs queued), and validation points arriving extend the curves.
 */
export const useSweepsStore = defineStore('sweeps', () => {
  const items = ref<SweepSummary[]>([]);
  const listError = ref<string | null>(null);
  const detail = ref<SweepDetail | null>(null);
  const error = ref<string | null>(null);
  /** Validation accuracy by trial run id. */
  const curves = reactive(new Map<number, MetricSeries>());
  let listed = false;

  async function refresh(): Promise<void> {
    listed = true;
    try {
      items.value = await api.call('sweeps:list');
      listError.value = null;
    } catch (e) {
      listError.value = (e as Error).message;
    }
  }

  async function loadCurve(runId: number): Promise<void> {
    const [series] = await api.call('runs:metrics', runId, { keys: [METRIC_KEYS.valAccuracy] });
    curves.set(runId, series ?? { key: METRIC_KEYS.valAccuracy, steps: [], values: [], times: [] });
  }

  /** The sweep, and the curves of trials not loaded yet or still moving. */
  async function load(id: number): Promise<void> {
    try {
      const sweep = await api.call('sweeps:get', id);
      if (detail.value?.id !== id) curves.clear();
      detail.value = sweep;
      error.value = null;
      await Promise.all(
        sweep.trials
          .filter((t) => !curves.has(t.runId) || t.status === 'running' || t.status === 'queued')
          .map((t) => loadCurve(t.runId)),
      );
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function create(input: SweepInput): Promise<SweepDetail> {
    const sweep = await api.call('sweeps:create', input);
    if (listed) void refresh();
    return sweep;
  }

  async function cancel(id: number): Promise<void> {
    detail.value = await api.call('sweeps:cancel', id);
    if (listed) void refresh();
  }

  // Several runs change at once (a rung stops trials, the final runs queue): one reload for them.
  let pending: ReturnType<typeof setTimeout> | null = null;
  const ended = new Set<number>();
  api.on('run:status', (run) => {
    if (!run.sweep) return;
    if (listed) void refresh();
    const open = detail.value;
    if (!open || open.id !== run.sweep.id) return;
    if (run.sweep.role === 'trial' && run.status !== 'running' && run.status !== 'queued') ended.add(run.id);
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      // An ended trial's curve once more, in full: the points it flushed last.
      for (const runId of ended) curves.delete(runId);
      ended.clear();
      void load(open.id);
    }, 150);
  });
  // The event stream (re)opened: what changed while it was closed (load and refresh keep errors).
  api.onConnected(() => {
    if (listed) void refresh();
    if (detail.value) void load(detail.value.id);
  });
  api.on('run:metrics', ({ runId, points }) => {
    const s = curves.get(runId);
    if (!s) return;
    for (const p of points) {
      if (p.key !== METRIC_KEYS.valAccuracy) continue;
      if (s.steps.length && p.step <= s.steps[s.steps.length - 1]!) continue;
      s.steps.push(p.step);
      s.values.push(p.value);
      s.times.push(p.time);
    }
  });

  return { items, listError, detail, error, curves, refresh, load, create, cancel };
});
