/**
 * The new-experiment form's Sweep mode as plain data: the same fields as `deml sweep` (the search
 * space, the method, the trials per learner, the successive-halving rungs, the final seeds, a
 * budget, the trials at once, the draws' seed), checked with contract/sweep.ts's own parsers so
 * the form says what the service would say, by the setting's label, before anything is sent.
 * No Vue here: the view binds it, tests read it.
 */
import type { ExecutorChoice } from '../../../src-main/contract/executor';
import { type LearnerName, SETTINGS } from '../../../src-main/contract/config';
import type { SettingDescription } from '../../../src-main/contract/settings';
import {
  SWEEP_METHODS,
  type SearchDimension,
  type SweepInput,
  type SweepMethod,
  checkDimension,
  parseDimension,
  parseRungs,
  sweepSetting,
} from '../../../src-main/contract/sweep';

const SWEEPABLE_KINDS = new Set(['int', 'number', 'optionalNumber', 'choice', 'bool']);
const NUMERIC_KINDS = new Set(['int', 'number', 'optionalNumber']);

function tunable(path: string): boolean {
  try {
    sweepSetting(path);
    return true;
  } catch {
    return false;
  }
}

/** The settings a sweep can search: numbers, choices and yes/no, less the sweep's and the protocol's own. */
export const SWEEPABLE_SETTINGS: readonly SettingDescription[] = SETTINGS.filter(
  (s) => SWEEPABLE_KINDS.has(s.kind) && tunable(s.path),
);

export const isNumericSetting = (s: SettingDescription) => NUMERIC_KINDS.has(s.kind);

/** One row of the search space: a setting, and its values or its range. */
export interface SpaceRow {
  setting: string;
  kind: 'values' | 'log' | 'linear';
  /** The values, comma separated (numbers, a choice's words, true/false). */
  values: string;
  min: string;
  max: string;
  /** A range's grid points (grid method; empty: 3). */
  steps: string;
}

export function blankSweep() {
  return {
    method: 'random' as SweepMethod,
    trials: '8',
    rungs: '',
    finalSeeds: '3',
    budget: '',
    parallel: '',
    seed: '',
    space: [rowFor('innerLr')] as SpaceRow[],
  };
}
export type SweepFormState = ReturnType<typeof blankSweep>;

/** A fresh row for a setting: a log range around a learning rate, every choice, or the default. */
export function rowFor(path: string): SpaceRow {
  const s = sweepSetting(path);
  const row: SpaceRow = { setting: s.path, kind: 'values', values: '', min: '', max: '', steps: '' };
  if (s.kind === 'choice') return { ...row, values: (s.options ?? []).join(', ') };
  if (s.kind === 'bool') return { ...row, values: 'true, false' };
  const d = typeof s.defaultValue === 'number' ? s.defaultValue : null;
  if (s.kind !== 'int' && d != null && d > 0) {
    const n = (x: number) => String(Number(x.toPrecision(3)));
    return { ...row, kind: 'log', min: n(d / 10), max: n(d * 10) };
  }
  return { ...row, values: d == null ? '' : String(d) };
}

/** The row as a search dimension, or the error that says what is wrong with it (by the setting's label). */
export function dimensionOf(row: SpaceRow): SearchDimension {
  const s = sweepSetting(row.setting);
  if (row.kind === 'values') {
    if (!row.values.trim()) throw new Error(`${s.label}: give at least one value`);
    return parseDimension(`${s.path}=${row.values}`);
  }
  if (!isNumericSetting(s)) throw new Error(`${s.label} is not a number: give its values, not a range`);
  if (!row.min.trim() || !row.max.trim()) throw new Error(`${s.label}: give the range's low and high ends`);
  const steps = row.steps.trim();
  return checkDimension({
    setting: s.path,
    kind: 'range',
    scale: row.kind,
    min: Number(row.min),
    max: Number(row.max),
    ...(steps ? { steps: Number(steps) } : {}),
  });
}

/** A whole number from a field, or an error naming the field; empty: undefined. */
function wholeNumber(text: string, label: string, min: number, max?: number): number | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const n = Number(t);
  if (!Number.isInteger(n) || n < min || (max != null && n > max))
    throw new Error(`${label} is a whole number ≥ ${min}${max != null ? ` and ≤ ${max}` : ''}, got '${t}'`);
  return n;
}

/** Each field's problem, keyed `sweep.<field>` (`sweep.space.<row>` for a row of the space). */
export function sweepIssues(state: SweepFormState): Record<string, string> {
  const out: Record<string, string> = {};
  const guard = (key: string, f: () => unknown) => {
    try {
      f();
    } catch (e) {
      out[key] = (e as Error).message;
    }
  };
  if (!state.space.length) out['sweep.space'] = 'add at least one setting to search';
  state.space.forEach((row, i) => guard(`sweep.space.${i}`, () => dimensionOf(row)));
  const settings = state.space.map((r) => r.setting);
  settings.forEach((p, i) => {
    if (settings.indexOf(p) !== i)
      out[`sweep.space.${i}`] ??= `${sweepSetting(p).label} is in the search space twice`;
  });
  if (!SWEEP_METHODS.includes(state.method))
    out['sweep.method'] = `the method is ${SWEEP_METHODS.join(' or ')}`;
  guard('sweep.trials', () => {
    if (wholeNumber(state.trials, 'Trials per learner', 1, 1000) === undefined)
      throw new Error('give the trials per learner, a whole number ≥ 1');
  });
  guard('sweep.rungs', () => {
    if (parseRungs(state.rungs).length > 6) throw new Error('at most 6 rungs');
  });
  guard('sweep.finalSeeds', () => wholeNumber(state.finalSeeds, 'Final seeds', 1, 20));
  guard('sweep.budget', () => wholeNumber(state.budget, 'The budget', 1));
  guard('sweep.parallel', () => wholeNumber(state.parallel, 'Trials at once', 1, 64));
  guard('sweep.seed', () => wholeNumber(state.seed, 'The draws’ seed', 0));
  return out;
}

/** What 'sweeps:create' takes, from a form without issues (sweepIssues); it throws on one otherwise. */
export function sweepInputOf(
  state: SweepFormState,
  base: { name: string; learners: readonly LearnerName[]; config: Record<string, unknown> },
  executor?: ExecutorChoice | null,
): SweepInput {
  const rungs = parseRungs(state.rungs);
  const finalSeeds = wholeNumber(state.finalSeeds, 'Final seeds', 1, 20);
  const budget = wholeNumber(state.budget, 'The budget', 1);
  const parallel = wholeNumber(state.parallel, 'Trials at once', 1, 64);
  const seed = wholeNumber(state.seed, 'The draws’ seed', 0);
  return {
    name: base.name.trim(),
    config: base.config,
    learners: [...base.learners],
    space: state.space.map(dimensionOf),
    method: state.method,
    trials: wholeNumber(state.trials, 'Trials per learner', 1, 1000)!,
    ...(rungs.length ? { rungs } : {}),
    ...(finalSeeds !== undefined ? { finalSeeds } : {}),
    ...(budget !== undefined ? { budget } : {}),
    ...(parallel !== undefined ? { parallel } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(executor ? { executor } : {}),
  };
}

/** Where the form's sweep fields wait while the user looks elsewhere (the address says the mode). */
export const SWEEP_DRAFT_KEY = 'deml.newSweepDraft';

export type FormMode = 'experiment' | 'sweep';

export function saveSweepDraft(storage: Storage, sweep: SweepFormState): void {
  try {
    storage.setItem(SWEEP_DRAFT_KEY, JSON.stringify({ sweep }));
  } catch {
    // A full or disabled storage loses the draft, never the page.
  }
}

/** The saved sweep fields, each checked against today's form (a bad one keeps its default). */
export function loadSweepDraft(storage: Storage): SweepFormState | null {
  try {
    const raw = storage.getItem(SWEEP_DRAFT_KEY);
    if (!raw) return null;
    const saved = JSON.parse(raw) as { sweep?: Record<string, unknown> };
    const sweep = blankSweep();
    for (const key of ['trials', 'rungs', 'finalSeeds', 'budget', 'parallel', 'seed'] as const) {
      const v = saved.sweep?.[key];
      if (typeof v === 'string') sweep[key] = v;
    }
    if (SWEEP_METHODS.includes(saved.sweep?.method as SweepMethod))
      sweep.method = saved.sweep!.method as SweepMethod;
    const rows = saved.sweep?.space;
    if (Array.isArray(rows)) {
      sweep.space = rows
        .filter(
          (r): r is SpaceRow =>
            typeof r === 'object' &&
            r !== null &&
            SWEEPABLE_SETTINGS.some((s) => s.path === (r as SpaceRow).setting) &&
            ['values', 'log', 'linear'].includes((r as SpaceRow).kind) &&
            ['values', 'min', 'max', 'steps'].every(
              (k) => typeof (r as unknown as Record<string, unknown>)[k] === 'string',
            ),
        )
        .map((r) => ({
          setting: r.setting,
          kind: r.kind,
          values: r.values,
          min: r.min,
          max: r.max,
          steps: r.steps,
        }));
    }
    return sweep;
  } catch {
    return null;
  }
}
