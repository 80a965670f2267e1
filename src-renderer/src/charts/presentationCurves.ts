/**
 * A MANN's accuracy by presentation of a class (the paper's figure) on the compare page: one line
 * per group, its seeds' meta-test accuracies at the 1st, 2nd, … presentation averaged.
 */

export interface PresentationGroup {
  label: string;
  colour: string;
  /** Each seed's meta-test accuracy by presentation; runs without one (not MANNs) are left out. */
  tests: ReadonlyArray<ReadonlyArray<{ mean: number }>>;
}

export interface PresentationCurve {
  label: string;
  colour: string;
  /** The mean over the group's seeds at presentations 1, 2, …, up to the shortest seed's. */
  values: number[];
}

/** Each group's curve; a group with no accuracy by presentation has none. */
export function presentationCurves(groups: readonly PresentationGroup[]): PresentationCurve[] {
  return groups.flatMap(({ label, colour, tests }) => {
    if (tests.length === 0) return [];
    const n = Math.min(...tests.map((t) => t.length));
    return [
      {
        label,
        colour,
        values: Array.from({ length: n }, (_, k) => tests.reduce((s, t) => s + t[k]!.mean, 0) / tests.length),
      },
    ];
  });
}

/** The chart of the curves, or null without any (the page shows no chart then). */
export function presentationCurvesOption(curves: readonly PresentationCurve[]) {
  if (curves.length === 0) return null;
  return {
    animation: false,
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${(100 * v).toFixed(2)}%` },
    // Under the plot, one scrolling row: on top, many groups' names covered the curves.
    legend: { type: 'scroll', bottom: 0, data: curves.map((c) => c.label) },
    grid: { left: 56, right: 16, top: 16, bottom: 64 },
    xAxis: {
      type: 'value',
      name: 'presentation',
      nameLocation: 'middle',
      nameGap: 24,
      minInterval: 1,
      min: 1,
    },
    yAxis: {
      type: 'value',
      scale: true,
      axisLabel: { formatter: (v: number) => `${Math.round(100 * v)}%` },
    },
    series: curves.map((c) => ({
      name: c.label,
      type: 'line',
      data: c.values.map((v, k) => [k + 1, v]),
      color: c.colour,
    })),
  };
}
