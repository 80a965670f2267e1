/**
 * How a training setting describes itself, attached to its schema (config.ts) with `setting()`,
 * and the list of every setting read back from the schema. The CLI's flags and usage, the form's
 * fields, every message naming a setting and the docs' config reference (docs/config.md) are
 * derived from these descriptions, never written again.
 */
import { z } from 'zod';

/** The sections of the form, the CLI's usage and the docs, in this order. */
export const SETTING_GROUPS = [
  'Learner and data',
  'Tasks',
  'Optimisation',
  'Validation, test and checkpoints',
  'Network on the pixels',
  'Concept space',
  'Siamese network',
  'MANN',
  'Reptile',
] as const;
export type SettingGroup = (typeof SETTING_GROUPS)[number];

/**
 * How the value is written on a command line, where the schema alone does not say: two numbers
 * "low,high", three fractions "train,val,test", or a number or the word "learned".
 */
export type SettingSyntax = 'pair' | 'fractions' | 'numberOrLearned';

export interface SettingMeta {
  /** The command-line flag, without dashes ("meta-batch"). */
  flag: string;
  /** Its name in forms, tables and messages ("Meta-batch"). */
  label: string;
  /** One line: what it does, for help text and under the form's field. */
  help: string;
  /** What the number counts ("tasks", "images per class"), where it counts something. */
  unit?: string;
  group: SettingGroup;
  /** Only these learners read it (their own settings). Absent: every learner. */
  learners?: readonly string[];
  /** Only in this space. Absent: both. */
  space?: 'pixels' | 'concept';
  syntax?: SettingSyntax;
  /** Choices, each with what it means, where the schema's enum needs words. */
  choices?: Readonly<Record<string, string>>;
  /** The form draws it itself (the learners' checkboxes, the seeds, the backend): no generic field. */
  formOwnField?: true;
}

/** A schema with its description attached (zod's registry, read back by settings.ts). */
export function setting<T extends z.ZodType>(schema: T, meta: SettingMeta): T {
  return schema.meta(meta as unknown as Parameters<T['meta']>[0]) as T;
}

/** How a setting's value is written and read, from its schema (or its syntax). */
export type SettingKind =
  'int' | 'number' | 'optionalNumber' | 'text' | 'choice' | 'bool' | 'ints' | SettingSyntax;

/** One setting as every surface shows it: its description, where it sits, and what it takes. */
export interface SettingDescription extends SettingMeta {
  /** Its place in the config ("concept.generator.width"). */
  path: string;
  kind: SettingKind;
  /** The values of a choice, in the schema's order. */
  options?: readonly string[];
  /** Its default, from the schema (undefined: unset, as the generator's own rate). */
  defaultValue: unknown;
}

type AnySchema = z.core.$ZodType;

function metaOf(schema: AnySchema): SettingMeta | undefined {
  return z.globalRegistry.get(schema) as SettingMeta | undefined;
}

/** Through defaults, optionals and pipes to the schema that says what the value is. */
function unwrap(schema: AnySchema): { core: AnySchema; meta?: SettingMeta; optional: boolean } {
  let at = schema;
  let meta = metaOf(at);
  let optional = false;
  for (;;) {
    const def = at._zod.def as { type: string; innerType?: AnySchema };
    if (!def.innerType || !['default', 'prefault', 'optional', 'nullable', 'readonly'].includes(def.type))
      return { core: at, meta, optional };
    optional ||= def.type === 'optional';
    at = def.innerType;
    meta ??= metaOf(at);
  }
}

function kindOf(core: AnySchema, meta: SettingMeta, optional: boolean, path: string): SettingKind {
  if (meta.syntax) return meta.syntax;
  const def = core._zod.def as { type: string };
  switch (def.type) {
    case 'number':
      if ((core as z.ZodNumber).isInt) return 'int';
      return optional ? 'optionalNumber' : 'number';
    case 'enum':
      return 'choice';
    case 'string':
      return 'text';
    case 'boolean':
      return 'bool';
    case 'array':
      return 'ints';
    default:
      throw new Error(`setting ${path}: say how a ${def.type} is written (syntax)`);
  }
}

/**
 * Every described setting of a config schema, in the schema's order, with its default from
 * `defaults` (the schema's parse of {}). A section without a description of its own is walked
 * into; a constant (conv4's kind) is not a setting.
 */
export function describeSettings(schema: AnySchema, defaults: unknown): SettingDescription[] {
  const out: SettingDescription[] = [];
  const walk = (node: AnySchema, path: string[], value: unknown) => {
    const { core, meta, optional } = unwrap(node);
    const def = core._zod.def as { type: string; shape?: Record<string, AnySchema> };
    const name = path.join('.');
    if (meta) {
      const options = def.type === 'enum' ? (core as z.ZodEnum).options.map(String) : undefined;
      out.push({
        ...meta,
        path: name,
        kind: kindOf(core, meta, optional, name),
        options,
        defaultValue: value,
      });
      return;
    }
    if (def.type === 'object' && def.shape) {
      for (const [key, child] of Object.entries(def.shape))
        walk(child, [...path, key], (value as Record<string, unknown> | undefined)?.[key]);
      return;
    }
    if (def.type === 'literal') return;
    throw new Error(`setting ${name} has no description (settings.ts setting())`);
  };
  walk(schema, [], defaults);
  return out;
}

/**
 * A config field as a person reads it: the setting's label, with the item of a list it names
 * ("Generator stages, item 2"). Fields that are not settings (an evaluation's episode file, a
 * command-line option) keep their own names; `extra` names the ones a caller knows.
 */
export function fieldLabel(
  settings: readonly SettingDescription[],
  field: string,
  extra: Readonly<Record<string, string>> = {},
): string {
  if (extra[field]) return extra[field];
  let best: SettingDescription | undefined;
  for (const s of settings)
    if ((field === s.path || field.startsWith(`${s.path}.`)) && s.path.length > (best?.path.length ?? -1))
      best = s;
  if (!best) return field;
  const rest = field.slice(best.path.length + 1);
  if (!rest) return best.label;
  if (/^\d+$/.test(rest)) return `${best.label}, item ${Number(rest) + 1}`;
  return `${best.label} (${rest})`;
}

/** The value at a dotted config path ("concept.generator.stages"); undefined where there is none. */
export function valueAt(config: object, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

/**
 * Writes `value` at a dotted config path, making the sections on the way, or copying them: a
 * section shared with another object (a --config file's, a form's defaults) is never changed in
 * place.
 */
export function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = target;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    at = (at[key] = typeof next === 'object' && next !== null ? { ...(next as object) } : {}) as Record<
      string,
      unknown
    >;
  }
  at[keys.at(-1)!] = value;
}
