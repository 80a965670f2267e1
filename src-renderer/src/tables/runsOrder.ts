/**
 * The order a runs table shows its rows in, by the column a user clicked: ascending, then
 * descending on a second click. Runs without a value (no meta-test yet) stay last either way, so
 * sorting by accuracy never buries the finished runs under the unfinished ones. A column the user
 * added (a setting, a metric) sorts the same way, by the values the table fetched for it.
 */
import type { RunSummary } from '../../../src-main/contract/records';
import type { RunColumnId, RunColumnValue } from '../../../src-main/contract/runColumns';

export const RUN_SORT_KEYS = ['experiment', 'run', 'name', 'seed', 'status', 'accuracy'] as const;
export type RunSortKey = (typeof RUN_SORT_KEYS)[number] | RunColumnId;
export interface RunSort {
  key: RunSortKey;
  descending: boolean;
}
/** An added column's value for a run (undefined while not fetched yet). */
export type AddedColumnValue = (runId: number, column: RunColumnId) => RunColumnValue | undefined;

function valueOf(
  r: RunSummary,
  key: RunSortKey,
  byCell: boolean,
  added: AddedColumnValue,
): string | number | boolean | null {
  switch (key) {
    case 'experiment':
      return r.experimentName;
    case 'run':
      return r.id;
    case 'name':
      return byCell ? r.cell : r.learner;
    case 'seed':
      return r.seed;
    case 'status':
      return r.status;
    case 'accuracy':
      return r.testMean;
    default:
      return added(r.id, key) ?? null;
  }
}

/** `byCell`: the name column shows each run's cell (an experiment's page), else its learner. */
export function sortRuns(
  runs: readonly RunSummary[],
  sort: RunSort | null,
  byCell = false,
  added: AddedColumnValue = () => undefined,
): RunSummary[] {
  if (!sort) return [...runs];
  const sign = sort.descending ? -1 : 1;
  return [...runs].sort((a, b) => {
    const x = valueOf(a, sort.key, byCell, added);
    const y = valueOf(b, sort.key, byCell, added);
    if (x == null || y == null) return x == null && y == null ? a.id - b.id : x == null ? 1 : -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return c === 0 ? a.id - b.id : sign * c;
  });
}

/** The next order after a click on `key`: ascending first, then descending, then ascending again. */
export function nextSort(current: RunSort | null, key: RunSortKey): RunSort {
  return current?.key === key ? { key, descending: !current.descending } : { key, descending: false };
}
