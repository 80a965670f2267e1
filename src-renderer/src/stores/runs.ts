import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import type { EvaluationRequest } from '../../../src-main/contract/evaluation';
import type { ExecutorChoice } from '../../../src-main/contract/executor';
import type {
  EvaluationRequestRecord,
  MetricSeries,
  RunDetail,
  RunProgress,
  RunSummary,
} from '../../../src-main/contract/records';
import { api } from '../api/client';

/**
 * Runs and their live state: summaries per experiment, the open run's detail, metric series that
 * grow from the service's events (fetched in full once, then appended), and the latest progress.
 */
export const useRunsStore = defineStore('runs', () => {
  const byExperiment = reactive(new Map<number, RunSummary[]>());
  const detail = ref<RunDetail | null>(null);
  const series = reactive(new Map<number, Map<string, MetricSeries>>());
  const progress = reactive(new Map<number, RunProgress>());
  const log = ref('');

  /**
   * Fetches in flight, by what they fetch, and whether a status event came while they were: its
   * answer may be older than the event (the event can overtake it, or be dropped for want of a
   * list), so it is fetched again before it is shown. A run refused by Slurm as its experiment's
   * page opened read "queued" until a reload otherwise.
   */
  const inFlight = new Map<string, { again: boolean }>();

  async function fetchCurrent<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    const state = { again: false };
    // An earlier fetch of the same still in flight could answer after this one, with older news.
    const earlier = inFlight.get(key);
    if (earlier) earlier.again = true;
    inFlight.set(key, state);
    try {
      for (;;) {
        const result = await fetch();
        if (!state.again) return result;
        state.again = false;
      }
    } finally {
      if (inFlight.get(key) === state) inFlight.delete(key);
    }
  }

  function overtaken(run: RunSummary): void {
    for (const key of [`experiment:${run.experimentId}`, `run:${run.id}`]) {
      const state = inFlight.get(key);
      if (state) state.again = true;
    }
  }

  async function loadExperiment(experimentId: number): Promise<void> {
    byExperiment.set(
      experimentId,
      await fetchCurrent(`experiment:${experimentId}`, () => api.call('runs:list', { experimentId })),
    );
  }

  async function loadRun(id: number): Promise<void> {
    // Fetched together, shown together: the page never says "completed" above an older log.
    const [run, all, text] = await fetchCurrent(`run:${id}`, () =>
      Promise.all([api.call('runs:get', id), api.call('runs:metrics', id), api.call('runs:log', id)]),
    );
    detail.value = run;
    series.set(id, new Map(all.map((s) => [s.key, s])));
    log.value = text;
  }

  async function cancel(id: number): Promise<void> {
    await api.call('runs:cancel', id);
    await loadRun(id);
  }

  /** Queue the run again: from its newest checkpoint, or the one at `from` (0: from scratch). */
  async function resume(id: number, from?: number, executor?: ExecutorChoice | 'default'): Promise<void> {
    await api.call('runs:resume', id, {
      ...(from === undefined ? {} : { from }),
      ...(executor === undefined ? {} : { executor }),
    });
    await loadRun(id);
  }

  /** Queue an evaluation of the run (refused at once, with per-field issues, when it cannot be). */
  async function evaluate(id: number, request: EvaluationRequest): Promise<EvaluationRequestRecord> {
    const record = await api.call('runs:evaluate', id, request);
    if (detail.value?.id === id) await loadRun(id);
    return record;
  }

  async function cancelEvaluation(requestId: number): Promise<void> {
    const record = await api.call('evaluations:cancel', requestId);
    if (detail.value?.id === record.runId) await loadRun(record.runId);
  }

  /** Deletes a run (refused while it is queued, running or being evaluated); forgets what was loaded of it. */
  async function remove(id: number): Promise<void> {
    await api.call('runs:delete', id);
    series.delete(id);
    progress.delete(id);
    if (detail.value?.id === id) detail.value = null;
    for (const [experimentId, list] of byExperiment)
      if (list.some((r) => r.id === id))
        byExperiment.set(
          experimentId,
          list.filter((r) => r.id !== id),
        );
  }

  /** More seeds for every cell of the experiment; the runs it made. */
  async function launchMore(experimentId: number, seeds: number[]): Promise<RunSummary[]> {
    const made = await api.call('runs:launch', experimentId, { seeds });
    await loadExperiment(experimentId);
    return made;
  }

  // The open run's log grows as the trainer writes it (the newest 64 KiB, as loaded).
  api.on('run:log', ({ runId, line }) => {
    if (detail.value?.id !== runId) return;
    const next = `${log.value}${line}\n`;
    log.value = next.length > 65_536 ? next.slice(next.length - 65_536) : next;
  });

  api.on('run:status', (run) => {
    overtaken(run);
    const list = byExperiment.get(run.experimentId);
    if (list) {
      const i = list.findIndex((r) => r.id === run.id);
      if (i >= 0) list.splice(i, 1, run);
      else list.unshift(run);
    }
    if (detail.value?.id === run.id) void loadRun(run.id);
    if (run.status !== 'running') progress.delete(run.id);
  });
  api.on('run:progress', (p) => progress.set(p.runId, p));
  // An evaluation of the open run moved: its progress in place, the run again when it ends.
  api.on('evaluation:status', (r) => {
    const run = detail.value;
    if (run?.id !== r.runId) return;
    const i = run.pendingEvaluations.findIndex((p) => p.id === r.id);
    if (r.status === 'running' && i >= 0) run.pendingEvaluations.splice(i, 1, r);
    else void loadRun(r.runId);
  });
  api.on('run:metrics', ({ runId, points }) => {
    const map = series.get(runId);
    if (!map) return;
    for (const p of points) {
      let s = map.get(p.key);
      if (!s) map.set(p.key, (s = { key: p.key, steps: [], values: [], times: [] }));
      // Points arrive in commit order; a resumed run re-sends nothing it committed before.
      if (s.steps.length && p.step <= s.steps[s.steps.length - 1]!) continue;
      s.steps.push(p.step);
      s.values.push(p.value);
      s.times.push(p.time);
    }
  });

  // The event stream (re)opened: what changed while it was closed, fetched again. A failure
  // leaves what is shown; the next event or action fetches it.
  api.onConnected(() => {
    for (const experimentId of byExperiment.keys())
      void loadExperiment(experimentId)
        .then(() => {
          for (const run of byExperiment.get(experimentId) ?? [])
            if (run.status !== 'running') progress.delete(run.id);
        })
        .catch(() => undefined);
    if (detail.value) void loadRun(detail.value.id).catch(() => undefined);
  });

  return {
    byExperiment,
    detail,
    series,
    progress,
    log,
    loadExperiment,
    loadRun,
    cancel,
    resume,
    evaluate,
    cancelEvaluation,
    launchMore,
    remove,
  };
});
