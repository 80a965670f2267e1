import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { BACKENDS, type BackendPreference } from '../../../src-main/contract/config';
import { type RunColumnId, knownRunColumns } from '../../../src-main/contract/runColumns';
import { type ExecutorFields, fieldsOf } from '../forms/executorForm';

export type Theme = 'system' | 'light' | 'dark';

function stored<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
  const v = localStorage.getItem(key) as T | null;
  return v && allowed.includes(v) ? v : fallback;
}

function storedJson(key: string): unknown {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

/** Preferences kept in this browser profile: theme, and the backend and executor new experiments ask for. */
export const useSettingsStore = defineStore('settings', () => {
  const theme = ref<Theme>(stored('deml.theme', 'system', ['system', 'light', 'dark']));
  const backend = ref<BackendPreference>(stored('deml.backend', 'auto', BACKENDS));

  /** Where new experiments train unless their form says otherwise (kept as the form's fields). */
  const executor = ref<ExecutorFields>({
    ...fieldsOf(null),
    ...((storedJson('deml.executor') ?? {}) as object),
  });

  /** Desktop notifications when runs and experiments end (asked for here; the browser may refuse). */
  const notify = ref(localStorage.getItem('deml.notify') === 'true');
  /** The browser's answer: granted, denied, default (not asked yet), or unsupported. */
  const notifyPermission = ref<NotificationPermission | 'unsupported'>(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  );
  async function setNotify(on: boolean): Promise<void> {
    if (on && notifyPermission.value === 'default') {
      notifyPermission.value = await Notification.requestPermission();
    }
    notify.value = on && notifyPermission.value === 'granted';
  }
  watch(notify, (n) => localStorage.setItem('deml.notify', String(n)));

  /** Columns added to the runs tables (settings, metrics' latest values), in the order added. */
  const runColumns = ref<RunColumnId[]>(knownRunColumns(storedJson('deml.runColumns')));
  watch(runColumns, (c) => localStorage.setItem('deml.runColumns', JSON.stringify(c)), { deep: true });

  /** The theme in effect (the system's when "system"): charts recolour when it changes. */
  const dark = ref(false);
  const apply = () => {
    dark.value =
      theme.value === 'dark' ||
      (theme.value === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
    document.documentElement.dataset.theme = dark.value ? 'dark' : 'light';
  };
  watch(theme, (t) => {
    localStorage.setItem('deml.theme', t);
    apply();
  });
  watch(backend, (b) => localStorage.setItem('deml.backend', b));
  watch(executor, (e) => localStorage.setItem('deml.executor', JSON.stringify(e)), { deep: true });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', apply);
  apply();

  return { theme, backend, executor, dark, notify, notifyPermission, setNotify, runColumns };
});
