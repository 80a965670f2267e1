/**
 * Names of the compare page's groups, as a person reads them: the learner's short name and the
 * settings' labels (settingLabel), never dotted config paths. Runs of different experiments can
 * differ in many settings ("Meta-SGD · concept.generatorLr=0.002 · concept.generatorMode=frozen ·
 * … · iterations=150" made the legend cover the plot), so a name holds only as many settings as it
 * takes to tell the groups apart, the learner first; the full list goes with it for a tooltip
 * and the groups table.
 */
import { settingLabel } from '../../../src-main/contract/config';
import { describeSetting } from '../../../src-main/contract/results';

type Value = string | number | boolean;

export interface GroupName {
  /** Short: the learner and the settings that tell this group from the others. */
  name: string;
  /** Every setting that differs between the groups, with its label ("Generator training: frozen"). */
  full: string;
}

/** Settings a name always holds where they differ, in this order (their values describe themselves). */
const PREFERRED = ['learner', 'space', 'data', 'ways', 'shots'];

const shown = (value: Value) => (typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value));

/** One setting in the full list: its label and value. */
function describeFully(key: string, value: Value): string {
  if (key === 'learner') return `${settingLabel(key)}: ${describeSetting(key, value)}`;
  return `${settingLabel(key)}: ${shown(value)}`;
}

/**
 * A name per group (in the groups' order), each different from the others'. `settings` are each
 * group's differing settings (RunGroup.settings: dotted keys, the learner first).
 */
export function groupNames(groups: ReadonlyArray<{ settings: Record<string, Value> }>): GroupName[] {
  const keys = [...new Set(groups.flatMap((g) => Object.keys(g.settings)))];
  const rank = (k: string) => {
    const i = PREFERRED.indexOf(k);
    return i < 0 ? PREFERRED.length + keys.indexOf(k) : i;
  };
  const distinct = (chosen: readonly string[]) =>
    new Set(groups.map((g) => JSON.stringify(chosen.map((k) => (k in g.settings ? g.settings[k] : null)))))
      .size;
  // The learner, space, dataset and shape where they differ (short, and read first), then greedily
  // whichever setting tells most groups apart, until all are told apart.
  const chosen = PREFERRED.filter((k) => keys.includes(k));
  while (distinct(chosen) < groups.length) {
    const left = keys.filter((k) => !chosen.includes(k));
    let best: string | undefined;
    let bestCount = distinct(chosen);
    for (const k of [...left].sort((a, b) => rank(a) - rank(b))) {
      const count = distinct([...chosen, k]);
      if (count > bestCount) [best, bestCount] = [k, count];
    }
    if (!best) break;
    chosen.push(best);
  }
  chosen.sort((a, b) => rank(a) - rank(b));
  const names = groups.map((g) => {
    const own = Object.entries(g.settings);
    const parts = chosen.filter((k) => k in g.settings).map((k) => describeSetting(k, g.settings[k]!));
    // A group without any of the chosen settings (a pixels run beside concept ones) names its own first.
    if (!parts.length && own.length) parts.push(describeSetting(own[0]![0], own[0]![1]));
    return {
      name: parts.join(' · ') || 'all runs',
      full: own.map(([k, v]) => describeFully(k, v)).join('; ') || 'all runs',
    };
  });
  // Names stay unique: they key the groups' colours and series.
  const seen = new Map<string, number>();
  return names.map((n) => {
    const times = (seen.get(n.name) ?? 0) + 1;
    seen.set(n.name, times);
    return times === 1 ? n : { ...n, name: `${n.name} (${times})` };
  });
}
