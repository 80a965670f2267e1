/**
 * One workbench (app or `deml serve`, or a CLI that runs the queue itself) per data directory:
 * two schedulers on one database would launch the same queued run twice. A lock file holds the
 * owner's pid; a lock whose process is gone (a crash) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { describeWriteFailure } from '../data/errors';
import { DATA_DIR_RULE, lockPath } from '../layout/dataDirectory';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  /** What holds it, e.g. "deml serve" or "DEML Workbench". */
  owner: string;
}

export class InstanceLockedError extends Error {
  constructor(
    readonly holder: LockOwner,
    readonly file: string,
  ) {
    super(
      `another ${holder.owner} (pid ${holder.pid}, started ${holder.startedAt}) is using this data directory. ` +
        `Close it, or use another data directory (${DATA_DIR_RULE}). If no such process runs, delete ${file}.`,
    );
    this.name = 'InstanceLockedError';
  }
}

/** Whether a process of this machine is alive (EPERM: alive, but someone else's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The current holder, or null when the lock is free or stale. */
export function lockHolder(dataDir: string): LockOwner | null {
  const file = lockPath(dataDir);
  let holder: LockOwner;
  try {
    holder = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
  if (typeof holder.pid !== 'number') return null;
  // A lock from another host (a shared folder) cannot be checked: respect it.
  if (holder.host !== hostname()) return holder;
  return processAlive(holder.pid) ? holder : null;
}

/** Locks this process holds: a second service in the same process is refused too. */
const held = new Set<string>();

export class InstanceLock {
  private released = false;
  constructor(readonly file: string) {
    held.add(file);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.file);
    try {
      const holder = JSON.parse(readFileSync(this.file, 'utf8')) as LockOwner;
      if (holder.pid === process.pid) rmSync(this.file, { force: true });
    } catch {
      // Already gone.
    }
  }
}

export function acquireInstanceLock(dataDir: string, owner: string): InstanceLock {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (e) {
    throw new Error(`cannot use the data directory ${dataDir}: ${describeWriteFailure(dataDir, e)}`);
  }
  const file = lockPath(dataDir);
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), owner };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, JSON.stringify(me));
      } finally {
        closeSync(fd);
      }
      return new InstanceLock(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new Error(`cannot use the data directory ${dataDir}: ${describeWriteFailure(file, e)}`);
      const holder = lockHolder(dataDir);
      if (holder && (holder.pid !== process.pid || held.has(file)))
        throw new InstanceLockedError(holder, file);
      // Stale (its process is gone) or unreadable: take it over.
      rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot take the lock ${file}: another process keeps re-creating it`);
}
