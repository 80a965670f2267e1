/**
 * `deml train` flags → an experiment config. Each flag is a setting's, from its description in
 * the config schema (contract/settings.ts); flags override a `--config` JSON file, and every value
 * is checked by the shared schema.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type ExperimentConfig, SETTINGS, parseExperimentConfig } from '../contract/config';
import { SETTING_GROUPS, type SettingDescription, setAt } from '../contract/settings';
import { decimalNumber } from './usage';

type Kind = 'int' | 'number' | 'string' | 'pair' | 'ints' | 'bool' | 'numberOrLearned' | 'fractions';

function flagKind(s: SettingDescription): Kind {
  switch (s.kind) {
    case 'text':
    case 'choice':
      return 'string';
    case 'optionalNumber':
      return 'number';
    default:
      return s.kind;
  }
}

/** flag → [config path, kind], for every training setting (contract/config.ts SETTINGS). */
export const TRAIN_FLAGS: Record<string, [string, Kind]> = Object.fromEntries(
  SETTINGS.map((s) => [s.flag, [s.path, flagKind(s)]]),
);

function convert(flag: string, field: string, kind: Kind, raw: string): unknown {
  if (kind === 'string') return raw;
  const bad = (what: string) =>
    new ConfigError([{ field, message: `--${flag} expects ${what}, got '${raw}'` }]);
  if (kind === 'numberOrLearned' && raw === 'learned') return raw;
  if (kind === 'bool') {
    if (raw !== 'true' && raw !== 'false') throw bad('true or false');
    return raw === 'true';
  }
  if (kind === 'ints') {
    const parts = raw === '' ? [] : raw.split(',').map(decimalNumber);
    if (parts.some((p) => !Number.isInteger(p))) throw bad('integers separated by commas, e.g. "1,1,1,1"');
    return parts;
  }
  if (kind === 'fractions') {
    const parts = raw.split(',').map(decimalNumber);
    if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p)))
      throw bad('three fractions "train,val,test", e.g. "0.6,0.2,0.2"');
    return { train: parts[0], val: parts[1], test: parts[2] };
  }
  if (kind === 'pair') {
    const parts = raw.split(',').map(decimalNumber);
    if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p))) throw bad('two numbers "low,high"');
    return parts;
  }
  const n = decimalNumber(raw);
  if (!Number.isFinite(n)) throw bad(kind === 'int' ? 'an integer' : 'a number');
  return n;
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([{ field: '--config', message: `cannot read ${path}: ${(e as Error).message}` }]);
  }
  try {
    // Editors on Windows save UTF-8 with a byte-order mark, which JSON.parse refuses.
    const parsed: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError([
      { field: '--config', message: `${path} is not a JSON config object: ${(e as Error).message}` },
    ]);
  }
}

/** Build and validate a config from a base object (the --config file) and flag values. */
export function configFromFlags(
  base: Record<string, unknown>,
  flags: Record<string, string | undefined>,
): ExperimentConfig {
  const merged: Record<string, unknown> = structuredClone(base);
  for (const [flag, raw] of Object.entries(flags)) {
    const spec = TRAIN_FLAGS[flag];
    if (!spec || raw === undefined) continue;
    setAt(merged, spec[0], convert(flag, spec[0], spec[1], raw));
  }
  return parseExperimentConfig(merged);
}

/** One training flag as the CLI's help and completion show it. */
export interface TrainOption {
  /** Without the dashes: "meta-batch". */
  flag: string;
  /** The value's placeholder in usage ("N", "LR", "maml|fomaml|…"). */
  valueName: string;
  /** One line, with the default. */
  help: string;
  /** The usage section it is listed under ("Tasks", "Concept space", "MANN", …). */
  group: string;
  /** Values a shell can complete, where the setting is a choice. */
  choices?: readonly string[];
}

const VALUE_NAMES: Record<SettingDescription['kind'], string> = {
  int: 'N',
  number: 'X',
  optionalNumber: 'X',
  text: 'NAME',
  choice: 'NAME',
  bool: 'BOOL',
  ints: 'N,N,…',
  pair: 'LOW,HIGH',
  fractions: 'TRAIN,VAL,TEST',
  numberOrLearned: 'X|learned',
};

function shownDefault(s: SettingDescription): string {
  const v = s.defaultValue;
  if (v === undefined) return '';
  const text = Array.isArray(v)
    ? v.join(',')
    : typeof v === 'object' && v !== null
      ? Object.values(v).join(',')
      : String(v);
  // "default 4 tasks", but "default 1" rather than "1 steps".
  return ` (default ${text}${s.unit && typeof v === 'number' && v !== 1 ? ` ${s.unit}` : ''})`;
}

function whereItApplies(s: SettingDescription): string {
  if (s.learners) return ` [${s.learners.join(', ')}]`;
  if (s.space) return ` [${s.space} space]`;
  return '';
}

/** Every training flag, by group (SETTING_GROUPS), in the schema's order within one. */
export const TRAIN_OPTIONS: readonly TrainOption[] = [...SETTINGS]
  .sort((a, b) => SETTING_GROUPS.indexOf(a.group) - SETTING_GROUPS.indexOf(b.group))
  .map((s) => ({
    flag: s.flag,
    // Choices are listed after the help ("choices: …"), so the placeholder stays short.
    valueName: VALUE_NAMES[s.kind],
    help: `${s.label}: ${s.help}${shownDefault(s)}${whereItApplies(s)}`,
    group: s.group,
    ...(s.options ? { choices: s.options } : s.kind === 'bool' ? { choices: ['true', 'false'] } : {}),
  }));
