/**
 * A sweep's parallel coordinates: one axis per searched setting (a log axis for a log range, a
 * category axis for choices and yes/no) and validation accuracy last; one line per trial in its
 * learner's colour. Brushing an axis (ECharts' areaSelect, reported by 'axisareaselected') keeps
 * the trials inside every brushed interval: brushedTrials says which, for the trials table.
 */
import type { SearchDimension } from '../../../src-main/contract/sweep';

export interface ParallelAxis {
  /** The config path, or 'validation' for the accuracy axis. */
  key: string;
  label: string;
  type: 'value' | 'log' | 'category';
  /** A category axis's values, in order (a brush's interval counts in their indices). */
  categories?: string[];
}

export interface ParallelLine {
  runId: number;
  /** "MAML #3". */
  name: string;
  /** The learner's label: one series per learner (the legend's entries). */
  group: string;
  color: string;
  /** By axis key; absent where the trial's learner does not read the setting, or before a validation. */
  values: Record<string, number | string | boolean | undefined>;
}

export const VALIDATION_AXIS = 'validation';

/** The axes: the space's dimensions in order, then validation accuracy. */
export function parallelAxes(
  space: readonly SearchDimension[],
  labelOf: (path: string) => string,
): ParallelAxis[] {
  const axes = space.map((d): ParallelAxis => {
    const label = labelOf(d.setting);
    if (d.kind === 'range') return { key: d.setting, label, type: d.scale === 'log' ? 'log' : 'value' };
    if (d.values.every((v) => typeof v === 'number')) return { key: d.setting, label, type: 'value' };
    return { key: d.setting, label, type: 'category', categories: d.values.map(String) };
  });
  return [...axes, { key: VALIDATION_AXIS, label: 'validation accuracy', type: 'value' }];
}

/** A line's value on an axis as the chart takes it ('-': none, which ECharts leaves out). */
function axisValue(axis: ParallelAxis, v: number | string | boolean | undefined): number | string {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '-';
  return axis.type === 'category' ? String(v) : (v as number);
}

export const parallelAxisId = (dim: number) => `sweep-axis-${dim}`;

export function sweepParallelOption({
  axes,
  lines,
  groups,
}: {
  axes: readonly ParallelAxis[];
  lines: readonly ParallelLine[];
  groups: readonly string[];
}) {
  const pct = (v: number) => `${Math.round(100 * v)}%`;
  return {
    animation: false,
    legend: { type: 'scroll', top: 0, data: [...groups] },
    tooltip: { trigger: 'item', formatter: (p: { name: string }) => p.name },
    parallel: { left: 60, right: 110, top: 48, bottom: 30 },
    parallelAxis: axes.map((a, dim) => ({
      // Stable ids: an update keeps each axis's brush.
      id: parallelAxisId(dim),
      dim,
      name: a.label,
      type: a.type,
      ...(a.type === 'category' ? { data: a.categories } : { scale: true }),
      ...(a.key === VALIDATION_AXIS ? { axisLabel: { formatter: pct } } : {}),
      nameTextStyle: { width: 110, overflow: 'break' },
    })),
    // The brushed-out lines fade rather than vanish, so the brush's context stays.
    parallelAxisDefault: { realtime: true },
    series: groups.map((group) => {
      const own = lines.filter((l) => l.group === group);
      return {
        name: group,
        type: 'parallel',
        color: own[0]?.color,
        lineStyle: { width: 2, opacity: 0.8 },
        inactiveOpacity: 0.08,
        activeOpacity: 1,
        data: own.map((l) => ({ name: l.name, value: axes.map((a) => axisValue(a, l.values[a.key])) })),
      };
    }),
  };
}

/** Brushed intervals by axis index (in the axis's data; a category axis's in its categories' indices). */
export type Brushes = Record<number, Array<[number, number]>>;

/**
 * The trials inside every brushed interval (an axis with no interval keeps every trial), as
 * ECharts draws them active; null when nothing is brushed (the table shows every trial).
 */
export function brushedTrials(
  axes: readonly ParallelAxis[],
  lines: readonly ParallelLine[],
  brushes: Brushes,
): Set<number> | null {
  const active = Object.entries(brushes).filter(([, intervals]) => intervals.length > 0);
  if (!active.length) return null;
  const inside = (line: ParallelLine, dim: number, intervals: Array<[number, number]>) => {
    const axis = axes[dim];
    if (!axis) return true;
    const v = line.values[axis.key];
    if (v === undefined) return false;
    const x = axis.type === 'category' ? (axis.categories ?? []).indexOf(String(v)) : Number(v);
    if (!Number.isFinite(x) || x < 0) return false;
    return intervals.some(([a, b]) => Math.min(a, b) <= x && x <= Math.max(a, b));
  };
  return new Set(
    lines.filter((l) => active.every(([dim, iv]) => inside(l, Number(dim), iv))).map((l) => l.runId),
  );
}

/** The axis index an 'axisareaselected' event names (by the ids above), or null. */
export function brushedAxis(parallelAxisId: string | undefined): number | null {
  const m = /^sweep-axis-(\d+)$/.exec(parallelAxisId ?? '');
  return m ? Number(m[1]) : null;
}
