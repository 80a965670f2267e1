/** A hash router small enough to read: #/path/with/:params. Works under file:// (Electron) and http. */
import { computed, ref } from 'vue';

const hash = ref(location.hash);
window.addEventListener('hashchange', () => (hash.value = location.hash));

export interface Route {
  name:
    | 'experiments'
    | 'new'
    | 'experiment'
    | 'run'
    | 'episodes'
    | 'projector'
    | 'datasets'
    | 'settings'
    | 'compare'
    | 'sweeps'
    | 'sweep';
  id: number | null;
  param: string | null;
  /** Compare: the run ids. */
  ids?: number[];
}

export function parseRoute(h: string): Route {
  const parts = h.replace(/^#\/?/, '').split('/').filter(Boolean);
  const id = parts[1] && /^\d+$/.test(parts[1]) ? Number(parts[1]) : null;
  switch (parts[0]) {
    case 'new':
      return { name: 'new', id: null, param: parts[1] ?? null };
    case 'experiments':
      return id ? { name: 'experiment', id, param: null } : { name: 'experiments', id: null, param: null };
    case 'runs':
      // #/runs/ID/episodes/N: the episode viewer at episode N (1-based, as it is shown).
      if (id && parts[2] === 'episodes') return { name: 'episodes', id, param: parts[3] ?? '1' };
      // #/runs/3/concepts, and /5 for a second panel of run 5: the concept projector.
      if (id && parts[2] === 'concepts') return { name: 'projector', id, param: parts[3] ?? null };
      return id ? { name: 'run', id, param: null } : { name: 'experiments', id: null, param: null };
    case 'sweeps':
      return id ? { name: 'sweep', id, param: null } : { name: 'sweeps', id: null, param: null };
    case 'datasets':
      return { name: 'datasets', id: null, param: parts[1] ? decodeURIComponent(parts[1]) : null };
    case 'compare': {
      const ids = (parts[1] ?? '')
        .split(',')
        .map(Number)
        .filter((n) => Number.isInteger(n) && n > 0);
      // No ids: the compare view opens on its run picker (runs from any experiments).
      return { name: 'compare', id: null, param: null, ids };
    }
    case 'settings':
      return { name: 'settings', id: null, param: null };
    default:
      return { name: 'experiments', id: null, param: null };
  }
}

export function useRoute() {
  return computed(() => parseRoute(hash.value));
}

export function navigate(path: string): void {
  location.hash = `#${path}`;
}
