import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';

/** File-system errors in words a user can act on. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const where = err.path ? ` (${err.path})` : '';
  switch (err.code) {
    case 'ENOSPC':
      return `the disk is full${where}; free some space and try again`;
    case 'EDQUOT':
      return `the disk quota is exceeded${where}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied${where}`;
    case 'EROFS':
      return `the file system is read-only${where}`;
    case 'ENOENT':
      return `no such file or folder${where}`;
    case 'ENOTDIR':
      return `not a folder${where}`;
    case 'EISDIR':
      return `is a folder, not a file${where}`;
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files${where}`;
    default:
      return err.message ?? String(e);
  }
}

/**
 * Why writing at `path` failed, in words: a read-only file system or a permission problem is
 * found on the nearest folder that exists (a missing sub-folder on a read-only disk reports
 * "no such file" otherwise), else the error itself.
 */
export function describeWriteFailure(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (
    code === 'ENOENT' ||
    code === 'EROFS' ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'SQLITE_CANTOPEN'
  ) {
    let dir = path;
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    try {
      accessSync(dir, constants.W_OK);
    } catch (probe) {
      return describeFsError(probe);
    }
  }
  return describeFsError(e);
}
