import { defineStore } from 'pinia';
import { ref } from 'vue';
import type {
  DatasetSamples,
  ImportDatasetInput,
  ImportDatasetResult,
  ImportProgressEvent,
} from '../../../src-main/contract/api';
import type { DatasetRecord } from '../../../src-main/contract/records';
import { ApiError, api } from '../api/client';

export const useDatasetsStore = defineStore('datasets', () => {
  const items = ref<DatasetRecord[]>([]);
  const samples = ref<DatasetSamples | null>(null);
  const error = ref<string | null>(null);

  async function refresh(): Promise<void> {
    try {
      items.value = await api.call('datasets:list');
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  /** The dataset whose samples are being loaded (the glyphs are generated on first use). */
  const loading = ref<string | null>(null);
  async function open(name: string): Promise<void> {
    samples.value = null;
    loading.value = name;
    try {
      const got = await api.call('datasets:samples', name, { classes: 12, perClass: 6 });
      // Another dataset chosen meanwhile wins.
      if (loading.value === name) samples.value = got;
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      if (loading.value === name) loading.value = null;
    }
  }

  const importing = ref<ImportProgressEvent | null>(null);
  const imported = ref<ImportDatasetResult | null>(null);
  api.on('dataset:import', (p) => (importing.value = p));

  async function importDataset(input: ImportDatasetInput): Promise<void> {
    imported.value = null;
    error.value = null; // an earlier failure is not this import's
    importing.value = { name: input.name, phase: 'scan', done: 0, total: 0 };
    try {
      imported.value = await api.call('datasets:import', input);
      await refresh();
    } catch (e) {
      error.value =
        e instanceof ApiError && e.code === 'cancelled'
          ? `import of ${input.name} cancelled; nothing was written`
          : `import failed: ${(e as Error).message}`;
    } finally {
      importing.value = null;
    }
  }

  async function cancelImport(): Promise<void> {
    if (importing.value) await api.call('datasets:cancelImport', importing.value.name);
  }

  return { items, samples, error, loading, importing, imported, refresh, open, importDataset, cancelImport };
});
