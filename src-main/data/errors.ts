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
