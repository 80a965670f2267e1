/** What every `deml` command shares on its command line: usage errors, integer flags, --data-dir. */
import { DATA_DIR_RULE, resolveDataDir } from '../layout/dataDirectory';
import type { FlagSpec } from './command';

/** A bad command line: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {}

/**
 * A number as a person writes it on a command line: decimal, optionally with an exponent. NaN for
 * anything else: Number() would read '0x5' as 5, '0b11' as 3 and '' as 0.
 */
export function decimalNumber(raw: string): number {
  const t = raw.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
}

/** An optional integer flag, at least `min`. */
export function intFlag(flag: string, raw: string | undefined, min = 1): number | undefined {
  if (raw === undefined) return undefined;
  const n = decimalNumber(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--${flag} expects an integer ≥ ${min}, got '${raw}'`);
  }
  return n;
}

/** The --data-dir option, declared the same way by every command that reads the data directory. */
export const DATA_DIR_FLAG = {
  type: 'string',
  value: 'DIR',
  help: `the data directory: datasets, the experiment store, runs (${DATA_DIR_RULE})`,
} as const satisfies FlagSpec;

/**
 * Refusals the user fixes like a bad flag (exit 2): a backend asked for by name that cannot start
 * here (engine/backend.ts), a dataset name that breaks the naming rule (data/cache.ts). Matched by
 * name so that the CLI loads neither module before a command needs it.
 */
const USAGE_ERROR_NAMES = new Set(['BackendUnavailableError', 'DatasetNameError']);
export function isUsageErrorByName(e: unknown): boolean {
  return e instanceof Error && USAGE_ERROR_NAMES.has(e.name);
}

/** The data directory a command works on (layout/dataDirectory.ts says how it is chosen). */
export function dataDirOf(values: { 'data-dir'?: string | boolean }): string {
  return resolveDataDir(values['data-dir']);
}
