/**
 * The new-experiment form's state as plain data: filled from the schema's defaults, a preset, or
 * an existing experiment (Duplicate), turned into the config the service checks, and kept as a
 * draft so that leaving the page loses nothing. No Vue here: the view binds it, tests read it.
 */
import {
  type ExperimentConfig,
  ExperimentConfigSchema,
  type LearnerName,
  SETTINGS,
} from '../../../src-main/contract/config';
import { type SettingDescription, setAt, valueAt } from '../../../src-main/contract/settings';
import { cellLabel, differingKeys, flattenConfig } from '../../../src-main/contract/results';

/** A field's value as its input holds it: numbers, yes/no, or text for lists and optional numbers. */
export type FieldValue = string | number | boolean;

/**
 * The settings the form shows as fields of their own, keyed by config path: every described
 * setting except those the form draws itself (learners, seeds, backend).
 */
export const FORM_SETTINGS: readonly SettingDescription[] = SETTINGS.filter((s) => !s.formOwnField);

/** A setting's value in a parsed config, as its field holds it. */
function fieldValue(s: SettingDescription, config: ExperimentConfig): FieldValue {
  const v = valueAt(config, s.path);
  switch (s.kind) {
    case 'int':
    case 'number':
    case 'bool':
    case 'text':
    case 'choice':
      return v as FieldValue;
    case 'optionalNumber':
      return v == null ? '' : String(v);
    case 'ints':
      return (v as number[]).join(',');
    case 'pair':
      return (v as number[]).join(', ');
    case 'fractions': {
      const f = v as { train: number; val: number; test: number };
      return [f.train, f.val, f.test].join(', ');
    }
    case 'numberOrLearned':
      return String(v);
  }
}

/** The form's setting fields, read from a parsed config, by config path. */
export function trainingFields(c: ExperimentConfig): Record<string, FieldValue> {
  return Object.fromEntries(FORM_SETTINGS.map((s) => [s.path, fieldValue(s, c)]));
}

export const DEFAULTS = ExperimentConfigSchema.parse({});

export function blankForm() {
  return {
    name: '',
    description: '',
    tags: '',
    learners: [DEFAULTS.learner] as LearnerName[],
    seeds: String(DEFAULTS.seed),
    settings: trainingFields(DEFAULTS),
  };
}
export type FormState = ReturnType<typeof blankForm>;

/** A comparison's cells where they differ in more than the learner: one run per cell × seed. */
export type Variants = Array<{ label: string; config: Record<string, unknown> }> | null;

/** "1, 2,3" → [1, 2, 3]; anything else that is not a number stays NaN for the schema to name. */
function numberList(text: string): number[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
}

export function seedsOf(form: FormState): number[] {
  return numberList(form.seeds);
}

/** A field's text or number as the config value the schema checks (NaN where it is not one). */
function configValue(s: SettingDescription, value: FieldValue): unknown {
  const text = String(value).trim();
  switch (s.kind) {
    case 'ints':
      return numberList(text);
    case 'pair':
      return numberList(text);
    case 'fractions': {
      const [train = Number.NaN, val = Number.NaN, test = Number.NaN] = numberList(text);
      return { train, val, test };
    }
    case 'optionalNumber':
      return text ? Number(text) : undefined;
    case 'numberOrLearned':
      return text === 'learned' ? 'learned' : Number(text);
    default:
      return value;
  }
}

/**
 * The config the service will check, from the form (the first learner's; each run sets its own).
 * A space's own settings go only into configs of that space, as a user who never saw them expects.
 */
export function configOf(form: FormState, backend: ExperimentConfig['backend']) {
  const space = form.settings.space as ExperimentConfig['space'];
  const config: Record<string, unknown> = { learner: form.learners[0] ?? DEFAULTS.learner, backend };
  for (const s of FORM_SETTINGS) {
    if (s.space && s.space !== space) continue;
    const value = configValue(s, form.settings[s.path]!);
    // An unset optional number (the generator's own rate) stays out: the schema's default holds.
    if (value !== undefined) setAt(config, s.path, value);
  }
  return config;
}

/** Only what varies across cells goes into their variants; the form keeps the rest. */
export function variantOf(config: object, keys: readonly string[]): Record<string, unknown> {
  const flat = flattenConfig(config);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = flat[key];
    const raw = valueAt(config, key);
    // Lists were flattened to text ("1,1,1,1"); a cell must carry them as lists again.
    setAt(out, key, typeof value === 'string' && Array.isArray(raw) ? raw : value);
  }
  return out;
}

/** The settings that tell cells apart, ignoring the seed and how runs were watched. */
const NOT_A_CELL = new Set(['seed', 'backend', 'checkpointEvery', 'valEvery', 'valTasks']);

/**
 * The form that would make this experiment again (Duplicate): its fields from the first run's
 * config, its learners and seeds from its runs, and cells as variants where the runs differ in
 * more than the learner (a preset's learner × space × shots).
 */
export function formFromExperiment(
  experiment: { name: string; description: string; tags: string[]; config: ExperimentConfig },
  runConfigs: readonly ExperimentConfig[],
): { form: FormState; variants: Variants } {
  const configs = runConfigs.length ? runConfigs : [experiment.config];
  const varying = differingKeys(configs).filter((k) => !NOT_A_CELL.has(k));
  const cells = new Map<string, ExperimentConfig>();
  for (const c of configs) {
    const key = JSON.stringify(varying.map((k) => flattenConfig(c)[k]));
    if (!cells.has(key)) cells.set(key, c);
  }
  const first = configs[0]!;
  const form: FormState = {
    ...blankForm(),
    name: `${experiment.name} (copy)`,
    description: experiment.description,
    tags: experiment.tags.join(', '),
    learners: [...new Set(configs.map((c) => c.learner))],
    seeds: [...new Set(configs.map((c) => c.seed))].sort((a, b) => a - b).join(', '),
    settings: trainingFields(first),
  };
  const variants: Variants = varying.some((k) => k !== 'learner')
    ? [...cells.values()].map((c) => ({ label: cellLabel(c, configs), config: variantOf(c, varying) }))
    : null;
  return { form, variants };
}

/** Where an unsent form waits while the user looks elsewhere (per browser profile, as drafts are). */
export const DRAFT_KEY = 'deml.newExperimentDraft';

export function saveDraft(storage: Storage, form: FormState, variants: Variants): void {
  try {
    storage.setItem(DRAFT_KEY, JSON.stringify({ form, variants }));
  } catch {
    // A full or disabled storage loses the draft, never the page.
  }
}

/** The saved draft, its fields checked against today's form (a field added since keeps its default). */
export function loadDraft(storage: Storage): { form: FormState; variants: Variants } | null {
  try {
    const raw = storage.getItem(DRAFT_KEY);
    if (!raw) return null;
    const saved = JSON.parse(raw) as { form?: Record<string, unknown>; variants?: Variants };
    const form = blankForm();
    const same = (a: unknown, b: unknown) => typeof a === typeof b && Array.isArray(a) === Array.isArray(b);
    for (const [k, v] of Object.entries(saved.form ?? {})) {
      const key = k as keyof FormState;
      if (key !== 'settings' && key in form && same(v, form[key])) (form as Record<string, unknown>)[key] = v;
    }
    const settings = saved.form?.settings;
    if (typeof settings === 'object' && settings !== null) {
      for (const [path, v] of Object.entries(settings))
        if (path in form.settings && same(v, form.settings[path])) form.settings[path] = v as FieldValue;
    }
    return { form, variants: Array.isArray(saved.variants) ? saved.variants : null };
  } catch {
    return null;
  }
}
