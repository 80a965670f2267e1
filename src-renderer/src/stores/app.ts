import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppInfo } from '../../../src-main/contract/api';
import { api } from '../api/client';

/** What the app knows about itself; filled from the service through the contract. */
export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    try {
      info.value = await api.call('app:info');
    } catch (e) {
      error.value = `no connection to the workbench service: ${(e as Error).message}`;
    }
  }

  return { info, error, load, mode: api.mode };
});
