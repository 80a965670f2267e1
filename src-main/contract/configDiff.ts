/**
 * The settings two runs differ in, named by their labels: what a reader wants before trusting a
 * comparison of the two. Settings a run's learner or space never reads are "not used" for it,
 * never a difference on their own.
 */
import { type ExperimentConfig, SETTINGS, settingLabel } from './config';
import { comparedSettings } from './results';

type Value = string | number | boolean;

export interface ConfigDifference {
  path: string;
  label: string;
  /** null: the run's learner and space do not read this setting. */
  a: Value | null;
  b: Value | null;
}

export function configDiff(a: ExperimentConfig, b: ExperimentConfig): ConfigDifference[] {
  const fa = comparedSettings(a);
  const fb = comparedSettings(b);
  // In the schema's order (the learner first), whatever order the configs were stored in.
  const order = (path: string) => {
    const i = SETTINGS.findIndex((s) => path === s.path || path.startsWith(`${s.path}.`));
    return i < 0 ? SETTINGS.length : i;
  };
  return (
    [...new Set([...Object.keys(fa), ...Object.keys(fb)])]
      // Constants of the schema (conv4's kind) are not settings: never a difference to show.
      .filter((p) => fa[p] !== fb[p] && order(p) < SETTINGS.length)
      .sort((x, y) => order(x) - order(y))
      .map((path) => ({ path, label: settingLabel(path), a: fa[path] ?? null, b: fb[path] ?? null }))
  );
}
