/**
 * Tests that need root (mounting a tmpfs, say) skip with the reason elsewhere; on CI, which runs
 * as root, a missing root is an error, so that CI never skips them silently.
 */
export function haveRoot(why: string): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.CI)
    throw new Error(`CI runs as root, but this test runs as uid ${process.getuid?.()}: ${why}`);
  console.warn(`skipped: needs root (${why})`);
  return false;
}
