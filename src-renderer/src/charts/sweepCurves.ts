/**
 * A sweep's trials' validation curves: one line per trial, coloured by its learner (the legend
 * names the learners, so one click hides a learner's trials), dashed where successive halving
 * stopped the trial, with the rungs as vertical lines where it decided.
 */
export interface TrialCurve {
  /** Unique per trial (the series' id). */
  id: string;
  /** "MAML #3", for the tooltip. */
  name: string;
  /** The learner's label: the legend's entry, shared by its trials. */
  group: string;
  color: string;
  steps: readonly number[];
  values: readonly number[];
  stopped: boolean;
}

export interface SweepCurvesInput {
  curves: readonly TrialCurve[];
  /** The legend's entries, in order. */
  groups: readonly string[];
  /** Where successive halving decides, and the rung's name there ("rung 1"). */
  rungs: ReadonlyArray<{ iteration: number; label: string }>;
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '–');

export function sweepCurvesOption({ curves, groups, rungs }: SweepCurvesInput) {
  const names = new Map(curves.map((c) => [c.id, c.name]));
  return {
    animation: false,
    // Room above the plot for the legend and, under it, the rungs' labels.
    grid: { left: 56, right: 16, top: 48, bottom: 36 },
    legend: { type: 'scroll', top: 0, data: [...groups] },
    tooltip: {
      trigger: 'item',
      formatter: (p: { seriesId?: string; data?: [number, number] }) =>
        `${names.get(p.seriesId ?? '') ?? ''}<br/>iteration ${p.data?.[0]}: ${pct(p.data?.[1] ?? Number.NaN)}`,
    },
    xAxis: {
      type: 'value',
      name: 'iteration',
      nameLocation: 'middle',
      nameGap: 22,
      min: 0,
      minInterval: 1,
    },
    yAxis: {
      type: 'value',
      scale: true,
      name: 'validation accuracy',
      nameLocation: 'middle',
      nameGap: 42,
      axisLabel: { formatter: (v: number) => `${Math.round(100 * v)}%` },
    },
    series: curves.map((c, i) => ({
      id: c.id,
      name: c.group,
      type: 'line',
      color: c.color,
      showSymbol: c.steps.length < 30,
      symbolSize: 5,
      lineStyle: { width: 1.5, type: c.stopped ? 'dashed' : 'solid' },
      data: c.steps.map((s, k) => [s, c.values[k]!]),
      // The rungs, drawn once (with the first series).
      ...(i === 0 && rungs.length
        ? {
            markLine: {
              silent: true,
              symbol: 'none',
              label: {
                formatter: (p: { dataIndex: number }) => rungs[p.dataIndex]?.label ?? '',
                color: '#888',
                textBorderWidth: 0,
              },
              lineStyle: { type: 'dotted', color: '#888' },
              data: rungs.map((r) => ({ xAxis: r.iteration })),
            },
          }
        : {}),
    })),
  };
}
