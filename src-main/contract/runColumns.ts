/**
 * The columns a runs table can add beyond its own: any training setting (the registry's, by its
 * config path) or the latest value of any metric the trainer writes. A column is named by an id
 * ("setting:shots", "metric:val/accuracy") that the renderer keeps and the service reads values for.
 */
import { SETTINGS } from './config';
import { METRIC_KEYS } from './records';
import type { SettingGroup } from './settings';

export type RunColumnKind = 'setting' | 'metric';
export type RunColumnId = `${RunColumnKind}:${string}`;
/** A cell's value: a setting's as configured, a metric's latest; null where the run has none. */
export type RunColumnValue = string | number | boolean | null;

export interface RunColumnChoice {
  id: RunColumnId;
  label: string;
  /** Where the column menu lists it: a setting's group, or "Metrics". */
  group: SettingGroup | 'Metrics';
}

/** What each metric key is called in a column header (the latest value of its series). */
const METRIC_LABELS: Record<string, string> = {
  [METRIC_KEYS.loss]: 'Training loss',
  [METRIC_KEYS.accuracy]: 'Training accuracy',
  [METRIC_KEYS.tasksPerSecond]: 'Tasks per second',
  [METRIC_KEYS.memoryMb]: 'Memory (MiB)',
  [METRIC_KEYS.cpuPercent]: 'CPU share (%)',
  [METRIC_KEYS.gpuMb]: 'GPU memory (MiB)',
  [METRIC_KEYS.valAccuracy]: 'Validation accuracy',
  [METRIC_KEYS.valCi95]: 'Validation ± 95% CI',
  [METRIC_KEYS.discriminationLoss]: 'Discrimination loss (D)',
  [METRIC_KEYS.discriminationAccuracy]: 'Discrimination accuracy (D)',
  [METRIC_KEYS.pretrainLoss]: 'Pretraining loss',
  [METRIC_KEYS.pretrainAccuracy]: 'Pretraining accuracy',
};

/** Metric keys whose values are fractions, shown as percentages. */
const FRACTIONS: ReadonlySet<string> = new Set([
  METRIC_KEYS.accuracy,
  METRIC_KEYS.valAccuracy,
  METRIC_KEYS.valCi95,
  METRIC_KEYS.discriminationAccuracy,
  METRIC_KEYS.pretrainAccuracy,
]);

/** Every column a user may add, settings in the registry's order, then the metrics. */
export const RUN_COLUMN_CHOICES: readonly RunColumnChoice[] = [
  ...SETTINGS.map((s) => ({ id: `setting:${s.path}` as RunColumnId, label: s.label, group: s.group })),
  ...Object.values(METRIC_KEYS).map((key) => ({
    id: `metric:${key}` as RunColumnId,
    label: METRIC_LABELS[key] ?? key,
    group: 'Metrics' as const,
  })),
];

const BY_ID = new Map(RUN_COLUMN_CHOICES.map((c) => [c.id, c]));

/** A known column's id, or null (a stored choice from another version may name one no longer known). */
export function parseRunColumn(id: string): { id: RunColumnId; kind: RunColumnKind; path: string } | null {
  const choice = BY_ID.get(id as RunColumnId);
  if (!choice) return null;
  const colon = id.indexOf(':');
  return { id: choice.id, kind: id.slice(0, colon) as RunColumnKind, path: id.slice(colon + 1) };
}

/** The known columns of a stored choice, once each, in its order (anything else dropped). */
export function knownRunColumns(stored: unknown): RunColumnId[] {
  if (!Array.isArray(stored)) return [];
  const ids = stored.flatMap((x) => (typeof x === 'string' ? (parseRunColumn(x)?.id ?? []) : []));
  return [...new Set(ids)];
}

export function runColumnLabel(id: RunColumnId): string {
  return BY_ID.get(id)?.label ?? id;
}

/**
 * A setting's value as a cell holds it: numbers stay numbers (they sort as numbers); a list
 * ("low,high") or a section of fractions is written as its values joined.
 */
export function toRunColumnValue(raw: unknown): RunColumnValue {
  if (raw == null) return null;
  if (typeof raw === 'number' || typeof raw === 'string' || typeof raw === 'boolean') return raw;
  if (Array.isArray(raw)) return raw.map((v) => toRunColumnValue(v)).join(', ');
  if (typeof raw === 'object')
    return Object.values(raw)
      .map((v) => toRunColumnValue(v))
      .join(' / ');
  return String(raw);
}

/** A cell as text: percentages for accuracies, a few significant digits for other numbers. */
export function formatRunColumnValue(id: RunColumnId, value: RunColumnValue): string {
  if (value == null) return '–';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value !== 'number') return String(value);
  if (id.startsWith('metric:') && FRACTIONS.has(id.slice('metric:'.length)))
    return `${(100 * value).toFixed(2)}%`;
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}
