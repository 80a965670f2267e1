import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DatasetSamples } from '../../../src-main/contract/api';
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

  return { items, samples, error, refresh, open };
});
