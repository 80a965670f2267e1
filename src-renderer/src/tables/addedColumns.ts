/**
 * The columns a user added to the runs tables (settings store) and each shown run's values in
 * them, fetched from the service when the runs, their statuses or their progress change (a
 * metric's latest value moves as a run trains), at most about once a second.
 */
import { type ComputedRef, computed, onBeforeUnmount, shallowRef, watch } from 'vue';
import type { RunSummary } from '../../../src-main/contract/records';
import type { RunColumnId, RunColumnValue } from '../../../src-main/contract/runColumns';
import { api } from '../api/client';
import { useSettingsStore } from '../stores/settings';

const REFRESH_MS = 1000;

export function useAddedColumns(
  runs: () => readonly RunSummary[],
  progress: () => ReadonlyMap<number, { iteration: number }> | undefined,
): {
  columns: ComputedRef<RunColumnId[]>;
  value: (runId: number, column: RunColumnId) => RunColumnValue | undefined;
} {
  const settings = useSettingsStore();
  const columns = computed(() => settings.runColumns);
  const values = shallowRef(new Map<number, Record<string, RunColumnValue>>());
  /** Where the shown runs stand: their values change with it. */
  const standing = computed(() =>
    runs()
      .map((r) => `${r.id}:${r.status}:${progress()?.get(r.id)?.iteration ?? r.iteration}`)
      .join(' '),
  );
  let timer: ReturnType<typeof setTimeout> | null = null;
  let asked = 0;
  async function fetchValues() {
    timer = null;
    const ask = ++asked;
    const ids = runs().map((r) => r.id);
    if (!columns.value.length || !ids.length) return;
    try {
      const rows = await api.call('runs:columns', ids, [...columns.value]);
      // A newer request answers for newer runs or columns: this one's answer is stale.
      if (ask === asked) values.value = new Map(rows.map((r) => [r.runId, r.values]));
    } catch {
      // The cells stay as they were (a dash before the first answer); the next change asks again.
    }
  }
  // Added or removed columns (and other runs) show at once; progress waits for the next refresh.
  watch(
    [
      () => columns.value.join(' '),
      () =>
        runs()
          .map((r) => r.id)
          .join(' '),
    ],
    () => {
      if (timer) clearTimeout(timer);
      void fetchValues();
    },
    { immediate: true },
  );
  watch(standing, () => {
    if (columns.value.length) timer ??= setTimeout(() => void fetchValues(), REFRESH_MS);
  });
  onBeforeUnmount(() => {
    if (timer) clearTimeout(timer);
  });
  return { columns, value: (runId, column) => values.value.get(runId)?.[column] };
}
