/**
 * The values of a runs table's added columns (contract/runColumns.ts): a setting from each run's
 * stored config, a metric's latest point from its series. A run that no longer exists is left
 * out (a table may ask for one another window just deleted).
 */
import type { RunColumnValues } from '../contract/api';
import { parseRunColumn, toRunColumnValue } from '../contract/runColumns';
import { valueAt } from '../contract/settings';
import type { Store } from '../store/store';
import { ServiceError } from './errors';

export function runColumnValues(store: Store, runIds: number[], columns: string[]): RunColumnValues[] {
  const parsed = columns.map((id) => {
    const column = parseRunColumn(id);
    if (!column)
      throw new ServiceError(`there is no runs-table column '${id}'`, 'invalid', [
        { field: 'columns', message: `unknown column '${id}'` },
      ]);
    return column;
  });
  const settings = parsed.filter((c) => c.kind === 'setting');
  const metrics = parsed.filter((c) => c.kind === 'metric');
  return [...new Set(runIds)].flatMap((runId) => {
    const run = store.runs.get(runId);
    if (!run) return [];
    const values: RunColumnValues['values'] = {};
    for (const c of settings) values[c.id] = toRunColumnValue(valueAt(run.config, c.path));
    const latest = store.metrics.latest(
      runId,
      metrics.map((c) => c.path),
    );
    for (const c of metrics) values[c.id] = latest[c.path] ?? null;
    return [{ runId, values }];
  });
}
