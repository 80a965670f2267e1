import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppInfo } from '../../../src-main/contract/api';

/** What the app knows about itself; filled from the service through the contract. */
export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    try {
      if (!window.deml) throw new Error('no service connection (open the app through Electron)');
      info.value = await window.deml['app:info']();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  return { info, error, load };
});
