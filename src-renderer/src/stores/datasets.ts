import { defineStore } from 'pinia';
import { ref } from 'vue';
import type {
  DatasetSamples,
  ImportDatasetInput,
  ImportDatasetResult,
  ImportProgressEvent,
} from '../../../src-main/contract/api';
import type { DatasetRecord } from '../../../src-main/contract/records';
import { api } from '../api/client';

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

  async function open(name: string): Promise<void> {
    samples.value = null;
    try {
      samples.value = await api.call('datasets:samples', name, { classes: 12, perClass: 6 });
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  const importing = ref<ImportProgressEvent | null>(null);
  const imported = ref<ImportDatasetResult | null>(null);
  api.on('dataset:import', (p) => (importing.value = p));

  async function importDataset(input: ImportDatasetInput): Promise<void> {
    imported.value = null;
    importing.value = { name: input.name, phase: 'scan', done: 0, total: 0 };
    try {
      imported.value = await api.call('datasets:import', input);
      error.value = null;
      await refresh();
    } catch (e) {
      error.value = `import failed: ${(e as Error).message}`;
    } finally {
      importing.value = null;
    }
  }

  return { items, samples, error, importing, imported, refresh, open, importDataset };
});
