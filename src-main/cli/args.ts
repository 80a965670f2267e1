/**
 * `deml train` flags → an experiment config. Flags are named like the config fields in kebab
 * case and override a `--config` JSON file; every value is checked by the shared schema.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type ExperimentConfig, parseExperimentConfig } from '../contract/config';
import { decimalNumber } from './usage';

type Kind = 'int' | 'number' | 'string' | 'pair' | 'ints' | 'bool' | 'numberOrLearned' | 'fractions';

/** flag → [config path, kind] */
export const TRAIN_FLAGS: Record<string, [string, Kind]> = {
  learner: ['learner', 'string'],
  ways: ['ways', 'int'],
  shots: ['shots', 'int'],
  queries: ['queries', 'int'],
  'meta-batch': ['metaBatch', 'int'],
  iterations: ['iterations', 'int'],
  'inner-steps': ['innerSteps', 'int'],
  'test-inner-steps': ['testInnerSteps', 'int'],
  'inner-lr': ['innerLr', 'number'],
  'meta-lr': ['metaLr', 'number'],
  'meta-sgd-init': ['metaSgdInit', 'pair'],
  'eval-tasks': ['evalTasks', 'int'],
  'val-every': ['valEvery', 'int'],
  'val-tasks': ['valTasks', 'int'],
  'checkpoint-every': ['checkpointEvery', 'int'],
  seed: ['seed', 'int'],
  'eval-seed': ['evalSeed', 'int'],
  'split-fractions': ['split', 'fractions'],
  backend: ['backend', 'string'],
  data: ['data', 'string'],
  filters: ['model.filters', 'int'],
  blocks: ['model.blocks', 'int'],
  activation: ['model.activation', 'string'],
  downsample: ['model.downsample', 'string'],
  space: ['space', 'string'],
  lambda: ['concept.lambda', 'number'],
  external: ['concept.external', 'string'],
  'external-batch': ['concept.externalBatch', 'int'],
  'generator-mode': ['concept.generatorMode', 'string'],
  'generator-lr': ['concept.generatorLr', 'number'],
  'pretrain-iterations': ['concept.pretrainIterations', 'int'],
  stages: ['concept.generator.stages', 'ints'],
  'generator-width': ['concept.generator.width', 'int'],
  'concept-size': ['concept.generator.conceptSize', 'int'],
  'pre-activation': ['concept.generator.preActivation', 'bool'],
  head: ['concept.head', 'ints'],
  'positive-fraction': ['siamese.positiveFraction', 'number'],
  pairs: ['siamese.pairs', 'int'],
  aggregate: ['siamese.aggregate', 'string'],
  instances: ['mann.instances', 'int'],
  'memory-slots': ['mann.memorySlots', 'int'],
  'slot-size': ['mann.slotSize', 'int'],
  'read-heads': ['mann.readHeads', 'int'],
  'controller-size': ['mann.controllerSize', 'int'],
  gamma: ['mann.gamma', 'numberOrLearned'],
  sequences: ['mann.batch', 'int'],
  'shuffled-labels': ['mann.shuffledLabels', 'bool'],
};

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

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
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
    setPath(merged, spec[0], convert(flag, spec[0], spec[1], raw));
  }
  return parseExperimentConfig(merged);
}

/** One training flag as the CLI's help and completion show it. */
export interface TrainOption {
  /** Without the dashes: "meta-batch". */
  flag: string;
  /** The value's placeholder in usage ("N", "LR", "maml|fomaml|…"). */
  valueName: string;
  /** One line. */
  help: string;
  /** The usage section it is listed under ("tasks", "concept space", "MANN", …). */
  group: string;
  /** Values a shell can complete, where the setting is a choice. */
  choices?: readonly string[];
}

/** Every training flag, in usage order (interim: to be derived from the settings' descriptions). */
export const TRAIN_OPTIONS: readonly TrainOption[] = Object.entries(TRAIN_FLAGS).map(
  ([flag, [path, kind]]) => ({
    flag,
    valueName: kind === 'int' ? 'N' : kind === 'number' ? 'X' : 'VALUE',
    help: path,
    group: 'training',
  }),
);
