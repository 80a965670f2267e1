import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { CreateExperimentInput, ExperimentFilter } from '../../../src-main/contract/api';
import type { ExperimentSummary, RunSummary } from '../../../src-main/contract/records';
import { api } from '../api/client';

/** The experiments list with its filters; create, duplicate, delete. */
export const useExperimentsStore = defineStore('experiments', () => {
  const items = ref<ExperimentSummary[]>([]);
  const filter = ref<ExperimentFilter>({});
  const loading = ref(false);
  const error = ref<string | null>(null);

  const tags = computed(() => [...new Set(items.value.flatMap((e) => e.tags))].sort());

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      const f = Object.fromEntries(Object.entries(filter.value).filter(([, v]) => v)) as ExperimentFilter;
      items.value = await api.call('experiments:list', f);
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  async function create(input: CreateExperimentInput): Promise<{ id: number; runs: RunSummary[] }> {
    const { experiment, runs } = await api.call('experiments:create', input);
    await refresh();
    return { id: experiment.id, runs };
  }

  async function duplicate(id: number): Promise<number> {
    const e = await api.call('experiments:duplicate', id);
    await refresh();
    return e.id;
  }

  async function remove(id: number): Promise<void> {
    await api.call('experiments:delete', id);
    await refresh();
  }

  // Status counts change as runs move: keep the list current.
  api.on('run:status', () => void refresh());
  // The event stream (re)opened: statuses that changed while it was closed.
  api.onConnected(() => void refresh());

  return { items, filter, loading, error, tags, refresh, create, duplicate, remove };
});
