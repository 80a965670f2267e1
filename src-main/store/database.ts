/**
 * Opening the experiment database: one SQLite file in the data directory, WAL (readers never
 * wait for the trainer's writes), foreign keys on, migrated to the latest schema. A damaged file
 * is never overwritten: it is copied aside and the user told what to do.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeFsError, describeWriteFailure } from '../data/errors';
import { databasePath } from '../layout/dataDirectory';
import { migrate } from './migrations';
import { type SqliteDatabase, openSqlite } from './sqlite';

export class StoreError extends Error {
  constructor(
    message: string,
    readonly code: 'corrupt' | 'newer' | 'full' | 'io',
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface OpenOptions {
  readonly?: boolean;
  /** Migrate to this schema version instead of the latest (migration tests). */
  targetVersion?: number;
}

export function openDatabase(dataDir: string, options: OpenOptions = {}): SqliteDatabase {
  const file = databasePath(dataDir);
  if (!options.readonly) {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (e) {
      throw new StoreError(`cannot create the data directory: ${describeFsError(e)}`, 'io');
    }
  } else if (!existsSync(file)) {
    throw new StoreError(`no experiment database in ${dataDir} yet (nothing has been run there)`, 'io');
  }
  // An empty file is not a new database: ours always hold a schema, so it was truncated (a crash,
  // a full disk, a bad copy). SQLite would quietly start afresh in it; keep it instead.
  if (existsSync(file) && statSync(file).size === 0) {
    throw damaged(file, 'the file is empty (0 bytes)');
  }
  let db: SqliteDatabase | null = null;
  try {
    db = openSqlite(file, { readonly: options.readonly });
    // Reading the header and the schema is what fails on a file that is not (or no longer) SQLite.
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    // The trainer and the service write to the same file; wait for each other's short transactions.
    db.pragma('busy_timeout = 5000');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    // Damage inside the file (garbage over some pages) passes the header check: quick_check reads
    // every page (about 0.1 s for 100k metric points). A damaged file is refused, never written.
    const problems = (db.pragma('quick_check(5)') as Array<{ quick_check: string }>).map(
      (r) => r.quick_check,
    );
    if (problems.length !== 1 || problems[0] !== 'ok') {
      db.close();
      db = null;
      throw damaged(file, `the integrity check found: ${problems.join('; ').replace(/\s*\n\s*/g, '; ')}`);
    }
    if (!options.readonly) {
      db.pragma('synchronous = NORMAL');
      migrate(db, options.targetVersion);
    }
    return db;
  } catch (e) {
    db?.close();
    if (e instanceof StoreError) throw e;
    throw translateOpenError(e, file);
  }
}

function damaged(file: string, why: string): StoreError {
  const backup = backupDamaged(file);
  return new StoreError(
    `the experiment database ${file} is damaged (${why}). It was left untouched` +
      (backup ? ` and a copy saved as ${backup}` : '') +
      '. Move it away to start with a fresh database, or restore an earlier copy.',
    'corrupt',
  );
}

function translateOpenError(e: unknown, file: string): Error {
  const code = (e as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
    return damaged(file, (e as Error).message);
  if (code === 'SQLITE_FULL') return new StoreError(`the disk is full: cannot open ${file}`, 'full');
  if (e instanceof Error && /newer than this app/.test(e.message)) return new StoreError(e.message, 'newer');
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY') {
    return new StoreError(
      `cannot open the experiment database ${file}: ${describeWriteFailure(file, { code: 'SQLITE_CANTOPEN', message: (e as Error).message })}`,
      'io',
    );
  }
  if (code.startsWith('SQLITE_')) {
    return new StoreError(`cannot open the experiment database ${file}: ${(e as Error).message}`, 'io');
  }
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Copy the damaged file (and its WAL) aside, never replacing an existing file; once. Each command
 * refused on the same damaged file used to save another full copy (7 after 7): a copy with the
 * same bytes already beside it is named instead.
 */
function backupDamaged(file: string): string | null {
  try {
    const same = earlierCopy(file);
    if (same) return same;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const backup = `${file}.damaged-${stamp}.bak`;
    copyFileSync(file, backup, constants.COPYFILE_EXCL);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${backup}-wal`, constants.COPYFILE_EXCL);
    return backup;
  } catch {
    return null;
  }
}

/** A `.damaged-*.bak` copy of `file` with the same bytes (and the same WAL), if there is one. */
function earlierCopy(file: string): string | null {
  const dir = dirname(file);
  const prefix = `${basename(file)}.damaged-`;
  const size = statSync(file).size;
  const digest = (path: string) =>
    existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'none';
  let mine: string | null = null;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix) || !name.endsWith('.bak')) continue;
    const copy = join(dir, name);
    if (statSync(copy).size !== size) continue;
    mine ??= `${digest(file)}/${digest(`${file}-wal`)}`;
    if (`${digest(copy)}/${digest(`${copy}-wal`)}` === mine) return copy;
  }
  return null;
}

/** A SQLite write error in words: a full disk is the one a user most often meets. */
export function describeWriteError(e: unknown): string {
  const code = (e as { code?: string }).code ?? '';
  if (code === 'SQLITE_FULL') return 'the disk is full (or the database reached its size limit)';
  if (code === 'SQLITE_READONLY') return 'the database is read-only';
  if (code === 'SQLITE_BUSY') return 'the database stayed locked by another process';
  if (code.startsWith('SQLITE_IOERR')) return `a disk error (${(e as Error).message})`;
  return (e as Error).message ?? String(e);
}
